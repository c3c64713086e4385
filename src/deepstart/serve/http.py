"""How deepstart's services listen: uvicorn, with a deadline on reading each request and
room kept for clients that are served.

uvicorn closes a connection that stays idle between requests, but not one that is slow
to send its request: a few hundred sockets that each send a header line now and then
would hold every connection. Here a request's headers must arrive within `read_timeout`
seconds of its first byte (or of the connection, for one that sends nothing), and its
body within `read_timeout` more plus one second per `MIN_RATE` bytes it declares; a
connection that misses its deadline is closed. At `max_connections`, a new connection
closes the oldest one that has not sent its request whole (idle, or still sending), so
slow clients cannot lock others out; a connection whose request has arrived is never
closed for it."""

from __future__ import annotations

import functools
import time

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

READ_TIMEOUT = 10.0  # seconds for a request's headers, and for its body beyond MIN_RATE
MIN_RATE = 64_000  # bytes per second a body may take at the slowest (an 8 MB body: 125 s more)
MAX_CONNECTIONS = 256
READING = (h11.IDLE, h11.SEND_BODY)  # the client's states while its request has not arrived whole


class Deadlines(H11Protocol):
    """uvicorn's HTTP/1.1 protocol (h11), with a deadline on reading each request."""

    def __init__(self, *args, read_timeout: float, max_connections: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.read_timeout, self.max_connections = read_timeout, max_connections
        self.opened = time.monotonic()
        self.deadline = None  # the timer that closes the connection; None: not reading a request
        self.body_timed = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(self.read_timeout)
        if len(self.connections) > self.max_connections:
            waiting = [c for c in self.connections if c is not self and c.evictable()]
            min(waiting, key=lambda c: c.opened, default=self).close()

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and self.conn.their_state is h11.IDLE:  # a new request begins
            self._arm(self.read_timeout)
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY and not self.body_timed:
            self.body_timed = True
            declared = dict(self.headers).get(b"content-length", b"0")
            length = int(declared) if declared.isdigit() else 0
            self._arm(self.read_timeout + length / MIN_RATE)
        elif state not in READING:
            self._disarm()
            self.body_timed = False

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def evictable(self) -> bool:
        """Idle between requests or still sending one: no answer is owed yet."""
        return self.conn.their_state in READING

    def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self.close)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None


def config(
    app,
    host: str = "127.0.0.1",
    port: int = 8000,
    read_timeout: float = READ_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    **options,
) -> uvicorn.Config:
    """uvicorn's settings for a deepstart service: quiet, no Server header, idle
    connections closed after 5 s, and the read deadlines above."""
    protocol = functools.partial(Deadlines, read_timeout=read_timeout, max_connections=max_connections)
    settings = dict(log_level="warning", timeout_keep_alive=5, server_header=False) | options
    return uvicorn.Config(app, host=host, port=port, http=protocol, **settings)


def run(app, host: str, port: int, **options) -> None:
    uvicorn.Server(config(app, host, port, **options)).run()
