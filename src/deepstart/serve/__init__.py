"""`deepstart serve`: create_app wires the routes, the guard and the batcher around one
loaded model; serve runs it with uvicorn."""

from .app import create_app, serve
from .batcher import Limits

__all__ = ["Limits", "create_app", "serve"]
