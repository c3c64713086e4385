"""Training checkpoints: model, best weights so far, optimizer and schedule, saved
after every epoch so that --resume continues where training stopped. Tensors in
safetensors, the rest in JSON (no pickle), each save atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..errors import ConfigError

STATE, TENSORS = "state.json", "state.safetensors"


class Checkpoint:
    """A folder that holds the latest training state, tied to one data set and recipe."""

    def __init__(self, folder: str | Path, identity: dict):
        self.folder = Path(folder)
        self.identity = identity  # data fingerprint, classes, model: must match to resume

    def exists(self) -> bool:
        return (self.folder / STATE).is_file() and (self.folder / TENSORS).is_file()

    def save(self, model, optimizer, schedule, extra: dict, best: dict | None) -> None:
        tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
        tensors |= {f"best.{k}": v for k, v in (best or {}).items()}
        opt = optimizer.state_dict()
        for index, values in opt["state"].items():
            tensors |= {f"optim.{index}.{name}": torch.as_tensor(v) for name, v in values.items()}
        state = {
            "identity": self.identity,
            "param_groups": opt["param_groups"],
            "schedule": schedule.state_dict(),
            **extra,
        }
        tmp = self.folder.with_name(f"{self.folder.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp / TENSORS)
        (tmp / STATE).write_text(json.dumps(state))
        shutil.rmtree(self.folder, ignore_errors=True)
        tmp.rename(self.folder)

    def load(self, model, optimizer, schedule) -> tuple[dict, dict | None]:
        """Restore model, optimizer and schedule; return (extra state, best weights)."""
        if not self.exists():
            raise ConfigError(f"No checkpoint to resume from in {self.folder}; train without --resume.")
        state = json.loads((self.folder / STATE).read_text())
        if state["identity"] != self.identity:
            raise ConfigError(
                "The checkpoint is from other data or settings; train without --resume to start again."
            )
        tensors = load_file(self.folder / TENSORS)
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")} or None
        per_param: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, index, name = key.split(".", 2)
                per_param.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": per_param, "param_groups": state.pop("param_groups")})
        schedule.load_state_dict(state.pop("schedule"))
        return state, best

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
