"""The tuning record (for the manifest and the summary) and tuning.html: what the search
tried, how much it gained over the defaults, each setting's importance, and for the
important ones the validation score against the setting with the chosen value marked."""

from __future__ import annotations

import base64
from html import escape

from ..report.page import page, table_html
from ..report.plots import figure, png
from . import reasons

PLOTTED = 3  # settings plotted: the most important ones


def record(search, n_validation: int | None) -> dict:
    """What the manifest keeps of a search: the gain, the settings chosen, the sentences,
    the importances, and every trial (its settings, score, state, time, what went wrong)."""
    study, metric = search.study, search.metric
    values = [t.value for t in reasons.completed(study)]
    return {
        **reasons.gain(search, metric),
        "noise": reasons.noise(values, n_validation, metric) if len(values) > 1 else None,
        "seconds": round(search.seconds, 1),
        "direction": search.direction,
        "engine": search.engine,
        "parallel": search.parallel,
        "chosen": study.best_trial.params,
        "defaults": search.default,
        "log_scaled": search.log_scaled,
        "importance": reasons.importances(study),
        "reasons": reasons.sentences(study, metric, n_validation),
        "trials": [
            {
                "number": t.number + 1,
                "state": t.state.name.lower(),
                "value": t.value,
                "params": t.params,
                "seconds": t.user_attrs.get("seconds"),
                "found": t.user_attrs.get("found", []),
                "why": t.user_attrs.get("failed"),
                **_ray(t.user_attrs),
            }
            for t in study.trials
        ],
    }


def _ray(attrs: dict) -> dict:
    """On Ray Tune: the trial's id, when it ran (seconds since the epoch) and how many of
    its inputs' encodings it took from the driver's."""
    return {key: attrs[key] for key in ("ray_trial", "started", "ended", "reused") if key in attrs}


def summary_lines(tuning: dict) -> list[str]:
    """The search in a few lines for the terminal."""
    metric = tuning["metric"]
    lines = [
        f"Tuning: {tuning['completed']} of {tuning['n_trials']} trials finished in "
        f"{tuning['seconds']:.0f} s; chosen: "
        + ", ".join(f"{k}={_value(v)}" for k, v in tuning["chosen"].items())
        + "."
    ]
    if "default_validation" in tuning:
        lines.append(
            f"  Validation {metric}: defaults {_score(tuning['default_validation'], metric)}, "
            f"chosen {_score(tuning['best_validation'], metric)}; "
            f"test {_score(tuning['default_test'], metric)} -> {_score(tuning['best_test'], metric)}."
        )
        lines.append("  " + verdict(tuning))
    return lines + ["  " + sentence for sentence in tuning["reasons"]]


def verdict(tuning: dict) -> str:
    """Whether the gain over the defaults on validation is more than the noise."""
    metric, noise = tuning["metric"], tuning.get("noise")
    gained = tuning["best_validation"] - tuning["default_validation"]
    gained = -gained if metric == "rmse" else gained
    scale, unit = (100, " points") if metric == "accuracy" else (1, "")
    if not gained:
        return "The defaults were the best trial: the search found nothing better."
    if noise is None or gained > 2 * noise:
        spread = scale * (noise or 0)
        return (
            f"The search gained {scale * gained:.2g}{unit} on validation, beyond the noise (±{spread:.2g})."
        )
    return (
        f"The gain on validation, {scale * gained:.2g}{unit}, is within the noise (±{scale * noise:.2g}): "
        "the defaults would likely do as well."
    )


def tuning_html(tuning: dict) -> str:
    """The self-contained page (plots as data: URLs)."""
    metric = tuning["metric"]
    how = (
        f"Optuna's TPE sampler on Ray Tune, {tuning.get('parallel', 1)} trials at a time; the defaults were "
        "the first trial"
        if tuning.get("engine") == "ray-tune"
        else "Optuna's TPE sampler; the defaults were the first trial; trials behind the others at the same "
        "epoch were stopped early"
    )
    parts = [
        "<h1>Why these settings</h1>",
        f"<p>{tuning['completed']} of {tuning['n_trials']} trials finished in {tuning['seconds']:.0f} s "
        f"({how}). Trials were compared on validation only.</p>",
        *_gain(tuning, metric),
        "<h2>What mattered</h2>",
        "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in tuning["reasons"]) + "</ul>",
    ]
    if tuning["importance"]:
        rows = [(escape(k), f"{100 * v:.0f} %") for k, v in tuning["importance"].items()]
        parts += [
            "<h2>Importance (fANOVA)</h2>",
            table_html(["setting", "share of the score's variance"], rows, escaped=True),
        ]
        for name in list(tuning["importance"])[:PLOTTED]:
            parts.append(_plot(tuning, name, metric))
    parts += ["<h2>Every trial</h2>", _trials(tuning, metric)]
    return page(parts)


def _gain(tuning: dict, metric: str) -> list[str]:
    if "default_validation" not in tuning:
        return ["<p class='warn'>The default trial did not finish: no gain to report.</p>"]
    rows = [
        (
            "validation",
            _score(tuning["default_validation"], metric),
            _score(tuning["best_validation"], metric),
        ),
        ("test", _score(tuning["default_test"], metric), _score(tuning["best_test"], metric)),
    ]
    table = table_html([metric, "defaults", "chosen"], rows)
    return ["<h2>Gain over the defaults</h2>", table, f"<p>{escape(verdict(tuning))}</p>"]


def _plot(tuning: dict, name: str, metric: str) -> str:
    """Validation score against one setting, each finished trial a dot, the chosen one marked."""
    done = [t for t in tuning["trials"] if t["state"] == "complete" and name in t["params"]]
    fig, ax = figure(figsize=(5, 3), dpi=100)
    xs = [t["params"][name] for t in done]
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    shown = xs if numeric else [str(x) for x in xs]
    ax.scatter(shown, [t["value"] for t in done], color="#4477aa", label="trials")
    chosen = tuning["chosen"][name]
    best = next(t["value"] for t in done if t["params"] == tuning["chosen"])
    ax.scatter([chosen if numeric else str(chosen)], [best], color="#cc3311", s=80, label="chosen")
    if numeric and name in tuning.get("log_scaled", []):
        ax.set_xscale("log")
    ax.set_xlabel(name)
    ax.set_ylabel(f"validation {metric}")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    data = base64.b64encode(png(fig)).decode()
    alt = f"validation {metric} against {escape(name)}"
    return f"<h3>{escape(name)}</h3><img alt='{alt}' src='data:image/png;base64,{data}'>"


def _trials(tuning: dict, metric: str) -> str:
    rows = []
    for t in tuning["trials"]:
        settings = ", ".join(f"{k}={_value(v)}" for k, v in t["params"].items())
        note = t["why"] or ", ".join(t["found"]) or ("stopped early" if t["state"] == "pruned" else "")
        value = _score(t["value"], metric) if t["value"] is not None else ""
        rows.append((str(t["number"]), t["state"], value, escape(settings), escape(note)))
    return table_html(["trial", "state", f"validation {metric}", "settings", "notes"], rows, escaped=True)


def _score(value, metric: str) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.2f} %" if metric == "accuracy" else f"{value:.4g}"


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
