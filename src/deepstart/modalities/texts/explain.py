"""Which words a text model's prediction rests on, by occlusion: each word is left out
in turn, and the drop in the predicted class's probability is that word's effect
(positive: the word supports the prediction; negative: it argues against it). Asks
whichever model was kept (the embeddings' classifier, TF-IDF, or their average)."""

from __future__ import annotations

import html
from pathlib import Path

from ...errors import ConfigError
from ...files import write_atomic
from ..explainer import Explainer
from .read import read_unlabeled

MAX_WORDS = 200  # each word is one more prediction: longer texts are explained for their start
REPORT_WORDS = 150  # words of a worst mistake's text that are weighed, in report.html


def word_attributions(predictor, texts: list[str], max_words: int | None = None) -> list[dict]:
    """Per text: its label and probability, and each word's effect, in reading order
    (for the first max_words words only, when given: one prediction per word)."""
    encoder, records = predictor.encoder_, []
    cached = encoder.use_cache
    encoder.use_cache = False  # the leave-one-out variants are not worth keeping in the cache
    try:
        for text in texts:
            records.append(_attributions(predictor, text, max_words))
    finally:
        encoder.use_cache = cached
    return records


def _attributions(predictor, text: str, max_words: int | None) -> dict:
    words = text.split()
    shown = len(words) if max_words is None else min(len(words), max_words)
    variants = [" ".join(words[:i] + words[i + 1 :]) or "-" for i in range(shown)]
    proba = predictor.predict_proba([text, *variants])
    k = int(proba[0].argmax())
    effects = proba[0, k] - proba[1:, k]
    return {
        "text": text,
        "label": predictor.classes_[k],
        "probability": float(proba[0, k]),
        "words": [{"word": w, "effect": float(e)} for w, e in zip(words, effects)],
    }


def coloured_words(words: list[dict]) -> str:
    """The words as HTML, each shaded green (for the prediction) or red (against it),
    stronger for larger effects; the effect shows on hovering."""
    scale = max((abs(w["effect"]) for w in words), default=0.0) or 1.0
    spans = []
    for w in words:
        alpha = min(1.0, abs(w["effect"]) / scale)
        colour = f"rgba(0,160,0,{alpha:.2f})" if w["effect"] >= 0 else f"rgba(220,0,0,{alpha:.2f})"
        word = html.escape(w["word"])
        spans.append(f'<span style="background:{colour}" title="{w["effect"]:+.3f}">{word}</span>')
    return " ".join(spans)


def attributions_html(records: list[dict]) -> str:
    """A self-contained page: each text with its words shaded green (for the
    prediction) or red (against it), stronger for larger effects."""
    rows = [
        f"<p><b>{html.escape(r['label'])}</b> ({r['probability']:.0%}): {coloured_words(r['words'])}</p>"
        for r in records
    ]
    return (
        "<!doctype html><meta charset='utf-8'><title>Why these predictions</title>"
        "<body style='font-family:sans-serif;max-width:60em;margin:2em auto;line-height:2'>"
        "<h1>Which words the predictions rest on</h1>"
        "<p>Green words support the predicted class, red ones argue against it; the stronger the "
        "colour, the more the probability drops when the word is left out.</p>" + "".join(rows) + "</body>"
    )


def explain_texts(predictor, texts: list[str], out: Path | None) -> list[str]:
    """deepstart explain: a line per text, and explanations.json and .html in out."""
    import json

    if not any(t.strip() for t in texts):
        raise ConfigError("The texts to explain are empty; give some words.")
    records = word_attributions(predictor, [t for t in texts if t.strip()], max_words=MAX_WORDS)
    lines = []
    for r in records:
        top = sorted(r["words"], key=lambda w: -w["effect"])[:3]
        said = ", ".join(f"{w['word']} {w['effect']:+.2f}" for w in top)
        lines.append(f"{r['text'][:60]}\t{r['label']}\t(rests most on: {said})")
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another folder.") from None
        write_atomic(out / "explanations.json", json.dumps({"texts": records}, indent=2) + "\n")
        write_atomic(out / "explanations.html", attributions_html(records))
    return lines


def words_html(predictor, worst: list[dict]) -> dict[str, str]:
    """report.html: each worst mistake's words, coloured by their effect."""
    found = {}
    for record in word_attributions(predictor, [m["input"] for m in worst], REPORT_WORDS):
        more = " …" if len(record["text"].split()) > len(record["words"]) else ""
        found[record["text"]] = f"<span class='words'>{coloured_words(record['words'])}{more}</span>"
    return found


class TextExplainer(Explainer):
    """Which words each prediction rests on: each left out in turn."""

    def explain(self, model, inputs: list, out, options: dict) -> list[str]:
        if not inputs:
            raise ConfigError("Give texts (or tables of texts) to explain.")
        texts = read_unlabeled(list(inputs), (model.columns_ or {}).get("text")).items
        return explain_texts(model, texts, out)

    def explain_one(self, model, item) -> dict:
        return word_attributions(model, [item], max_words=60)[0]

    def explain_mistakes(self, model, worst: list[dict]) -> dict[str, str]:
        return words_html(model, worst)

    def mistakes_note(self, task: str) -> str:
        return (
            "Green words pushed the model towards its (wrong) prediction, red ones away from it; the "
            "stronger the colour, the more the probability of that prediction drops when the word is left "
            "out (hover over a word for the number)."
        )
