"""Training checkpoints: model, best weights so far, optimizer and schedule, saved
after every epoch so that --resume continues where training stopped. Tensors in
safetensors, the rest in JSON (no pickle), each save atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ..errors import ConfigError
from ..files import swap_in

STATE, TENSORS = "state.json", "state.safetensors"


class Checkpoint:
    """A folder that holds the latest training state, tied to one data set and recipe."""

    def __init__(self, folder: str | Path, identity: dict):
        self.folder = Path(folder)
        self.identity = identity  # data fingerprint, classes, model: must match to resume

    def exists(self) -> bool:
        return self._readable() is not None

    def _readable(self) -> Path | None:
        """The checkpoint folder, or the previous one if a save was cut short mid-swap."""
        for folder in (self.folder, self._old):
            if (folder / STATE).is_file() and (folder / TENSORS).is_file():
                return folder
        return None

    @property
    def _old(self) -> Path:
        return self.folder.with_name(self.folder.name + ".old")

    def save(self, model, optimizer, schedule, extra: dict, best: dict | None) -> None:
        """Write to a temporary folder, then swap it in: a kill at any moment leaves a
        complete checkpoint (the new one, or the previous one)."""
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
        swap_in(tmp, self.folder, self._old)

    def load(self, model, optimizer, schedule) -> tuple[dict, dict | None]:
        """Restore model, optimizer and schedule; return (extra state, best weights)."""
        folder = self._readable()
        if folder is None:
            raise ConfigError(f"No checkpoint to resume from in {self.folder}; train without --resume.")
        try:
            state = json.loads((folder / STATE).read_text())
            tensors = load_file(folder / TENSORS)
        except (ValueError, OSError, SafetensorError):
            raise ConfigError(f"The checkpoint in {folder} is damaged; train without --resume.") from None
        changed = _differences(state.get("identity", {}), self.identity)
        if changed:
            raise ConfigError(
                f"The checkpoint is from other data or settings ({', '.join(changed[:4])}); use the same "
                "data and settings with --resume, or train without it to start again."
            )
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
        for folder in (self.folder, self._old):
            shutil.rmtree(folder, ignore_errors=True)


def _differences(saved: dict, now: dict, prefix: str = "") -> list[str]:
    """What differs between two identities, as 'lr: 0.003 then, 0.01 now'."""
    out = []
    for key in sorted(set(saved) | set(now)):
        a, b = saved.get(key), now.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            short = "the data" if key == "fingerprint" else f"{prefix}{key}: {a!r} then, {b!r} now"
            out.append(short)
    return out
