"""Recurring freeze windows: RFC 5545 RRULEs through python-dateutil, within limits that
keep a check fast whatever the policy says.

dateutil finds an occurrence by walking every period from the window's start, and walks
to the year 9999 when a rule never occurs (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`). So a
rule recurs at most daily and at one time of day (a freeze is days or weeks long, its
time of day is its `start`'s), must occur at all, and is built once per process with
dateutil's cache: an audit of thousands of releases walks each rule once.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrule, rruleset

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_ONE_VALUE = ("BYHOUR", "BYMINUTE", "BYSECOND")
EARLIEST_YEAR = 1970  # git dates nothing earlier; a daily rule from year 1 is 740,000 steps
LATEST_YEAR = 8999  # as for times on the command line: a start in any zone stays in range
HORIZON_YEARS = 30  # a rule must occur this soon after its start (every 28 years repeats)
MAX_RECURRING = 32  # recurring windows in one policy: each walks every day since its start


def check_rule(text: str, start: datetime) -> None:
    """ValueError naming what is wrong when `text` is no rule a freeze window may use."""
    parts = _parts(text)
    freq = parts.get("FREQ", "")
    if freq not in FREQUENCIES:
        raise ValueError(
            f"rrule {text!r}: FREQ={freq or '(none)'}; expected FREQ={', '.join(FREQUENCIES)} "
            "(a freeze recurs at most daily; its length is duration_hours)"
        )
    for key in _ONE_VALUE:
        if "," in parts.get(key, ""):
            raise ValueError(
                f"rrule {text!r}: {key} has several values; expected one (a window starts "
                "once a day at most)"
            )
    interval = parts.get("INTERVAL", "1")
    if not (interval.isascii() and interval.isdigit() and int(interval) >= 1):
        raise ValueError(
            f"rrule {text!r}: INTERVAL={interval}; expected a whole number from 1 (RFC 5545: "
            "a positive integer; 0 would never move on)"
        )
    if not EARLIEST_YEAR <= start.year <= LATEST_YEAR:
        raise ValueError(
            f"rrule {text!r}: starts {start.date().isoformat()}; expected a start from "
            f"{EARLIEST_YEAR} to {LATEST_YEAR} (each check walks every period since the start)"
        )
    check_occurs(text, start, None)


def check_time_of_day(text: str, start: datetime, zone: ZoneInfo) -> None:
    """ValueError when the rule's BYHOUR, BYMINUTE or BYSECOND is not `start`'s time of
    day in `zone`: the rule is read in the gate's zone (UTC unless it names one), so a
    weekend from `start = ...T18:00:00+08:00` with BYHOUR=18 and no `timezone` would
    begin at 18:00 UTC, Saturday 02:00 in Shanghai, and Friday evening would be open."""
    parts = _parts(text)
    local = start.astimezone(zone)
    for key, value in (
        ("BYHOUR", local.hour),
        ("BYMINUTE", local.minute),
        ("BYSECOND", local.second),
    ):
        said = parts.get(key)
        if said is not None and said.strip() != str(value):
            raise ValueError(
                f"rrule {text!r}: {key}={said}, but `start` ({start.isoformat()}) is "
                f"{local:%H:%M:%S} in {zone.key}, the zone the rule is read in; a window "
                "recurs at its start's time of day (name the gate's `timezone`, or make "
                "them agree)"
            )


def check_occurs(text: str, start: datetime, zone: ZoneInfo | None) -> None:
    """ValueError when the rule, expanded from `start` in `zone` (None: its own offset),
    has no occurrence within HORIZON_YEARS of it. Bounded: dateutil looks for a rule that
    never occurs (`BYMONTH=2;BYMONTHDAY=30`) until the year 9999, which took seconds a
    rule on every policy load; and "Feb 1, 01:00 +08:00" yearly is Jan 31 in New York."""
    from datetime import timedelta

    from dateutil.rrule import rrule as one_rule

    try:
        rule = compiled(text, start, zone)
        until = start + timedelta(days=366 * HORIZON_YEARS)
        probe: rrule | rruleset | None = rule
        if isinstance(rule, one_rule):  # its own UNTIL (a year mistyped?) or COUNT=0 ends it
            own, count = getattr(rule, "_until", None), getattr(rule, "_count", None)  # no accessor
            until = min(until, own) if own is not None else until
            probe = rule.replace(count=None, until=until) if count is None or count > 0 else None
        first = probe.after(start, inc=True) if probe is not None else None
    except (ValueError, TypeError, IndexError, OverflowError, AttributeError) as exc:
        raise ValueError(f"rrule {text!r}: {exc or type(exc).__name__}") from None
    if first is None:
        where = f" in {zone.key}" if zone is not None else ""
        raise ValueError(
            f"rrule {text!r}: never occurs{where} within {HORIZON_YEARS} years after "
            f"{start.isoformat()}"
        )


@functools.cache
def compiled(text: str, start: datetime, zone: ZoneInfo | None) -> rrule | rruleset:
    """The rule, its start in `zone`'s wall-clock time (a weekly 18:00 stays 18:00 across
    a change to summer time), kept with the occurrences dateutil has found so far."""
    from dateutil.rrule import rrulestr

    try:
        dtstart = start.astimezone(zone) if zone is not None else start
        return rrulestr(text, dtstart=dtstart, cache=True)
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise ValueError(f"rrule {text!r}: {exc or type(exc).__name__}") from None


def _parts(text: str) -> dict[str, str]:
    """`FREQ=WEEKLY;BYDAY=FR` as {"FREQ": "WEEKLY", "BYDAY": "FR"} (upper-cased, as
    dateutil reads it). One rule on one line: the window's `start` is its DTSTART (a
    second RRULE or an EXRULE would escape the limits above)."""
    if len(text.strip().splitlines()) != 1:
        raise ValueError(f"rrule {text!r}: expected one line such as FREQ=WEEKLY;BYDAY=FR")
    line = text.strip().upper().removeprefix("RRULE:")
    return dict(part.partition("=")[::2] for part in line.split(";") if part)
