"""Which model for texts: a classifier on pretrained sentence embeddings (transfer
learning), or the transformer itself fine-tuned."""

from __future__ import annotations

from ...errors import ConfigError
from ...models import minilm
from ..recipe import Recipe
from .encoders import TextEncoder, TokenEncoder


def choose(model: str, settings) -> Recipe:
    """Texts: a classifier on pretrained sentence embeddings, or the transformer fine-tuned."""
    if model == "cnn":
        raise ConfigError("--model cnn is for images; for texts use transfer or fine-tune.")
    if model == "fine-tune":
        why = (
            f"--fine-tune was asked for: the pretrained language model ({minilm.NAME}) itself adapts to "
            "these texts, at small learning rates"
        )
        net = {"name": "text-fine-tune", "dropout": settings.dropout}
        tokens, probe = TokenEncoder(settings.cache), TextEncoder(settings.cache)
        return Recipe("fine-tune", why, tokens, None, net, probe, 1e-4, 32, epoch_range=(2, 2))
    why = (
        f"a language model pretrained on a billion sentence pairs ({minilm.NAME}) already places texts of "
        "similar meaning close together, so only a classifier on its sentence embeddings is trained "
        "(transfer learning)"
    )
    net = {"name": "linear", "in_features": minilm.DIM, "dropout": settings.dropout}
    return Recipe("transfer", why, TextEncoder(settings.cache), None, net)
