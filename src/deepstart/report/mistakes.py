"""The worst mistakes on the test data, for report.html: each one's input, truth and
prediction, and beside it why the model got it wrong, where the modality can say (a
heatmap over an image, each word's effect in a text, the values that moved a row)."""

from __future__ import annotations

from html import escape

from ..modalities import REGISTRY


def mistake_rows(manifest: dict, explained: dict[str, str]) -> tuple[str, list[tuple]]:
    """A note on how to read the explanations, and the worst mistakes as rows of HTML
    (input, truth, predicted), each input with its explanation where there is one."""
    rows = []
    for m in manifest["worst_mistakes"]:
        shown = explained.get(m["input"]) or escape(str(m["input"])[:300])
        rows.append((shown, escape(str(m["truth"])), escape(str(m["predicted"]))))
    said = REGISTRY[manifest["modality"]].mistakes_note(manifest.get("task", "classification"))
    note = f"<p class='muted'>{escape(said)}</p>" if explained and said else ""
    return note, rows
