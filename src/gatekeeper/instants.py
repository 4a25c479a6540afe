"""Moments past the calendar's end: git takes dates after the year 9999 and a record may
say 9999-12-31, so a deadline after one (`+ 48 hours`) must not crash a check. Such a
moment is the latest date there is: never before anything, never due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

LATEST = datetime.max.replace(tzinfo=UTC)


def after(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, or LATEST when that is past the year 9999."""
    try:
        return moment + delta
    except OverflowError:
        return LATEST


def shifted(moment: datetime, delta: timedelta) -> datetime | None:
    """`moment + delta`, or None when that leaves the calendar (years 1 to 9999): the
    clock is compared with it only when there is such a time (gatekeeper/clock.py)."""
    try:
        return moment + delta
    except OverflowError:
        return None


def is_latest(moment: datetime) -> bool:
    """Whether `moment` lies in the calendar's last days, where converting it to another
    zone may leave the calendar (no zone can be asked about it)."""
    return moment.replace(tzinfo=None) >= datetime(9999, 12, 30)
