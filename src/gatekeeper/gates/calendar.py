"""Calendar gates: 上线预知 (lead time) and 封网 (freeze windows), judged at the time `--at`
selects, in the policy's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from gatekeeper.gates.verdict import Verdict
from gatekeeper.models.gates import FreezeGate
from gatekeeper.zones import zone as zone_named

_HOUR = timedelta(hours=1)

if TYPE_CHECKING:
    from dateutil.rrule import rrule, rruleset

    from gatekeeper.models.gates import FreezeWindow, LeadTimeGate, ObligationsGate
    from gatekeeper.trust.facts import Facts


def lead_time(gate: LeadTimeGate, facts: Facts) -> Verdict:
    """The request was filed at least `min_days` before the time judged (a filing dated
    after the time judged is refused as such, whatever the lead time)."""
    from gatekeeper.instants import after, shifted
    from gatekeeper.trust.rules import SKEW

    filed = _filed(gate, facts)
    if filed is None:
        return Verdict(False, ("when the request was filed is unknown (no committed request)",))
    # `filed - SKEW` after the time judged: the clock is compared, never shifted.
    if (made := shifted(filed, -SKEW)) is not None and facts.reference_time < made:
        when = filed.isoformat(timespec="seconds")
        return Verdict(False, (f"the request is dated in the future ({when}): not filed yet",))
    earliest = after(filed, timedelta(days=gate.min_days))
    said = (
        f"filed {filed.isoformat(timespec='seconds')}, {gate.min_days} days ahead: "
        f"may be tagged from {earliest.isoformat(timespec='seconds')}"
    )
    # A tag's own date is a clock's claim the tag check let be SKEW off: served by then.
    due = shifted(earliest, -SKEW) if facts.tag_dated else earliest
    if due is None or facts.reference_time < due:
        return Verdict(False, (f"too soon: {said}",))
    return Verdict(True, (said,))


def _filed(gate: LeadTimeGate, facts: Facts) -> datetime | None:
    """When the request was filed as one `gate` applies to (check/applies.filed_as_applies),
    else when it was filed."""
    return facts.lead_filed.get(gate.id, facts.filed_at)


def obligations(gate: ObligationsGate, facts: Facts) -> Verdict:
    """No earlier release in scope has an overdue post-release gate."""
    if not facts.overdue:
        return Verdict(True, (f"no earlier release ({gate.scope}) has an overdue obligation",))
    reasons = tuple(
        f"{tag}: its committed records do not stand, so what it owes cannot be judged ({why})"
        if gate_id == "records"
        else f"{tag}: {gate_id} is overdue ({why})"
        for tag, gate_id, why in facts.overdue
    )
    return Verdict(False, (*reasons, "settle them first: attach the post-release evidence"))


def freeze(gate: FreezeGate, facts: Facts) -> Verdict:
    """The time judged lies inside no window."""
    from gatekeeper.trust.rules import SKEW

    zone = zone_named(gate.timezone)
    at = facts.reference_time.astimezone(zone)
    for window in gate.windows:
        span = _covering(window, at, zone)
        if span is not None and facts.tag_dated and _free_within(gate, at, SKEW):
            return Verdict(
                True,
                (
                    f"the tag's date, {_local(at)} {gate.timezone}, is within {SKEW} (the "
                    "clocks' skew a tag may claim) of a time outside every freeze window",
                ),
            )
        if span is not None:
            start, end = span
            name = window.title or "freeze"
            free = free_from([gate], at)  # windows may run on into each other
            told = f"may be tagged from {_local(free.astimezone(zone))}" if free else _RUN_ON
            return Verdict(
                False, (f"inside {name} ({_local(start)} – {_local(end)} {gate.timezone}); {told}",)
            )
    return Verdict(True, (f"{_local(at)} {gate.timezone} is outside every freeze window",))


def _free_within(gate: FreezeGate, at: datetime, skew: timedelta) -> bool:
    """Whether some time within `skew` of `at` lies inside no window of `gate`."""
    from gatekeeper.instants import shifted

    since, until = shifted(at, -skew), shifted(at, skew)
    if since is None or until is None:
        return False
    free = free_from([gate], since)
    return free is not None and free <= until


def occurrences(
    window: FreezeWindow, zone: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Every (start, end) of `window` that overlaps [since, until): a recurring one's in
    `zone`, `duration_hours` real hours long (as RFC 5545 reads DURATION:PT38H)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if window.rrule is None:
        end = window.end or window.start
        return [(window.start, end)] if window.start < until and end > since else []
    rule = _rule(window, zone)
    length = timedelta(hours=window.duration_hours or 0)
    starts = [s.astimezone(UTC) for s in rule.between(since - length - _HOUR, until, inc=True)]
    return [_in(zone, s, length) for s in starts if s + length > since and s < until]


def _covering(
    window: FreezeWindow, at: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The occurrence of `window` covering `at` (a recurring one's in `zone`). Compared as
    instants: two times of one zone compare by their wall clocks, so in the hour repeated
    when clocks go back 01:10 (the second time) would read as before 01:45 (the first)."""
    at = at.astimezone(UTC)
    if window.rrule is None:  # shown in `zone` too, whatever offset it was written with
        end = window.end or window.start
        return (
            (window.start.astimezone(zone), end.astimezone(zone))
            if window.start <= at < end
            else None
        )
    length = timedelta(hours=window.duration_hours or 0)
    # An occurrence in the repeated hour may be an hour "later" on the wall clock than `at`.
    found = _rule(window, zone).between(at - length - _HOUR, at + _HOUR, inc=True)
    for start in (s.astimezone(UTC) for s in reversed(found)):
        if start <= at < start + length:
            return _in(zone, start, length)
    return None


