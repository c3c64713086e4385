"""The classical approach to texts, beside the deep model on the same split: TF-IDF
(words and word pairs) + logistic regression."""

from __future__ import annotations

import time

from ...classical.text import TfidfLogistic
from ...evaluate.leaderboard import Candidate


def candidates(split) -> list[Candidate]:
    """TF-IDF + logistic regression trained on the split's training texts (none when the
    texts hold no words to count)."""
    start = time.perf_counter()
    model = TfidfLogistic.fit(split.inputs["train"], split.train[1], split.inputs["val"], split.val[1])
    if model is None:
        return []
    seconds = time.perf_counter() - start
    out = {part: model.predict_proba(split.inputs[part]) for part in ("val", "test")}
    return [Candidate("classical", TfidfLogistic.title, out["val"], out["test"], seconds, model)]
