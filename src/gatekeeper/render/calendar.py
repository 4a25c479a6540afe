"""`gate freeze`: the freeze calendar as text (local times), JSON, or an iCalendar file a
calendar app imports (RFC 5545, written by the `icalendar` package)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.gates.calendar import FrozenSpan


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %a %H:%M")


def _covers(span: FrozenSpan, at: datetime) -> bool:
    return span.start.astimezone(UTC) <= at < span.end.astimezone(UTC)


def text(
    spans: list[FrozenSpan],
    since: datetime,
    until: datetime,
    now: datetime,
    free: datetime | None = None,
) -> str:
    """Now inside or outside a window, then one line per window, in its own zone."""
    lines = [f"freeze windows from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {since:%Z}"]
    at = now.astimezone(UTC)  # as instants: in one zone, times compare by wall clock
    current = [s for s in spans if _covers(s, at)]
    if current:
        told = (
            f"may be tagged from {_local(free)} {free:%Z}" if free else "no time within ten years"
        )
        lines += [f"now: inside {s.title} ({s.gate}); {told}" for s in current]
    else:
        lines.append("now: outside every freeze window")
    if not spans:
        lines.append("no freeze window in this period")
    lines += [
        f"{_local(s.start)} – {_local(s.end)} {s.timezone}  {s.title}  "
        f"[{s.gate}{', recurring' if s.recurring else ''}; {s.applies_to}]"
        for s in spans
    ]
    return "\n".join(lines)


def json(spans: list[FrozenSpan], since: datetime, until: datetime) -> dict[str, Any]:
    """The shape documented in docs/json.md."""
    return {
        "from": since.isoformat(),
        "to": until.isoformat(),
        "windows": [
            {
                "gate": s.gate,
                "title": s.title,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "timezone": s.timezone,
                "recurring": s.recurring,
                "applies_to": s.applies_to,
            }
            for s in spans
        ],
    }


def ics(spans: list[FrozenSpan], stamp: datetime | None = None) -> bytes:
    """One VEVENT per occurrence (what gate judges, exactly), times in the gate's zone with
    its VTIMEZONE; UIDs stable across exports so a re-import updates, not duplicates."""
    import hashlib

    from icalendar import Calendar, Event

    from gatekeeper.render import one_line  # iCalendar text holds no control characters

    cal = Calendar()
    cal.add("prodid", "-//gatekeeper//gate freeze//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "封网 / Release freeze")
    for s in spans:
        key = f"{s.gate}|{s.title}|{s.start.isoformat()}".encode()
        event = Event()
        event.add("uid", f"{hashlib.sha256(key).hexdigest()[:32]}@gatekeeper")
        event.add("dtstamp", stamp or datetime.now(UTC))
        event.add("summary", f"封网 / Freeze: {one_line(s.title)}")
        event.add("dtstart", _unambiguous(s.start))
        event.add("dtend", _unambiguous(s.end))
        event.add(
            "description",
            one_line(f"gate '{s.gate}': no release tag in this window ({s.applies_to})."),
        )
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _unambiguous(moment: datetime) -> datetime:
    """`moment` in its zone, or in UTC when its wall time comes twice (the hour repeated
    when clocks go back): RFC 5545 reads such a local time as its first occurrence."""
    return moment.astimezone(UTC) if moment.fold else moment
