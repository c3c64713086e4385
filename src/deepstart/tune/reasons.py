"""Why the search chose what it chose, in plain words that follow the trials' numbers:
each setting's importance (Optuna's fANOVA), and per setting one sentence: where scores
were better and worse, what went wrong in the trials there (the diagnostics each trial's
training recorded), or that it made no difference beyond the noise."""

from __future__ import annotations

import math
import statistics

TOO_FEW = 4  # completed trials below which importances are not computed
SMALL = 0.05  # a setting explaining less of the score's variance than this made no difference


def completed(study) -> list:
    return [t for t in study.trials if t.state.name == "COMPLETE"]


def importances(study) -> dict[str, float]:
    """{setting: share of the variance of the validation score it explains}, largest
    first (fANOVA over the completed trials); {} with too few trials to tell."""
    import optuna

    if len(completed(study)) < TOO_FEW:
        return {}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
    except (RuntimeError, ValueError):  # all trials alike in some setting, or one value only
        return {}


def noise(values: list[float], n_validation: int | None, metric: str) -> float:
    """How much a score moves by chance: for accuracy the binomial standard error on
    the validation examples; else the spread of the best few trials' scores."""
    if metric == "accuracy" and n_validation:
        best = max(values)
        return math.sqrt(max(best * (1 - best), 1e-4) / n_validation)
    top = sorted(values)[:5] if metric == "rmse" else sorted(values)[-5:]
    return statistics.stdev(top) if len(top) > 1 else 0.0


def sentences(study, metric: str, n_validation: int | None) -> list[str]:
    """One sentence per setting, most important first."""
    trials = completed(study)
    if len(trials) < 2:
        return ["Only one trial finished: nothing to compare yet; give a longer --budget or more --trials."]
    values = [t.value for t in trials]
    spread = noise(values, n_validation, metric)
    ranked = importances(study)
    names = list(ranked) + [n for n in trials[0].params if n not in ranked]
    best = study.best_trial
    return [_one(name, trials, best, metric, spread, ranked.get(name)) for name in names]


def _one(name: str, trials: list, best, metric: str, spread: float, share: float | None) -> str:
    """The sentence for one setting: scores by its values (in three bands for numbers)."""
    higher_better = metric != "rmse"
    groups = _bands(name, trials)
    means = {label: statistics.mean(t.value for t in group) for label, group in groups.items()}
    label = _setting_name(name)
    if len(means) < 2:
        return f"{label}: every trial used {_show(best.params[name])}: not searched."
    effect = max(means.values()) - min(means.values())
    unit, scale = (" points", 100) if metric == "accuracy" else ("", 1)
    if effect <= 2 * spread:
        return (
            f"{label} made no difference beyond noise (mean validation {metric} within "
            f"{scale * effect:.2g}{unit} across its values, noise ±{scale * spread:.2g}{unit}); "
            f"{_show(best.params[name])} was used."
        )
    if share is not None and share < SMALL:  # its bands differ only by the other settings tried in them
        return (
            f"{label} made no difference beyond noise (importance {100 * share:.0f} %: the other settings "
            f"explain why its trials' mean validation {metric} ranged over {scale * effect:.2g}{unit}); "
            f"{_show(best.params[name])} was used."
        )
    good = max(means, key=means.get) if higher_better else min(means, key=means.get)
    bad = min(means, key=means.get) if higher_better else max(means, key=means.get)
    why = _trouble(groups[bad])
    figures = (
        f"mean validation {metric} {_score(means[good], metric)} with {good}, "
        f"{_score(means[bad], metric)} with {bad}{why}; {_show(best.params[name])} was best"
    )
    if share is None:  # too few trials for importances: the settings' effects are mixed up
        mixed = f"with {len(trials)} finished trials, not told apart from the other settings"
        return f"{label}: {figures} ({mixed})."
    return f"{label} mattered (importance {100 * share:.0f} %): {figures}."


def _bands(name: str, trials: list) -> dict[str, list]:
    """The trials grouped by their value of the setting: each choice, or for numbers the
    lower, middle and upper third of the values tried (as "below 3e-04" and the like)."""
    values = [t.params[name] for t in trials]
    if not all(isinstance(v, float) for v in values) or len(set(values)) < 3:
        groups: dict[str, list] = {}
        for t in trials:
            groups.setdefault(_show(t.params[name]), []).append(t)
        return groups
    ordered = sorted(values)
    low, high = ordered[len(ordered) // 3], ordered[2 * len(ordered) // 3]
    groups = {
        f"values below {_show(low)}": [t for t in trials if t.params[name] < low],
        f"values from {_show(low)} to {_show(high)}": [t for t in trials if low <= t.params[name] < high],
        f"values from {_show(high)} up": [t for t in trials if t.params[name] >= high],
    }
    return {k: v for k, v in groups.items() if v}


def _trouble(trials: list) -> str:
    """What the training of these trials found most often (underfitting, divergence ...)."""
    counts: dict[str, int] = {}
    for t in trials:
        for check in t.user_attrs.get("found", []):
            counts[check] = counts.get(check, 0) + 1
    if not counts:
        return ""
    check = max(counts, key=counts.get)
    return f" ({check} in {counts[check]} of those {len(trials)} trials)"


def _setting_name(name: str) -> str:
    words = {"lr": "The learning rate", "batch_size": "The batch size", "weight_decay": "Weight decay"}
    return words.get(name, name.replace("_", " ").capitalize())


def _score(value: float, metric: str) -> str:
    return f"{100 * value:.1f} %" if metric == "accuracy" else f"{value:.4g}"


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.0e}" if value and (abs(value) < 1e-2 or abs(value) >= 1e4) else f"{value:.3g}"
    return str(value)


def gain(search, metric: str) -> dict:
    """The search's gain over the defaults (the first trial), on validation and on test."""
    study = search.study
    first, best = study.trials[0], study.best_trial
    found = {"metric": metric, "n_trials": len(study.trials), "completed": len(completed(study))}
    if first.state.name == "COMPLETE":
        found |= {
            "default_validation": first.value,
            "best_validation": best.value,
            "default_test": first.user_attrs.get("test"),
            "best_test": best.user_attrs.get("test"),
        }
    return found
