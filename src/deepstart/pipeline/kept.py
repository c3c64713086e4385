"""Which model a Predictor keeps, and its checks: the deep model beside the modality's
classical ones, chosen on the validation rows or by cross-validation; the kept model's
diagnostics; the network trained again on the validation rows too where the recipe asks
(refit). Each step reads and sets the model's learned attributes (pipeline.train.run)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..budget import current
from ..classical.tables import folds_of
from ..evaluate.leaderboard import Candidate
from ..log import say
from ..modalities import Modality
from ..train.diagnostics import diagnose as check_training
from ..train.diagnostics import kept_model_checks
from .crossval import deep_out_of_fold, select_by_folds
from .fit import refit_net, train_net
from .prepare import Targets
from .select import select as select_on_validation

CV_ROWS = (
    1500  # rows to learn from up to which models are compared across folds (a modality's cross_validates)
)


def select(model, modality: Modality, recipe, split, seconds: float, cv: bool = True) -> np.ndarray:
    """The deep model beside the modality's classical ones: the best on validation (or,
    where the modality asks and no validation data was given, by cross-validation) is
    kept. Returns the kept model's outputs on the test part."""
    out = {part: model.network_outputs(getattr(split, part)[0]) for part in ("val", "test")}
    deep = Candidate("deep", modality.model_title(recipe.name), out["val"], out["test"], seconds)
    dev = np.concatenate([split.train[1], split.val[1]])  # the rows cross-validation scores on
    seed = model.settings.seed
    small = len(dev) <= CV_ROWS  # larger tables' validation rows rank models well enough, for far less
    folds = folds_of(dev, split.regression, seed) if cv and modality.cross_validates and small else None
    if folds is not None and current().left() < 1.1 * len(folds) * model.history_.seconds:
        current().cut(f"the models were compared on the validation rows, not across {len(folds)} folds")
        folds = None
    if folds is None:
        y_val = split.val[1]
        classical = [] if current().over() else modality.baselines(split, model.encoder_, seed)
        if current().over() and not classical:
            current().cut("the classical models were not tried")
        model.classical_, model.leaderboard_, out = select_on_validation(
            deep, classical, modality, split, split.regression
        )
        model.deep_weight_, model.selection_ = 0.5, None
    else:
        y_val, out = dev, _cross_validate(model, modality, deep, recipe, split, folds)
    chosen = model.leaderboard_[0]["name"] if model.leaderboard_ else "deep"
    model.choice_ = chosen if chosen in ("deep", "ensemble") else "classical"
    model.metrics_ = {
        "validation": model.score(y_val, out["val"]),
        "test": model.score(split.test[1], out["test"]),
    }
    model._validation = (out["val"], y_val)
    return out["test"]


def _cross_validate(model, modality: Modality, deep: Candidate, recipe, split, folds: list) -> dict:
    """The network and the classical models scored out of fold over the training and
    validation rows together (pipeline.crossval); the outputs of the one kept."""
    x = np.concatenate([split.train[0], split.val[0]])
    y = np.concatenate([split.train[1], split.val[1]])
    seed, n_classes = model.settings.seed, 0 if split.regression else len(model.classes_)
    oof, took = deep_out_of_fold(x, y, folds, _fold_net(model, recipe), split.regression, seed)
    deep = replace(deep, val_out=oof, seconds=deep.seconds + took)
    design = [
        modality.classical_inputs(model.encoder_, part[0], split.inputs[name])
        for part, name in ((split.train, "train"), (split.val, "val"), (split.test, "test"))
    ]
    x_test = design.pop()
    model.classical_, model.leaderboard_, out, model.deep_weight_ = select_by_folds(
        deep, np.concatenate(design), y, x_test, split.test[1], folds, n_classes, seed
    )
    model.selection_ = {"method": "cross-validation", "folds": len(folds), "rows": len(y)}
    return out


def _fold_net(model, recipe):
    """fit(train, val, share) -> outputs(x): the recipe's network trained on one fold's
    rows for the epochs the first network's early stopping chose (shared early stopping,
    as AutoGluon's bagged networks share theirs): each fold then trains that many epochs
    instead of up to the recipe's many with patience."""
    n_outputs, history = model.targets_.n_outputs, model.history_
    epochs = max(3, history.best_epoch or len(history.epochs))
    settings = replace(model.settings, epochs=epochs, patience=epochs)

    def fit(train: tuple, val: tuple, share: float):
        train, val = scaled(model, train), scaled(model, val)
        net, _, _ = train_net(recipe, n_outputs, train, val, settings, model.task_, share=share)
        return lambda x: model.network_outputs(x, net)

    return fit


def diagnose(model, split, plan) -> list[dict]:
    """The checks of the kept model: the network's training (and the network itself),
    or, when a classical model or an average is kept, its own over- and underfitting."""
    sample = scaled(model, split.sample_of_train(4096, model.settings.seed))
    checks = check_training(
        model.net_, model.history_, sample, scaled(model, split.val), model.classes_, plan
    )
    if model.choice_ == "deep":
        return checks
    n = len(split.train[1])
    rows = np.sort(np.random.default_rng(model.settings.seed).permutation(n)[:4096])
    train_out = model.outputs(split.train[0][rows], [split.inputs["train"][i] for i in rows])
    fit, val = (train_out, split.train[1][rows]), model._validation
    return kept_model_checks(checks, fit, val, split.regression, model.choice_ == "ensemble")


def refit(model, recipe, split, targets: Targets) -> np.ndarray:
    """The kept network trained again on the training and validation examples together,
    for the epochs validation chose (recipe.refit); its outputs on the test part, which
    the test metrics are then of. Validation's figures stay those of the first network."""
    both = tuple(np.concatenate([a, b]) for a, b in zip(split.train, split.val))
    epochs = model.history_.best_epoch
    say(f"Training again on the {len(both[1]):,} training and validation examples, for {epochs} epochs:")
    model.net_ = refit_net(
        recipe, targets.n_outputs, scaled(model, both), model.settings, targets.task, epochs
    )
    out = model.network_outputs(split.test[0])
    model.metrics_["test"] = model.score(split.test[1], out)
    model.refit_ = {"examples": len(both[1]), "epochs": epochs}
    for row in model.leaderboard_ or []:  # the deep row's test figures are the network's kept
        if row["name"] == "deep":
            test = model.metrics_["test"]
            row.update({k: test[k[5:]] for k in row if k.startswith("test_") and k[5:] in test})
    return out


def scaled(model, part: tuple) -> tuple:
    """(X, y) as the network learns it: numbers to predict standardised."""
    if model.target_scale_ is None:
        return part
    mean, std = model.target_scale_
    return part[0], ((part[1] - mean) / std).astype(np.float32)
