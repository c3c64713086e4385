"""ONNX: one way to export a PyTorch network (graph.py) and one way to run one with ONNX
Runtime (session.py), for frozen feature extractors and exported models alike."""
