"""Explainers shared by the modalities: Grad-CAM for any convolutional network."""
