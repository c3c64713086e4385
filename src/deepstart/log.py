"""Messages and progress for people. Messages go to stderr (stdout stays clean for
--json output). Progress is one structured stream of events ({"event": "progress",
"stage", "done", "total", ...}, {"event": "epoch", ...}); listeners receive it: the
terminal's progress bars are one, the studio's live page another."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path

logger = logging.getLogger("deepstart")
_listeners: list[Callable[[dict], None]] = []


@contextmanager
def quiet(level: int = logging.WARNING):
    """Only messages of this level and above, for the time being (e.g. one line per fit
    of many, not each fit's notices)."""
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), *range(127, 160)]}  # C0, DEL, C1
_ONE_LINE = _CONTROL | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_LINES = {k: v for k, v in _CONTROL.items() if k not in (ord("\n"), ord("\t"))}


def printable(text, lines: bool = True) -> str:
    """Text for a terminal: control characters (escape sequences, bells, carriage returns)
    written out as \\x1b and the like, so that names from data cannot drive the terminal;
    lines=False also writes out newlines and tabs, so that a name cannot forge a line."""
    return str(text).translate(_LINES if lines else _ONE_LINE)


# scheme://user:password@, the password up to the last @ of the word (it may hold / or @);
# a scheme begins where no scheme's letter precedes it, so that no word is scanned twice
_PASSWORD = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*):\S{0,512}@")
_PARAMETER = re.compile(r"([?&;])([\w.-]+)=([^&#\s]*)")  # ?name=value, &name=value
_SECRET_NAMES = ("pass", "pwd", "secret", "token", "key", "sig", "credential")  # password=, secret_key=...


def redacted(text) -> str:
    """Text with the password of every URL in it written as *** (scheme://user:***@host/db,
    ?password=***), for messages, logs and files people read: a --storage or --cluster
    URL may hold one."""
    text = _PASSWORD.sub(r"\1:***@", str(text))
    return _PARAMETER.sub(_hidden_parameter, text) if "=" in text else text


def _hidden_parameter(found: re.Match) -> str:
    secret = found[3] and any(word in found[2].lower() for word in _SECRET_NAMES)
    return f"{found[1]}{found[2]}=***" if secret else found[0]


class _Printable(logging.Formatter):
    """One message as printed: control characters written out, URLs' passwords hidden."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(redacted(super().format(record)))


def setup(verbose: bool = True) -> None:
    """Print deepstart's messages plainly on stderr, and progress bars on a terminal
    (called by the CLI); control characters from data are written out, passwords hidden."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Printable("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
    _listeners[:] = [listener for listener in _listeners if not isinstance(listener, TerminalBars)]
    if verbose:
        _listeners.append(TerminalBars())


_WARNINGS = "deepstart.warnings"  # the name of the handler warnings_to installs


def warnings_to(path: Path) -> bool:
    """Python's warnings (warnings.warn: torch.onnx's, scikit-learn's...) appended to the
    file at path instead of printed: the terminal is for deepstart's own messages, whose
    logger keeps its handler. Called again, the file changes; False, and nothing
    changed, if the file cannot be opened."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=1, encoding="utf-8")
    except OSError:
        return False
    handler.name = _WARNINGS
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    found = logging.getLogger("py.warnings")  # the logger logging.captureWarnings writes to
    for old in [h for h in found.handlers if h.name == _WARNINGS]:
        found.removeHandler(old)
        old.close()
    found.addHandler(handler)
    found.propagate = False
    logging.captureWarnings(True)
    return True


def say(message: str) -> None:
    logger.info(message)


def warn(message: str) -> None:
    logger.warning(message)


@contextmanager
def listening(listener: Callable[[dict], None]):
    """Send every progress event to listener(event) for the time being."""
    _listeners.append(listener)
    try:
        yield listener
    finally:
        _listeners.remove(listener)


@contextmanager
def muted():
    """No messages but warnings, and no progress events, for the time being (work done
    many times over, such as a network trained once per fold, reported as one stage)."""
    before = _listeners[:]
    _listeners.clear()
    try:
        with quiet():
            yield
    finally:
        _listeners[:] = before


def emit(event: str, **data) -> None:
    """One event to every listener: {"event": event, "time": seconds since the epoch, **data}."""
    if _listeners:
        found = {"event": event, "time": round(time.time(), 3), **data}
        for listener in list(_listeners):
            listener(found)


class Progress:
    """A stage of work with a known size (images read, epochs trained), reported as
    "progress" events: where it stands, and the last figures it noted (postfix)."""

    def __init__(self, iterable=None, total=None, desc: str = "", unit: str = "it", initial: int = 0):
        self.iterable, self.stage, self.unit = iterable, desc, unit
        self.total = len(iterable) if total is None and hasattr(iterable, "__len__") else total
        self.done, self.postfix = initial, {}
        self._report()

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        self._report()

    def set_postfix(self, values: dict) -> None:
        self.postfix = dict(values)
        self._report()

    def close(self) -> None:
        self._report(finished=True)

    def _report(self, finished: bool = False) -> None:
        emit(
            "progress",
            stage=self.stage,
            done=self.done,
            total=self.total,
            unit=self.unit,
            postfix=self.postfix,
            finished=finished,
        )


def progress(iterable=None, *, total=None, desc: str = "", unit: str = "it", initial: int = 0) -> Progress:
    """A stage of work reported to the listeners (on a terminal: a progress bar)."""
    return Progress(iterable, total, desc, unit, initial)


class TerminalBars:
    """Progress events as tqdm bars on stderr, one per stage, shown only on a terminal
    and when messages are on."""

    def __init__(self):
        self.bars = {}

    def __call__(self, event: dict) -> None:
        if event["event"] != "progress" or not logger.isEnabledFor(logging.INFO):
            return
        stage = event["stage"]
        bar = self.bars.get(stage)
        if bar is None and not event["finished"]:
            from tqdm.auto import tqdm

            bar = self.bars[stage] = tqdm(
                total=event["total"],
                initial=event["done"],
                desc=stage,
                unit=event["unit"],
                file=sys.stderr,
                disable=None,  # on a terminal only
                leave=False,
                dynamic_ncols=True,
            )
        if bar is None:
            return
        bar.update(event["done"] - bar.n)
        if event["postfix"]:
            shown = {k: f"{v:.4f}" if isinstance(v, float) else v for k, v in event["postfix"].items()}
            bar.set_postfix(shown)
        if event["finished"]:
            bar.close()
            del self.bars[stage]
