"""Before anything reads a request: the token (compared in constant time) and the body
limit (the declared length, then the bytes as they arrive)."""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse

from ..errors import Refused


class Guard:
    """Before anything reads a request: the token, and the body limit (the declared
    length, then the bytes as they arrive)."""

    def __init__(
        self, app, limits, token: str | None, max_body: int | None = None, open_paths=None, hosts=None
    ):
        self.app, self.limits, self.token, self.hosts = app, limits, token, hosts
        self.max_body = max_body or limits.max_body
        self.open_paths = open_paths or ("/", "/health", "/docs-assets/")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.hosts is not None and _host_name(headers) not in self.hosts:
            message = "This service answers requests to this machine's own address only (the Host header)."
            return await error(400, message)(scope, receive, send)
        if self.token is not None and not self._open(scope["path"]):
            given = headers.get(b"authorization", b"")
            if not secrets.compare_digest(given, f"Bearer {self.token}".encode()):
                message = "This service needs a token: send the header 'Authorization: Bearer <token>'."
                return await error(401, message)(scope, receive, send)
        limit = self.max_body
        too_large = f"The request is larger than the limit of {limit:,} bytes."
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            return await error(413, too_large)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise Refused(413, too_large)
            return message

        await self.app(scope, counted, send)

    def _open(self, path: str) -> bool:
        """What needs no token: the page (which asks for it), /health, the page's own files."""
        return any(
            path == p or (p.endswith("/") and p != "/" and path.startswith(p)) for p in self.open_paths
        )


def _host_name(headers: dict) -> str:
    """The Host header without its port: "[::1]:8000" -> "[::1]", "localhost:8000" -> "localhost"."""
    host = headers.get(b"host", b"").decode("latin-1").strip()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.split(":", 1)[0]


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
