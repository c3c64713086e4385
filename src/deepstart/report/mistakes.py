"""The worst mistakes on the test data, for report.html: each one's input, truth and
prediction, and beside it why the model got it wrong, where the modality can say (a
heatmap over an image, each word's effect in a text, the values that moved a row)."""

from __future__ import annotations

from html import escape

from ..budget import current
from ..errors import DeepstartError
from ..log import say
from ..modalities import REGISTRY


def explained(model) -> dict[str, str]:
    """Why the model made its worst mistakes, as HTML per input, from its modality (none
    where it cannot be said: the report then shows the mistakes alone)."""
    explainer = model.modality.explainer
    if not model.worst_ or explainer is None or not explainer.can_explain(model):
        return {}
    if current().over():
        current().cut("the report shows the worst mistakes without explanations")
        return {}
    try:
        return explainer.explain_mistakes(model, model.worst_)
    except (DeepstartError, OSError, RuntimeError, ValueError, KeyError) as e:
        say(f"The report shows the worst mistakes without explanations ({type(e).__name__}: {e}).")
        return {}


def mistake_rows(manifest: dict, explained: dict[str, str]) -> tuple[str, list[tuple]]:
    """A note on how to read the explanations, and the worst mistakes as rows of HTML
    (input, truth, predicted), each input with its explanation where there is one."""
    rows = []
    for m in manifest["worst_mistakes"]:
        shown = explained.get(m["input"]) or escape(str(m["input"])[:300])
        rows.append((shown, escape(str(m["truth"])), escape(str(m["predicted"]))))
    explainer = REGISTRY[manifest["modality"]].explainer if explained else None
    said = explainer.mistakes_note(manifest.get("task", "classification")) if explainer else ""
    note = f"<p class='muted'>{escape(said)}</p>" if said else ""
    return note, rows
