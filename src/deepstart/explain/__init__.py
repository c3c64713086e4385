"""Explainers shared by the modalities: LayerCAM heatmaps for any convolutional network."""
