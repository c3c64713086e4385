"""A table model's network reads the encoder's rows (numbers standardised, categories as
integer codes): the default export, fed by the model's own encoder."""

from __future__ import annotations

from ..exporter import Exporter


class TableExporter(Exporter):
    """The network alone, from the encoder's arrays to the outputs."""
