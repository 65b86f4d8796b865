"""SIGINT/SIGTERM as an exception, so every ``try/finally`` removes its temporary files.

The handler raises :class:`Interrupted` (a ``BaseException``), so the atomic writers'
``except BaseException`` clean-up runs as for any other failure; ``cli.main`` then prints
one line ``error: interrupted`` and exits 128 + the signal number (130 SIGINT, 143 SIGTERM).
"""

from __future__ import annotations

import _signal as signal  # the C module: importing `signal` costs ~5 ms of enum
import os
from types import FrameType

__all__ = ["Interrupted", "arm", "install"]

# False until cli.main is inside its try block: before that no temporary file exists and
# nothing can catch the exception, so the handler prints the line and exits directly.
_armed = False


class Interrupted(BaseException):
    """Raised in the main thread when SIGINT or SIGTERM arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    # Ignore further signals while unwinding, so the clean-up itself is not cut short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if not _armed:
        os.write(2, b"error: interrupted\n")
        os._exit(128 + signum)
    raise Interrupted(signum)


def arm() -> None:
    """From now on a signal raises :class:`Interrupted` (cli.main catches it)."""
    global _armed
    _armed = True


def install() -> None:
    """Route SIGINT and SIGTERM to :class:`Interrupted` (main thread only)."""
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)
