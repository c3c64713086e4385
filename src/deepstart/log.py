"""Messages for people go to stderr, so stdout stays clean for --json output."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

logger = logging.getLogger("deepstart")


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


def setup(verbose: bool = True) -> None:
    """Print deepstart's messages plainly on stderr (called by the CLI)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def say(message: str) -> None:
    logger.info(message)


def warn(message: str) -> None:
    logger.warning(message)


def progress(iterable=None, *, total=None, desc: str = "", unit: str = "it", initial: int = 0):
    """A progress bar on stderr, shown only on a terminal and when messages are on."""
    from tqdm.auto import tqdm

    quiet = not logger.isEnabledFor(logging.INFO)
    return tqdm(
        iterable,
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=True if quiet else None,
        leave=False,
        dynamic_ncols=True,
    )
