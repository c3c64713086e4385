"""Each diagnostic is provoked on purpose and found, and a healthy run finds none."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from deepstart import Predictor
from deepstart.errors import TrainingError
from deepstart.settings import Settings
from deepstart.train import History, Plan, fit
from deepstart.train.diagnostics import _divergence, diagnose


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.images * 255 / 16).astype(np.uint8), data.target


def found(predictor_or_list) -> set:
    checks = getattr(predictor_or_list, "diagnostics_", predictor_or_list)
    return {d["check"] for d in checks if d["found"]}


def test_every_check_is_recorded_with_a_fix_when_found(digits):
    p = Predictor(epochs=1, lr=1e-7).fit(*digits)
    names = {d["check"] for d in p.diagnostics_}
    assert names == {
        "divergence",
        "overfitting",
        "underfitting",
        "vanishing gradients",
        "exploding gradients",
        "dead ReLUs",
        "class imbalance",
    }
    assert all(d["fix"] for d in p.diagnostics_ if d["found"])


def test_healthy_training_finds_nothing(digits):
    assert found(Predictor(epochs=15).fit(*digits)) == set()


def test_divergence_from_the_start_leaves_no_model(digits):
    with pytest.raises(TrainingError, match="diverged in epoch 1.*Lower the learning rate"):
        Predictor(epochs=3, lr=1e4, optimizer="sgd").fit(*digits)


def test_divergence_after_good_epochs_is_diagnosed():
    history = History(
        epochs=[{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": float("nan")}],
        best_epoch=1,
        stopped="diverged",
    )
    check = _divergence(history)
    assert check["found"] and "epoch 2" in check["message"] and "--lr" in check["fix"]


def test_huge_weights_explode_gradients(digits):
    torch.manual_seed(0)
    net = deep_net(nn.Identity, layers=8)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(4.0)
    assert "exploding gradients" in found(train_custom(net, digits, epochs=1))


def test_tiny_learning_rate_underfits(digits):
    assert "underfitting" in found(Predictor(epochs=1, lr=1e-7).fit(*digits))


def test_random_labels_overfit(digits):
    """A network that has memorised random labels (trained to the end, not restored to its
    best validation epoch, which with random labels falls anywhere by chance)."""
    x = torch.from_numpy(digits[0].reshape(len(digits[0]), -1).astype(np.float32) / 255)
    y = torch.from_numpy(np.random.default_rng(0).integers(0, 2, len(x)))  # nothing to learn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 2))
    optimizer = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(300):  # everything to memorise
        loss = nn.functional.cross_entropy(net(x[:300]), y[:300])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    plan = Plan(1, 128, [{"params": list(net.parameters()), "lr": 1e-2}])
    checks = diagnose(net, History(), (x[:300], y[:300]), (x[300:600], y[300:600]), ["0", "1"], plan)
    assert "overfitting" in found(checks)


def test_class_imbalance(digits):
    x, y = digits
    keep = np.flatnonzero(y <= 1)
    keep = np.concatenate([keep[y[keep] == 0], keep[y[keep] == 1][:12]])
    assert "class imbalance" in found(Predictor(epochs=5).fit(x[keep], y[keep]))


def deep_net(activation: type, layers: int = 12, width: int = 32) -> nn.Sequential:
    blocks = [nn.Flatten()]
    for i in range(layers):
        blocks += [nn.Linear(64 if i == 0 else width, width), activation()]
    return nn.Sequential(*blocks, nn.Linear(width, 10))


def train_custom(net: nn.Module, digits, **settings):
    x, y = torch.from_numpy(digits[0][:, None].astype(np.float32) / 255), torch.from_numpy(digits[1])
    s = Settings(**{"epochs": 2, **settings})
    plan = Plan(s.epochs, 128, [{"params": list(net.parameters()), "lr": 1e-3}])
    history = fit(net, (x[:1400], y[:1400]), (x[1400:], y[1400:]), s, plan)
    classes = [str(i) for i in range(10)]
    return diagnose(net, history, (x[:1400], y[:1400]), (x[1400:], y[1400:]), classes, plan)


def test_deep_sigmoid_network_has_vanishing_gradients(digits):
    torch.manual_seed(0)
    assert "vanishing gradients" in found(train_custom(deep_net(nn.Sigmoid), digits))


def test_same_depth_with_relu_does_not(digits):
    torch.manual_seed(0)
    assert "vanishing gradients" not in found(train_custom(deep_net(nn.ReLU, layers=3), digits))


def test_dead_relus(digits):
    net = deep_net(nn.ReLU, layers=2)
    with torch.no_grad():
        net[3].bias.fill_(-100.0)  # the second layer's units can never fire
    assert "dead ReLUs" in found(train_custom(net, digits))


def test_gradient_norms_cover_recurrent_and_1d_convolutional_layers():
    from deepstart.models import build_net
    from deepstart.train.gradients import layer_grad_norms

    for spec, x, names in (
        ({"name": "gru-forecaster", "lookback": 16, "n_classes": 3}, torch.randn(8, 16), {"gru", "head.1"}),
        (
            {"name": "sequence-cnn", "channels": 1, "n_classes": 2},
            torch.randn(8, 1, 32),
            {"body.0", "head.1"},
        ),
    ):
        net = build_net(spec)
        net(x).sum().backward()
        norms = layer_grad_norms(net)
        assert names <= set(norms) and all(v > 0 for v in norms.values()), norms


def test_a_kept_classical_model_gets_its_own_checks_not_the_networks():
    from deepstart.report.text import about_kept, diagnostics_text
    from deepstart.train.diagnostics import kept_model_checks

    network = [
        {"check": "divergence", "found": False, "message": "", "fix": ""},
        {"check": "overfitting", "found": True, "message": "the MLP memorises", "fix": "more data"},
        {"check": "underfitting", "found": False, "message": "", "fix": ""},
        {"check": "dead ReLUs", "found": True, "message": "dead", "fix": "gelu"},
        {"check": "class imbalance", "found": False, "message": "", "fix": ""},
    ]
    y = np.array([0, 1] * 50)
    fit = (np.eye(2)[y] * 0.8 + 0.1, y)  # right on every training row ...
    val = (np.eye(2)[y[:40]] * 0.8 + 0.1, y[:40])  # ... and on every validation row: no gap
    kept = kept_model_checks(network, fit, val, regression=False, with_network=False)
    assert [c["check"] for c in kept] == ["overfitting", "underfitting", "class imbalance"]
    assert not kept[0]["found"] and "100.0 % on training data" in kept[0]["message"]
    averaged = kept_model_checks(network, fit, val, regression=False, with_network=True)
    assert "dead ReLUs" in [c["check"] for c in averaged if c["found"]]  # the network takes part
    memorised = kept_model_checks(network, fit, (np.eye(2)[1 - y[:40]], y[:40]), False, with_network=False)
    assert memorised[0]["found"] and "leaderboard" in memorised[0]["fix"]  # not the network's --dropout
    manifest = {"choice": "classical", "diagnostics": kept}
    assert about_kept(manifest) and diagnostics_text(kept, about_kept(manifest))[0].startswith("Diagnostics:")
    old = {"choice": "classical", "diagnostics": network}  # saved before: the network's checks
    assert diagnostics_text(network, about_kept(old))[0].startswith(
        "Diagnostics of the deep model's training"
    )
