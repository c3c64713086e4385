"""A sound model's network reads what its encoder makes of a recording (a log-mel picture,
or the pretrained speech network's embeddings): the default export, fed by the model's own
encoder, which reads the sound outside the graph."""

from __future__ import annotations

from ..exporter import Exporter


class AudioExporter(Exporter):
    """The network alone, from the encoder's arrays to the outputs."""
