"""Choosing the model to keep: the deep model, the classical ones trained beside it on
the same split (by the modality), and the average of the deep model and the best
classical one, ranked by validation score."""

from __future__ import annotations

from ..evaluate.leaderboard import Candidate, ranked


def select(deep: Candidate, classical: list[Candidate], modality, split, regression: bool):
    """(the kept classical model or None, leaderboard rows, the kept model's outputs on
    "val" and "test"). With no classical models, the deep one and no leaderboard."""
    deep_out = {"val": deep.val_out, "test": deep.test_out}
    if not classical:
        return None, [], deep_out
    y_val, y_test = split.val[1], split.test[1]
    best = ranked(classical, y_val, y_test, regression)[0]["name"]
    partner = next(c for c in classical if c.name == best)
    mix = Candidate(
        "ensemble",
        modality.averaged_title(deep.title, partner.title),
        (deep.val_out + partner.val_out) / 2,
        (deep.test_out + partner.test_out) / 2,
        deep.seconds + partner.seconds,
        partner.model,
    )
    candidates = [deep, *classical, mix]
    rows = ranked(candidates, y_val, y_test, regression)
    kept = next(c for c in candidates if c.name == rows[0]["name"])
    return kept.model, rows, {"val": kept.val_out, "test": kept.test_out}
