"""all-MiniLM-L6-v2 with a classifier on its sentence embedding, the transformer
trained too (fine-tuning); lower layers get smaller learning rates, the token
embeddings none."""

from __future__ import annotations

import torch
from torch import nn

from . import minilm


class TextFineTuneNet(nn.Module):
    """(B, L) token ids, 0 for padding -> (B, n_classes)."""

    def __init__(self, n_classes: int, dropout: float = 0.1):
        super().__init__()
        self.body = minilm.build_embedding(pretrained=False)  # weights come from the artifact
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(minilm.DIM, n_classes))

    def load_pretrained(self) -> None:
        """Start from the sentence-transformers weights (before fine-tuning)."""
        self.body.transformer.load_state_dict(minilm.pretrained_state(), strict=True)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = ids != minilm.PAD_ID
        length = max(int(mask.sum(1).max()), 1)  # drop the padding every text in the batch has
        ids, mask = ids[:, :length].long(), mask[:, :length].long()
        return self.head(self.body(ids, mask))

    def param_groups(self, lr: float, decay: float = 0.8) -> list[dict]:
        """Layer-wise learning rates: the head and the top layer get lr, each layer
        below decay x less. The token embeddings (half the weights) stay frozen: they
        cover words the training texts may never show."""
        transformer = self.body.transformer
        for p in transformer.embeddings.parameters():
            p.requires_grad_(False)
        groups = [{"params": list(self.head.parameters()), "lr": lr}]
        for depth, layer in enumerate(reversed(transformer.encoder.layer)):
            groups.append({"params": list(layer.parameters()), "lr": lr * decay**depth})
        return groups
