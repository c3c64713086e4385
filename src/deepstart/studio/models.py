"""The studio's loaded models, for trying them in the page: loaded on first use (in a
thread, so the page keeps answering), a few kept, ready as `deepstart serve` has them."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from ..errors import Refused
from ..loading import load_model
from ..serve.app import metadata
from ..serve.batcher import Limits

KEPT = 2  # models kept loaded at once


class Models:
    def __init__(self, workspace, store, limits: Limits):
        self.workspace, self.store, self.limits = workspace, store, limits
        self.loaded: OrderedDict = OrderedDict()
        self.info: dict[int, dict] = {}
        self.lock = asyncio.Lock()

    async def get(self, run_id: int):
        async with self.lock:
            if run_id not in self.loaded:
                run = self.store.run(run_id)
                folder = self.workspace.run_dir(run_id) / "model"
                if run is None or run["status"] != "done" or not folder.is_dir():
                    raise Refused(409, "This run has no model to try (it has not finished training).")
                model = await asyncio.to_thread(load_model, folder)
                model.modality.service.prepare_for_serving(model, self.limits)
                self.loaded[run_id] = model
                self.info[run_id] = metadata(model, self.limits, False)
                while len(self.loaded) > KEPT:
                    gone, _ = self.loaded.popitem(last=False)
                    self.info.pop(gone, None)
            self.loaded.move_to_end(run_id)
            return self.loaded[run_id]

    def metadata(self, run_id: int, model) -> dict:
        return self.info[run_id]

    def forget(self, run_id: int) -> None:
        self.loaded.pop(run_id, None)
        self.info.pop(run_id, None)
