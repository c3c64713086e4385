"""A run's events as they come, as Server-Sent Events, bounded: at most PER_CLIENT streams
from one client address and ALL in all, each open for at most LIFETIME seconds (the page
opens it again from the last event it saw). One more is refused (429, Retry-After): a
client that opens hundreds cannot take the studio's connections from everyone else."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from fastapi import Request
from fastapi.responses import StreamingResponse

from ..errors import Refused

PER_CLIENT = 8  # streams from one address (a page follows one run at a time)
ALL = 32  # streams in all
LIFETIME = 300.0  # seconds a stream stays open; the page then opens it again
POLL = 0.25  # seconds between looks at the run's events file


class Streams:
    """The event streams open now: (client address, opened at) by number."""

    def __init__(self, per_client: int = PER_CLIENT, total: int = ALL, lifetime: float = LIFETIME):
        self.per_client, self.total, self.lifetime = per_client, total, lifetime
        self.open: dict[int, tuple[str, float]] = {}
        self.numbers = itertools.count()

    def enter(self, client: str) -> int:
        now = time.monotonic()
        self.open = {k: v for k, v in self.open.items() if now - v[1] < self.lifetime + 30}  # lost ones
        if sum(c == client for c, _ in self.open.values()) >= self.per_client or len(self.open) >= self.total:
            message = "Too many live views of runs are open; close some of the studio's tabs."
            raise Refused(429, message, {"Retry-After": "5"})
        number = next(self.numbers)
        self.open[number] = (client, now)
        return number

    def leave(self, number: int) -> None:
        self.open.pop(number, None)


def follow(studio, run_id: int, after: int, request: Request) -> StreamingResponse:
    """The run's events from line `after` on, until it has finished and every line is
    sent, the page goes away or the stream's lifetime ends."""
    client = request.client.host if request.client else "unknown"
    number = studio.streams.enter(client)
    lines = _lines(studio, run_id, after, request, number)
    return StreamingResponse(lines, media_type="text/event-stream", headers={"cache-control": "no-store"})


async def _lines(studio, run_id: int, after: int, request: Request, number: int):
    path = studio.workspace.run_dir(run_id) / "events.jsonl"
    sent, ends = after, time.monotonic() + studio.streams.lifetime
    try:
        while time.monotonic() < ends and not await request.is_disconnected():
            lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            for index, line in enumerate(lines[sent:], start=sent):
                yield f"id: {index + 1}\ndata: {line}\n\n"
            sent = max(sent, len(lines))
            status = (studio.store.run(run_id) or {"status": "deleted"})["status"]
            if status not in ("queued", "running"):
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            await asyncio.sleep(POLL)
    finally:
        studio.streams.leave(number)
