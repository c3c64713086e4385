"""A sequence model's network reads the encoder's arrays of steps: the default export, fed
by the model's own encoder."""

from __future__ import annotations

from ..exporter import Exporter


class SequenceExporter(Exporter):
    """The network alone, from the encoder's arrays to the outputs."""
