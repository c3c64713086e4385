"""The service's queue: requests are collected into batches for one worker thread that
runs the model, so requests never compete for the CPU's cores; the limits that keep it
bounded."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import Refused
from .http import READ_TIMEOUT


@dataclass
class Limits:
    max_body: int = 8_000_000  # bytes per request
    max_pixels: int = 40_000_000  # per image, read from its header before it is decoded
    max_request_pixels: int = 100_000_000  # all the images of one request (decoding time is shared)
    max_inputs: int = 64  # per request
    max_text: int = 10_000  # characters per text
    max_seconds: float = 600.0  # per recording, read from its header before it is decoded
    max_request_seconds: float = 1800.0  # all the recordings of one request
    max_queue: int = 256  # inputs waiting for the model
    max_batch: int = 32  # inputs per model call
    max_wait_ms: float = 5.0  # how long the first request waits for others to fill a batch
    timeout: float = 30.0  # seconds per request, waiting included
    read_timeout: float = READ_TIMEOUT  # seconds for a request's headers to arrive (see http.py)


EXPLAINING = 4  # explanations at once (each is many predictions); more get 503


def busy() -> Refused:
    return Refused(503, "The service is busy; try again in a moment.", {"Retry-After": "1"})


class Batcher:
    """Collects requests into batches for one worker thread that runs the model."""

    def __init__(self, run, limits: Limits):
        self.run, self.limits = run, limits
        self.queue: asyncio.Queue | None = None
        self.waiting = 0  # inputs queued, not yet taken by the worker
        self.explaining = 0  # explanations waiting or running
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="deepstart-model")
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._work())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, items) -> list[dict]:
        n = len(items)
        if n > self.limits.max_queue:
            raise Refused(413, f"At most {self.limits.max_queue} inputs at once; send fewer.")
        if self.waiting + n > self.limits.max_queue:
            raise busy()
        future = asyncio.get_running_loop().create_future()
        self.waiting += n
        self.queue.put_nowait((items, future))
        return await future

    async def call(self, function, *args):
        """Run something else on the model's thread (an explanation), in turn; a few at a
        time, and each counts as one waiting input."""
        if self.explaining >= EXPLAINING or self.waiting + 1 > self.limits.max_queue:
            raise busy()
        self.explaining += 1
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)
        finally:
            self.explaining -= 1
            self.waiting -= 1

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            size = len(batch[0][0])
            deadline = loop.time() + self.limits.max_wait_ms / 1000
            while size < self.limits.max_batch:
                try:
                    job = await asyncio.wait_for(self.queue.get(), max(deadline - loop.time(), 0))
                except TimeoutError:
                    break
                batch.append(job)
                size += len(job[0])
            self.waiting -= size
            live = [(items, future) for items, future in batch if not future.done()]
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self.executor, self._run_batch, live)
            except Exception as e:  # noqa: BLE001 - handed to each request, never lost
                results = [e] * len(live)
            for (_, future), result in zip(live, results):
                if not future.done():
                    (future.set_exception if isinstance(result, Exception) else future.set_result)(result)

    def _run_batch(self, jobs) -> list:
        """All jobs in one model call; if that fails, each on its own, so that one bad
        request gets its own error and the others their answers."""
        try:
            records = self.run([item for items, _ in jobs for item in items])
        except Exception:  # noqa: BLE001 - retried one by one below
            if len(jobs) == 1:
                raise
            out = []
            for items, _ in jobs:
                try:
                    out.append(self.run(items))
                except Exception as e:  # noqa: BLE001
                    out.append(e)
            return out
        out, start = [], 0
        for items, _ in jobs:
            out.append(records[start : start + len(items)])
            start += len(items)
        return out
