"""Planning a release against the calendar: `gate freeze`."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import RepoDir, iso_time, out, repo_dir
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from gatekeeper.models.gates import FreezeGate


class CalendarFormat(enum.StrEnum):
    """Freeze calendar formats."""

    text = "text"
    json = "json"
    ics = "ics"


def freeze(
    since: Annotated[
        str | None,
        typer.Option("--from", help="Start: a date or ISO time (default now).", metavar="DATE"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--to", help="End: a date or ISO time (default 90 days on).", metavar="DATE"),
    ] = None,
    fmt: Annotated[
        CalendarFormat, typer.Option("--format", help="text, json or ics (iCalendar).")
    ] = CalendarFormat.text,
    policy_ref: Annotated[
        str | None, typer.Option("--policy-ref", help="Read the policy from this trusted ref.")
    ] = None,
    directory: RepoDir = None,
) -> int:
    """List the freeze windows in effect, in local time; `--format ics` for a calendar app."""
    from datetime import UTC

    from gatekeeper.gates.calendar import freeze_spans
    from gatekeeper.models.gates import FreezeGate
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.render import calendar
    from gatekeeper.repo import open_repo

    with open_repo(repo_dir(directory)) as repo:
        head = repo.head()
        if head is None:
            raise InputError(f"{repo.root}: no commits yet", hint="run `gate init` and commit")
        policy = policy_in_force(repo, head, policy_ref).policy
    gates = [g for g in policy.all_gates() if isinstance(g, FreezeGate)]
    zone = _zone(gates)
    now = datetime.now(UTC).astimezone(zone)
    start = _moment("--from", since, zone) if since else now
    end = _moment("--to", until, zone) if until else start + timedelta(days=90)
    if end <= start:
        raise InputError(
            f"--to {end.isoformat()} is not after --from {start.isoformat()}",
            hint="gate freeze --from 2027-01-01 --to 2027-03-31",
        )
    spans = freeze_spans(gates, start, end)
    if fmt is CalendarFormat.ics:
        typer.echo(calendar.ics(spans).decode(), nl=False)
    elif fmt is CalendarFormat.json:
        from gatekeeper.render.json import dumps

        out(dumps(calendar.json(spans, start, end)))
    else:
        from gatekeeper.gates.calendar import free_from

        free = free_from(gates, now)  # windows may run on past the listed range
        out(calendar.text(spans, start, end, now, free.astimezone(zone) if free else None))
    return 0


def _zone(gates: list[FreezeGate]) -> ZoneInfo:
    """The first freeze gate's zone: how dates without a time are read, and shown."""
    from gatekeeper.zones import zone

    return zone(gates[0].timezone if gates else "UTC")


def _moment(option: str, value: str, zone: ZoneInfo) -> datetime:
    """A date (local midnight) or an ISO 8601 time (local when it has no offset)."""
    return iso_time(
        option,
        value,
        zone,
        expected="a date or an ISO 8601 time",
        hint=f"{option} 2027-02-01 or {option} 2027-02-01T09:00:00+08:00",
    )
