"""One error model for clusterms.

Every error a user can cause derives from :class:`ClustermsError`; the command line turns
them into one line ``error: ...`` on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "ClustermsError",
    "ClustermsWarning",
    "InputFileError",
    "NotationError",
    "OptionError",
    "OutputError",
]


class ClustermsError(Exception):
    """Base class of every error caused by the user's input or options."""


class NotationError(ClustermsError, ValueError):
    """A species string that cannot be parsed; shows a caret under the fault.

    Parameters
    ----------
    message
        What is wrong.
    text
        The text being parsed.
    position
        Index of the offending character in ``text`` (``None`` if not applicable).
    """

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None:
            return f"{self.message}: {self.text!r}" if self.text else self.message
        shown = self.text if len(self.text) <= 120 else self.text[:117] + "..."
        pos = min(self.position, len(shown))
        return f"{self.message} at position {self.position}\n  {shown}\n  {' ' * pos}^"

    def one_line(self) -> str:
        """The message on one line (for the command line)."""
        if self.position is None:
            return f"{self.message}: {self.text!r}" if self.text else self.message
        return f"{self.message} at position {self.position} in {self.text[:200]!r}"


class InputFileError(ClustermsError, ValueError):
    """An input file that is missing, unreadable, empty, damaged or of an unknown kind."""


class OptionError(ClustermsError, ValueError):
    """An option value that is out of range or inconsistent with the others."""


class OutputError(ClustermsError, OSError):
    """An output that cannot be written (exists without --force, no permission ...)."""


class ClustermsWarning(UserWarning):
    """Something was repaired or dropped from the input (rows with NaN, duplicates ...).

    The command line prints these as ``warning: ...`` lines on stderr.
    """
