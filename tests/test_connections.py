"""The service's connections: slow or idle clients are closed at their deadline and
cannot lock out a client that is served (127.0.0.1 only; bounded in count and time)."""

import socket
import time
import urllib.request

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from deepstart.serve.http import MIN_RATE

from conftest import live_server

SLOW = 40  # clients that send part of a request and stop
ROOM = 20  # connections the server keeps open at once
READ_TIMEOUT = 1.0


async def health(request):
    return JSONResponse({"ok": True})


async def echo(request):
    return JSONResponse({"bytes": len(await request.body())})


APP = Starlette(routes=[Route("/health", health), Route("/echo", echo, methods=["POST"])])


def connect(url: str, first: bytes) -> socket.socket:
    host, port = url.split("//")[1].rstrip("/").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(first)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (recv gives b'') within seconds."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_headers_neither_lock_out_others_nor_stay_open():
    with live_server(APP, read_timeout=READ_TIMEOUT, max_connections=ROOM) as url:
        part = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never finished
        slow = [connect(url, part) for _ in range(SLOW)]
        started = time.monotonic()
        for _ in range(5):  # a normal client is served at once while they hold sockets
            with urllib.request.urlopen(url + "health", timeout=5) as answer:
                assert answer.status == 200
        assert time.monotonic() - started < READ_TIMEOUT
        closed = sum(closed_within(s, 3 * READ_TIMEOUT) for s in slow)
        assert closed == SLOW  # evicted to make room, or closed at the deadline
        for s in slow:
            s.close()


def test_a_silent_connection_and_a_slow_body_are_closed_at_their_deadlines():
    with live_server(APP, read_timeout=READ_TIMEOUT, max_connections=ROOM) as url:
        silent = connect(url, b"")
        declared = MIN_RATE // 2  # half a second more for the body
        head = f"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {declared}\r\n\r\n".encode()
        body = connect(url, head + b"x" * 100)
        started = time.monotonic()
        assert closed_within(silent, 3 * READ_TIMEOUT)
        assert closed_within(body, 3 * READ_TIMEOUT)
        assert time.monotonic() - started < 3 * READ_TIMEOUT
        whole = connect(url, head + b"x" * declared)  # the same request sent whole is answered
        whole.settimeout(5)
        assert whole.recv(4096).startswith(b"HTTP/1.1 200")
        for s in (silent, body, whole):
            s.close()


def test_the_service_answers_while_slow_uploads_hold_its_connections(trained, digits_root, caplog):
    from deepstart.serve import create_app

    digit = sorted((digits_root / "7").iterdir())[0].read_bytes()
    with live_server(create_app(trained), read_timeout=READ_TIMEOUT, max_connections=ROOM) as url:
        head = (
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
            b"Content-Type: multipart/form-data; boundary=zz\r\n\r\n--zz\r\n"
        )
        slow = [connect(url, head) for _ in range(SLOW)]  # bodies that never finish
        for _ in range(3):
            request = urllib.request.Request(
                url + "predict",
                data=b"--zz\r\nContent-Disposition: form-data; name=file; filename=d.png\r\n"
                b"Content-Type: image/png\r\n\r\n" + digit + b"\r\n--zz--\r\n",
                headers={"Content-Type": "multipart/form-data; boundary=zz"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200 and b'"label"' in answer.read()
        assert sum(closed_within(s, 5 * READ_TIMEOUT) for s in slow) == SLOW
        for s in slow:
            s.close()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # no tracebacks logged