def _in(zone: ZoneInfo, start: datetime, length: timedelta) -> tuple[datetime, datetime]:
    """An occurrence from `start` (UTC), `length` real time long, shown in `zone`."""
    return start.astimezone(zone), (start + length).astimezone(zone)


def _rule(window: FreezeWindow, zone: ZoneInfo) -> rrule | rruleset:
    from gatekeeper.gates.recurrence import compiled

    return compiled(window.rrule or "", window.start, zone)


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class FrozenSpan:
    """One occurrence of a freeze window, in its gate's time zone (for `gate freeze`)."""

    gate: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    recurring: bool
    applies_to: str  # which releases the gate's `when` limits it to


def freeze_spans(gates: list[FreezeGate], since: datetime, until: datetime) -> list[FrozenSpan]:
    """Every occurrence of every window of `gates` that overlaps [since, until), by start."""
    spans = []
    for gate in gates:
        zone = zone_named(gate.timezone)
        for window in gate.windows:
            spans += [
                FrozenSpan(
                    gate=gate.id,
                    title=window.title or gate.title or "freeze",
                    start=start.astimezone(zone),
                    end=end.astimezone(zone),
                    timezone=gate.timezone,
                    recurring=window.rrule is not None,
                    applies_to=_applies_to(gate),
                )
                for start, end in occurrences(window, zone, since, until)
            ]
    return sorted(spans, key=lambda s: (s.start.astimezone(UTC), s.gate, s.title))


def _applies_to(gate: FreezeGate) -> str:
    when = gate.when
    if when is None:
        return "every release"
    parts = [
        f"{key} {', '.join(values)}"
        for key in ("kind", "risk", "component", "paths")
        if (values := getattr(when, key)) is not None
    ]
    return "; ".join(parts) or "every release"


def earliest_tag(gates: list[LeadTimeGate | FreezeGate], facts: Facts) -> datetime | None:
    """The first moment, from the time judged on, when every lead-time and freeze gate of
    `gates` (those that apply) would pass: the lead time served, then past every window
    that covers it (windows may chain: a weekend right after a holiday). None: now
    already, or a request dated in the future (it is not filed yet). LATEST when the
    windows run on for the next SEARCH (ten years): no time to tell anyone."""
    from gatekeeper.instants import LATEST, after
    from gatekeeper.trust.rules import SKEW

    moment = facts.reference_time
    for gate in gates:
        if isinstance(gate, FreezeGate) or (filed := _filed(gate, facts)) is None:
            continue
        if filed > after(facts.reference_time, SKEW):
            return None  # not filed yet: the lead-time gate says so, and no date follows
        moment = max(moment, after(filed, timedelta(days=gate.min_days)))
    freezes = [g for g in gates if isinstance(g, FreezeGate)]
    free = free_from(freezes, moment) if freezes else moment
    if free is None:
        return LATEST
    return free if free > facts.reference_time else None


SEARCH = timedelta(days=3653)  # how far ahead a free moment is looked for
_CHUNK = timedelta(days=366)  # occurrences are asked for a year at a time
_RUN_ON = "no time within ten years is outside the freeze windows"


def free_from(gates: list[FreezeGate], at: datetime) -> datetime | None:
    """The first moment from `at` that no window of `gates` covers (shown in the zone of
    the window that ended last), or None when ten years of occurrences (SEARCH) leave
    none free. Occurrences are asked of dateutil a year at a time, never once per window
    passed (a rule from 1970 reads its cache from the start on every question); a long
    window is jumped over whole (a one-off freeze until 2099 ends in 2099)."""
    from gatekeeper.gates.recurrence import LATEST_YEAR
    from gatekeeper.instants import after

    moment, shown = at.astimezone(UTC), at
    for _ in range(SEARCH // _CHUNK + 1):
        if moment.year > LATEST_YEAR:
            break
        end = after(moment, _CHUNK)
        spans = [
            (start.astimezone(UTC), until.astimezone(UTC), until)
            for gate in gates
            for window in gate.windows
            for start, until in occurrences(window, zone_named(gate.timezone), moment, end)
        ]
        while covering := [(e, shown_end) for s, e, shown_end in spans if s <= moment < e]:
            moment, shown = max(covering, key=lambda pair: pair[0])
        if moment < end:
            return shown
    return None
