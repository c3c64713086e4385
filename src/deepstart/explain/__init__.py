"""Explainers shared by the modalities: LayerCAM heatmaps for any convolutional network,
and how every heatmap is drawn over a picture of the input (overlay)."""
