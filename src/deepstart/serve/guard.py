"""Before anything reads a request: the Host header (a name other than this machine's is
DNS rebinding from a web page elsewhere), the site it comes from (a browser's request
that changes something must come from the service's own page), the secret (a bearer
token, or a session cookie; compared in constant time) and the body limit (the declared
length, then the bytes as they arrive). Every answer tells browsers not to let other
sites frame it."""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse

from ..errors import Refused

SAFE_METHODS = (b"GET", b"HEAD", b"OPTIONS")
FRAMING = {  # unless a route says otherwise: no site may show the page inside its own
    b"content-security-policy": b"frame-ancestors 'none'",
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
}


class Guard:
    """The checks above, in that order. token: the secret every request but open_paths
    needs (None: none); session: what else may carry it (the studio's cookie), an object
    whose holds(cookie_header) says whether a request's cookies do."""

    def __init__(
        self,
        app,
        limits,
        token: str | None,
        max_body: int | None = None,
        open_paths=None,
        hosts=None,
        session=None,
    ):
        self.app, self.limits, self.token, self.hosts, self.session = app, limits, token, hosts, session
        self.max_body = max_body or limits.max_body
        self.open_paths = open_paths or ("/", "/health", "/docs-assets/", "/page/")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = _framed(send)
        headers = dict(scope["headers"])
        refused = self._refusal(scope, headers)
        if refused is not None:
            return await error(*refused)(scope, receive, send)
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

    def _refusal(self, scope, headers: dict) -> tuple[int, str] | None:
        """(status, message) for a request refused before it is read; None: go on."""
        if self.hosts is not None and _host_name(headers) not in self.hosts:
            return 400, "This service answers requests to this machine's own address only (the Host header)."
        if scope["method"].encode() not in SAFE_METHODS and cross_site(headers):
            return 403, (
                "Requests from other web sites are refused: use this service's own page, "
                "or a program that is not a browser."
            )
        if self.token is not None and not self._open(scope["path"]) and not self._admitted(headers):
            return 401, self.needs_token
        return None

    @property
    def needs_token(self) -> str:
        if self.session is not None:
            return self.session.how_to_enter
        return "This service needs a token: send the header 'Authorization: Bearer <token>'."

    def _admitted(self, headers: dict) -> bool:
        given = headers.get(b"authorization", b"")
        bearer = secrets.compare_digest(given, f"Bearer {self.token}".encode())
        cookies = headers.get(b"cookie", b"").decode("latin-1")
        return bearer or (self.session is not None and self.session.holds(cookies))

    def _open(self, path: str) -> bool:
        """What needs no token: the page (which asks for it), /health, the page's own files."""
        return any(
            path == p or (p.endswith("/") and p != "/" and path.startswith(p)) for p in self.open_paths
        )


def cross_site(headers: dict) -> bool:
    """Whether a browser sent the request from a page of another origin (another site, or
    another port of this machine): by Sec-Fetch-Site where the browser sends it, else by
    Origin against the Host it was sent to. Programs (curl) send neither: not cross-site."""
    fetched_from = headers.get(b"sec-fetch-site")
    if fetched_from is not None and fetched_from not in (b"same-origin", b"none"):
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False
    scheme, _, where = origin.decode("latin-1").partition("://")
    host = headers.get(b"host", b"").decode("latin-1")
    return scheme not in ("http", "https") or where.lower() != host.lower()


def _framed(send):
    """send, adding FRAMING's headers to the start of every answer that lacks them."""

    async def framed(message):
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in FRAMING.items() if k not in present]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return framed


def _host_name(headers: dict) -> str:
    """The Host header without its port: "[::1]:8000" -> "[::1]", "localhost:8000" -> "localhost"."""
    host = headers.get(b"host", b"").decode("latin-1").strip()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.split(":", 1)[0]


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
