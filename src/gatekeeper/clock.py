"""The time a judgement is made at, remembering what it was compared with.

A release's verdict depends on the clock only through comparisons: a deadline passed,
a record not yet made, an approval expired. So a verdict holds for every moment that
answers each of those comparisons the same way, a window [since, until). `Moment` is
the time judged: a datetime that narrows its window on every comparison and marks the
window `read` on any other use (formatted, shifted, converted to a zone, hashed). A
verdict whose clock was read holds at that one moment only and is never kept.

Why a subclass of datetime: code that judges needs no change to be tracked, and every
use Python can see goes through here (the interpreter tries a subclass's reflected
operator first, so `due < moment` and `due - moment` are seen as well). What it cannot
see is C code reading the fields directly (a pydantic model or orjson given the moment);
nothing that judges does either, and `tests/test_kept_status.py` compares kept and
fresh statuses on either side of every boundary it sets up.
"""

from __future__ import annotations

import operator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_TICK = timedelta(microseconds=1)


@dataclass
class Window:
    """The moments a judgement holds for: `since` ≤ t < `until` (None: unbounded)."""

    since: datetime | None = None
    until: datetime | None = None
    read: bool = False  # the clock was used other than compared: this moment only

    def holds(self, at: datetime) -> bool:
        """Whether a judgement made with this window holds at `at`."""
        if self.read:
            return False
        return (self.since is None or self.since <= at) and (self.until is None or at < self.until)

    def split(self, at: datetime, point: datetime | None) -> None:
        """Moments before `point` answer one way, the rest the other: keep `at`'s side."""
        if point is None:  # past the calendar's end: every moment is before it
            return
        if at < point:
            self.until = point if self.until is None else min(self.until, point)
        else:
            self.since = point if self.since is None else max(self.since, point)


_JUDGING: ContextVar[Window | None] = ContextVar("judging", default=None)


@contextmanager
def judging(window: Window) -> Iterator[None]:
    """While a judgement is made: what reads the machine's clock marks `window` read."""
    token = _JUDGING.set(window)
    try:
        yield
    finally:
        _JUDGING.reset(token)


def wall_clock() -> datetime:
    """The machine's time now, for what has no time judged to go by (a check given no
    clock, ssh-keygen judging a key's validity): the judgement being made, if any,
    holds at this moment only."""
    window = _JUDGING.get()
    if window is not None:
        window.read = True
    return datetime.now(UTC)


def _after(moment: datetime) -> datetime | None:
    """The next microsecond as an instant (in UTC: a zone's wall clock may repeat or skip
    an hour), or None past the calendar's end."""
    try:
        return moment.astimezone(UTC) + _TICK
    except OverflowError:
        return None


class Moment(datetime):
    """`at`, as a datetime whose comparisons and other uses are remembered in `window`."""

    _at: datetime
    window: Window

    def __new__(cls, at: datetime) -> Moment:
        made = super().__new__(
            cls,
            at.year,
            at.month,
            at.day,
            at.hour,
            at.minute,
            at.second,
            at.microsecond,
            at.tzinfo,
            fold=at.fold,
        )
        object.__setattr__(made, "_at", at)
        object.__setattr__(made, "window", Window())
        return made

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.lt, "at")

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.ge, "at")

    def __le__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.le, "after")

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.gt, "after")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.eq, "both")

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, datetime):
            return NotImplemented
        return self._split(other, operator.ne, "both")

    def _split(self, other: datetime, op: Callable[[datetime, datetime], bool], edge: str) -> bool:
        """`<` and `>=` split the clock at `other`, `<=` and `>` a microsecond later,
        `==` and `!=` at both (equal at one microsecond only)."""
        at: datetime = object.__getattribute__(self, "_at")
        window: Window = object.__getattribute__(self, "window")
        if isinstance(other, Moment) or other.utcoffset() is None:
            window.read = True  # two clocks, or a time that is no instant: no boundary
        plain = _plain(other)
        result = bool(op(at, plain))  # a naive time raises here, as with a datetime
        if not window.read:
            if edge in {"at", "both"}:
                window.split(at, plain)
            if edge in {"after", "both"}:
                window.split(at, _after(plain))
        return result

    def __getattribute__(self, name: str) -> Any:
        if name in _TRACKING:
            return object.__getattribute__(self, name)
        return getattr(self._read(), name)

    def _read(self) -> datetime:
        """The plain time, for a use that is no comparison."""
        object.__getattribute__(self, "window").read = True
        at: datetime = object.__getattribute__(self, "_at")
        return at

    def __hash__(self) -> int:
        return hash(self._read())

    def __str__(self) -> str:
        return str(self._read())

    def __repr__(self) -> str:
        return repr(self._read())

    def __format__(self, spec: str) -> str:
        return format(self._read(), spec)

    def __add__(self, other: Any) -> Any:
        return self._read() + other

    def __radd__(self, other: Any) -> Any:
        return other + self._read()

    def __sub__(self, other: Any) -> Any:
        return self._read() - _plain(other)

    def __rsub__(self, other: Any) -> Any:
        return other - self._read()

    def __reduce__(self) -> Any:
        return self._read().__reduce__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self._read().__reduce_ex__(protocol)


_TRACKING = frozenset({"_at", "window", "_split", "_read", "__class__", "__dict__"})


def _plain(value: Any) -> Any:
    """A moment as the datetime it stands for (read); anything else as it is."""
    return value._read() if isinstance(value, Moment) else value
