"""Who may use the studio: whoever holds its secret, also on this machine's own address
(any web page the user visits can send requests to 127.0.0.1). As Jupyter does it: a
random token in the link the studio prints, exchanged once for an HttpOnly,
SameSite=Strict cookie that only the studio's own pages send; programs send the token
as a bearer header. The bare address says how to get in."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.requests import cookie_parser

from ..errors import Refused

ENTER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deepstart studio</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/studio.css">
</head><body><main>
<h1>deepstart studio</h1>
<p id="enter">{message}</p>
<form method="get" action="/"><label>Token <input name="token" type="password" autocomplete="off"
required></label> <button>Open the studio</button></form>
</main></body></html>
"""


class Session:
    """The studio's secret: the token, and the cookie a browser keeps in its place."""

    how_to_enter = (
        "Open the studio through the link printed where it was started "
        "(the link ends in ?token=…), or enter its token."
    )

    def __init__(self, token: str | None = None):
        self.token = token or secrets.token_urlsafe(32)
        digest = hashlib.sha256(self.token.encode()).hexdigest()
        self.name = f"deepstart-studio-{digest[:12]}"  # one per studio: two studios keep both
        self.value = hmac.new(self.token.encode(), b"deepstart studio session", hashlib.sha256).hexdigest()

    def admits(self, token: str) -> bool:
        return secrets.compare_digest(token.encode(), self.token.encode())

    def holds(self, cookies: str) -> bool:
        """Whether a request's Cookie header carries this studio's cookie."""
        given = cookie_parser(cookies).get(self.name, "")
        return secrets.compare_digest(given.encode(), self.value.encode())

    @property
    def cookie(self) -> str:
        return f"{self.name}={self.value}; HttpOnly; SameSite=Strict; Path=/"

    def link(self, url: str) -> str:
        return f"{url}?token={self.token}"


def page(request: Request, session: Session, html: str, headers: dict) -> HTMLResponse:
    """The studio's page to whoever holds the secret (a link's token is exchanged for the
    cookie here, once); to anyone else, one line on how to get in."""
    given = request.query_params.get("token")
    if given is not None and session.admits(given):
        cookie = {"set-cookie": session.cookie, "cache-control": "no-store"}
        return HTMLResponse(html, headers=headers | cookie)
    if session.holds(request.headers.get("cookie", "")):
        return HTMLResponse(html, headers=headers)
    wrong = "" if given is None else "That token is not this studio's. "
    message = wrong + session.how_to_enter
    return HTMLResponse(ENTER.format(message=message), status_code=401, headers=headers)


async def json_body(request: Request):
    """The body of a route that takes JSON: only as application/json, which a web page
    elsewhere cannot send without the browser asking this studio first (and it says no)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, "Send JSON (content-type application/json).")
    try:
        return await request.json()
    except (ValueError, RecursionError):
        raise Refused(400, "The body is not valid JSON.") from None
