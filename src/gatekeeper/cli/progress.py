"""Progress on a terminal for the commands that read every release (status, audit): one
line on stderr, rewritten in place, once the work has taken more than a second; nothing
when stderr is not a terminal, and never anything on stdout."""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """Call it with (done, total); `close` wipes the line."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._start = time.monotonic()
        self._after = _seconds(os.environ.get("GATE_PROGRESS_AFTER", "1"))
        self._on = sys.stderr.isatty()
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        if not self._on or time.monotonic() - self._start < self._after:
            return
        line = f"{self._what}: {done}/{total} releases"
        self._width = max(self._width, len(line))
        sys.stderr.write(f"\r{line}")
        sys.stderr.flush()

    def close(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()


def _seconds(raw: str) -> float:
    """GATE_PROGRESS_AFTER: the seconds before progress shows (a number, 0 or more)."""
    import math

    from gatekeeper.errors import InputError

    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"GATE_PROGRESS_AFTER={raw!r}: expected a number of seconds, 0 or more",
            hint="unset it (progress after 1 s), or set e.g. GATE_PROGRESS_AFTER=5",
        )
    return value
