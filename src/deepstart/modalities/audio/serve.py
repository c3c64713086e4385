"""What a service needs of a sound model: recordings arrive as uploaded files, refused
from their headers when they last too long, before any is decoded."""

from __future__ import annotations

from ...errors import RequestError, TooLarge
from ..service import Uploads
from .encoder import declared_seconds


class AudioService(Uploads):
    accept, capture, shows = ("audio/*", ".wav", ".flac", ".ogg", ".mp3"), "microphone", "sound"

    def check_uploads(self, data: list[bytes], names: list[str], limits) -> None:
        total = 0.0
        for name, item in zip(names, data):
            seconds = declared_seconds(item)  # None: not a sound file, which reading reports
            if seconds is not None and seconds > limits.max_seconds:
                raise RequestError(
                    f"{name}: too long ({seconds:,.0f} s, limit {limits.max_seconds:,.0f} s); "
                    "send a shorter recording.",
                )
            total += seconds or 0.0
        if total > limits.max_request_seconds:
            raise TooLarge(
                f"The recordings of this request last {total:,.0f} s in all "
                f"(limit {limits.max_request_seconds:,.0f} s); send fewer at once.",
            )
