"""The calendar at its edges (a review of time and the calendar): dates past the year
9999, rules that never move on, zones a machine happens to have, the hour repeated when
clocks go back, and a time given without its UTC offset. Each failed on the code before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity, make_repo
from snippets import POST_CHECK
from test_attack_ci import FAR, mktag  # FAR: a git date in the year 33658

GATE = (sys.executable, "-m", "gatekeeper")

LEAD = '[[gates]]\nid = "lead"\ntype = "lead-time"\nmin_days = 7\n'


def test_a_request_committed_after_the_year_9999_fails_lead_time_and_shields_no_tag(
    tmp_path: Path,
) -> None:
    """The commit adding v1.0.0's request carries an author date in the year 33658 (git
    takes it; no signature covers it in `none` mode). The lead-time gate added 7 days to
    it and crashed (exit 2), so `--all-tags` stopped and delete-tag removed neither the
    unapproved v0.9.0 nor v1.0.0. It is a request dated in the future: the gate fails."""
    r = make_repo(tmp_path, gates=LEAD)
    assert r.gate("request", "v0.9.0", "--title", "unapproved").code == 0
    r.git("tag", "-a", "v0.9.0", "-m", "sneaky")
    assert r.gate("request", "v1.0.0", "--title", "t", "--no-commit").code == 0
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "req", env={**identity("dave"), "GIT_AUTHOR_DATE": f"@{FAR}"})
    r.git("tag", "-a", "v1.0.0", "-m", "x")
    res = r.gate("check", "v1.0.0", "--at", "now", "--format", "json")
    assert res.code == 1, res.err
    lead = next(g for g in json.loads(res.out)["gates"] if g["id"] == "lead")
    assert not lead["passed"] and "dated in the future" in lead["reasons"][0], lead
    res = r.gate("check", "--all-tags", "--format", "json")
    assert res.code == 1, res.err
    failed = {t["release"] for t in json.loads(res.out)["releases"] if not t["passed"]}
    assert failed >= {"v0.9.0", "v1.0.0"}


@pytest.mark.parametrize("date", [FAR, "253402297199 +0000"])  # 33658; 9999-12-31T22:59:59Z
def test_a_tag_dated_at_the_calendar_s_end_with_a_deadline_after_it_is_judged(
    tmp_path: Path, date: str
) -> None:
    """A post-release gate is due 48 hours after the tag; a tag dated at the calendar's end
    made status, the audit and the post-release check crash (exit 2) for every release."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    mktag(r, "v1.0.0", date)
    for args in (["status"], ["audit"], ["check", "v1.0.0", "--stage", "post-release"]):
        res = r.gate(*args)
        assert res.code in (0, 1), (args, res.err)
        assert "internal error" not in res.err, (args, res.err)


def _freeze(gates: str, tmp_path: Path) -> Repo:
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "t").code in (0, 2)
    return r


@pytest.mark.parametrize("interval", ["0", "-1", "x"])
def test_a_rule_that_never_moves_on_is_refused_not_a_hang(tmp_path: Path, interval: str) -> None:
    """`INTERVAL=0` passed validation (the first occurrence is the start itself) and then
    every check walked forever."""
    r = make_repo(tmp_path, gates=_window(f'rrule = "FREQ=DAILY;INTERVAL={interval}", '))
    proc = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "-C", str(r.path), "check", "v1.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "INTERVAL" in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def _window(
    rule: str, zone: str = "UTC", start: str = "2026-01-02T18:00:00Z", hours: int = 2
) -> str:
    return (
        f'[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "{zone}"\n'
        f"windows = [{{ {rule}start = {start}, duration_hours = {hours} }}]\n"
    )


@pytest.mark.parametrize("zone", ["Asia", "America/Argentina", "localtime", "posixrules"])
def test_a_zone_name_that_is_no_iana_zone_is_a_policy_error(tmp_path: Path, zone: str) -> None:
    """A folder of the zone database crashed the check (IsADirectoryError); `localtime`
    was this machine's zone, so a laptop and CI judged the same window differently."""
    gates = (
        f'[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "{zone}"\n'
        "windows = [{ start = 2027-02-05T00:00:00Z, end = 2027-02-18T00:00:00Z }]\n"
    )
    res = make_repo(tmp_path, gates=gates).gate("check", "v1.0.0")
    assert res.code == 2, res.err
    assert "timezone: unknown IANA time zone" in res.err and "hint:" in res.err, res.err


def test_a_one_off_window_from_year_1_is_a_policy_error(tmp_path: Path) -> None:
    """`gate freeze` crashed (OverflowError) showing a window that starts in the year 1."""
    gates = (
        '[[gates]]\nid = "f"\ntype = "freeze"\n'
        "windows = [{ start = 0001-01-01T00:00:00+23:59, end = 2027-01-01T00:00:00Z }]\n"
    )
    res = make_repo(tmp_path, gates=gates).gate("freeze")
    assert res.code == 2 and "internal error" not in res.err, res.err
    assert "expected a time from 1970 to 8999" in res.err


def _frozen(r: Repo, at: str) -> bool:
    res = r.gate("check", "v1.0.0", "--at", at, "--format", "json")
    assert res.code in (0, 1), res.err
    return not next(g for g in json.loads(res.out)["gates"] if g["id"] == "f")["passed"]


def test_a_window_in_the_hour_repeated_when_clocks_go_back_stays_closed(tmp_path: Path) -> None:
    """A daily window from 01:45 New York time, one hour long. On 2026-11-01 it runs
    05:45Z to 06:45Z; from 06:00Z the wall clock reads 01:xx again, which compared by wall
    clock is "before 01:45", so most of the window read as open."""
    start = "2026-10-01T01:45:00-04:00"
    r = _freeze(_window('rrule = "FREQ=DAILY", ', "America/New_York", start, 1), tmp_path)
    assert _frozen(r, "2026-11-01T05:50:00Z")
    assert _frozen(r, "2026-11-01T06:10:00Z")
    assert _frozen(r, "2026-11-01T06:40:00Z")
    assert not _frozen(r, "2026-11-01T06:50:00Z")  # one real hour, not one wall-clock hour
    assert not _frozen(r, "2026-11-01T05:40:00Z")


def test_a_time_without_its_utc_offset_is_refused(tmp_path: Path) -> None:
    """`gate freeze` reads `2027-02-17T23:30` in the policy's zone, `gate check --at` read
    it as UTC: in Shanghai, "may I tag at 23:30?" got "outside every freeze window" while
    the calendar showed the freeze. A time without an offset is now refused (exit 2)."""
    gates = (
        '[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
        "windows = [{ start = 2027-02-05T00:00:00+08:00, end = 2027-02-18T00:00:00+08:00 }]\n"
    )
    r = _freeze(gates, tmp_path)
    listed = r.gate("freeze", "--from", "2027-02-17T23:30", "--to", "2027-02-18T01:00").out
    assert "2027-02-05 Fri 00:00 – 2027-02-18 Thu 00:00" in listed
    for command in (("check", "v1.0.0"), ("status",)):
        res = r.gate(*command, "--at", "2027-02-17T23:30")
        assert res.code == 2 and "no UTC offset" in res.err and "hint:" in res.err, res.err
    assert _frozen(r, "2027-02-17T23:30+08:00")


# -- a second review of the fixes above ------------------------------------------------------


def _request_dated(r: Repo, when: str, tag: str = "v1.0.0") -> None:
    """A request whose `requested_at` its requester wrote by hand."""
    assert r.gate("request", tag, "--title", "t", "--no-commit").code == 0
    path = r.path / "releases" / tag / "request.toml"
    text = path.read_text()
    start = text.index("requested_at = ")
    end = text.index("\n", start)
    path.write_text(text[:start] + f"requested_at = {when}" + text[end:])
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "request", env=identity("dave"))


def test_a_request_dated_in_9999_next_to_a_year_end_freeze_fails_without_a_crash(
    tmp_path: Path,
) -> None:
    """A lead time of 7 days from a request dated 9999-12-15 lands in a freeze from
    December 20: finding when the release may be tagged walked into the year 10000 (exit
    2 from check, --all-tags, status, audit and explain). A request dated in the future is
    not filed yet: no date follows from it."""
    freeze = _window(
        'rrule = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20", ', start="2026-12-20T00:00:00Z", hours=336
    )
    r = make_repo(tmp_path, gates=LEAD + freeze)
    assert r.gate("request", "v0.9.0", "--title", "unapproved").code == 0
    r.git("tag", "-a", "v0.9.0", "-m", "sneaky")
    _request_dated(r, "9999-12-15T00:00:00Z")
    res = r.gate("check", "v1.0.0", "--at", "now", "--format", "json")
    assert res.code == 1, res.err
    assert json.loads(res.out)["earliest_tag"] is None
    r.git("tag", "-a", "v1.0.0", "-m", "x")
    assert r.gate("check", "--all-tags").code == 1
    for args in (["status"], ["audit"], ["explain", "v1.0.0"]):
        res = r.gate(*args)
        assert res.code in (0, 1) and "internal error" not in res.err, (args, res.err)


@pytest.mark.parametrize("rule", ["FREQ=YEARLY;BYMONTH=2", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"])
def test_a_rule_must_occur_in_its_gate_s_zone_and_soon(tmp_path: Path, rule: str) -> None:
    """Feb 1, 01:00 +08:00 is Jan 31 in New York, where `BYMONTH=2` of that day never
    comes: accepted, the freeze never applied, and each check walked the rule to the year
    9999. A rule that never occurs at all was looked for until then at every policy load."""
    window = _window(f'rrule = "{rule}", ', "America/New_York", "2027-02-01T01:00:00+08:00", 24)
    res = make_repo(tmp_path, gates=window).gate("check", "v1.0.0")
    assert res.code == 2 and "never occurs" in res.err and "within 30 years" in res.err, res.err
    if rule == "FREQ=YEARLY;BYMONTH=2":
        assert "in America/New_York" in res.err


def test_when_a_freeze_can_never_end_earliest_tag_says_the_latest_date(tmp_path: Path) -> None:
    """A daily window 36 hours long never ends: after its bound, the time "the release may
    be tagged from" was itself inside the window."""
    r = _freeze(_window('rrule = "FREQ=DAILY", ', hours=36), tmp_path)
    res = r.gate("check", "v1.0.0", "--at", "2026-06-01T12:00:00Z", "--format", "json")
    assert res.code == 1, res.err
    assert json.loads(res.out)["earliest_tag"].startswith("9999-12-31T23:59:59")


def test_gate_freeze_and_its_ics_agree_with_the_check_in_the_repeated_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily window from 00:30 New York time, two hours long, ends at 01:30 the second
    time round on 2026-11-01 (06:30Z). `gate freeze` said "now: outside" at 06:10Z by wall
    clock, and the ICS file ended it at 01:30 local, which RFC 5545 reads as the first
    01:30 (05:30Z)."""
    from datetime import UTC, datetime

    start = "2026-10-01T00:30:00-04:00"
    r = _freeze(_window('rrule = "FREQ=DAILY", ', "America/New_York", start), tmp_path)
    assert _frozen(r, "2026-11-01T06:10:00Z")

    class At(datetime):
        @classmethod
        def now(cls, tz: object = None) -> At:  # type: ignore[override]
            return cls(2026, 11, 1, 6, 10, tzinfo=UTC)

    monkeypatch.setattr("gatekeeper.cli.planning.datetime", At)
    span = ("--from", "2026-10-31", "--to", "2026-11-02")
    shown = r.gate("freeze", *span)
    assert shown.code == 0 and "now: inside" in shown.out, shown.out
    ics = r.gate("freeze", *span, "--format", "ics").out
    assert "DTEND:20261101T063000Z" in ics, ics


def test_zones_come_from_the_database_gatekeeper_ships(tmp_path: Path) -> None:
    """zoneinfo reads the machine's zone files first, so two machines with different
    releases of the database judged one window differently. A machine whose New York is
    UTC (PYTHONTZPATH names such files) must not change the verdict."""
    from importlib.resources import files

    fake = tmp_path / "zoneinfo" / "America"
    fake.mkdir(parents=True)
    (fake / "New_York").write_bytes(files("tzdata").joinpath("zoneinfo", "UTC").read_bytes())
    start = "2026-10-01T09:00:00-04:00"  # 13:00Z in October, 14:00Z in November
    r = _freeze(_window('rrule = "FREQ=DAILY", ', "America/New_York", start), tmp_path)
    proc = subprocess.run(
        [*GATE, "-C", str(r.path), "check", "v1.0.0", "--at", "2026-11-10T15:30:00Z"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONTZPATH": str(tmp_path / "zoneinfo")},
    )
    assert proc.returncode == 1 and "inside freeze" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "--since", "2026-07-01T09:00"),
        ("audit", "--until", "2027-02-17+08:00"),
        ("request", "v2.0.0", "--title", "t", "--planned-at", "2027-02-17T23:30"),
        ("check", "v1.0.0", "--at", "2027-02-17+08:00"),
    ],
)
def test_a_time_without_its_offset_is_refused_by_every_option(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`--planned-at` and `audit --since/--until` read a bare time as UTC where `--at`
    refused it, and Python reads `2027-02-17+08:00` as 08:00 on that day (any one
    character may join a date and a time)."""
    r = _freeze(_window('rrule = "FREQ=DAILY", '), tmp_path)
    before = r.state()
    res = r.gate(*args)
    assert res.code == 2 and "hint:" in res.err, res.err
    assert r.state() == before


def test_audit_until_a_date_in_basic_format_keeps_that_day(tmp_path: Path) -> None:
    """`--until 20261124` (ISO 8601's basic format) was read as that day's midnight, where
    `--until 2026-11-24` is the whole day."""
    from datetime import UTC, datetime

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r)
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    today = datetime.now(UTC).date()
    listed = [
        [
            x["release"]
            for x in json.loads(r.gate("audit", "--until", day, "--format", "json").out)["releases"]
        ]
        for day in (today.isoformat(), today.strftime("%Y%m%d"))
    ]
    assert listed == [["v1.0.0"], ["v1.0.0"]]


# -- a third review ----------------------------------------------------------------------------


@pytest.mark.parametrize("ends", ["UNTIL=20250101T000000Z", "COUNT=0"])
def test_a_rule_its_own_until_or_count_ends_before_it_starts_is_refused(
    tmp_path: Path, ends: str
) -> None:
    """The probe for "does it occur" dropped the rule's own UNTIL and COUNT: a weekend
    rule whose UNTIL has the year mistyped loaded, and never froze anything."""
    rule = f'rrule = "FREQ=WEEKLY;BYDAY=FR;{ends}", '
    res = make_repo(tmp_path, gates=_window(rule)).gate("check", "v1.0.0")
    assert res.code == 2 and "never occurs" in res.err and "hint:" in res.err, res.err


def _earliest(r: Repo, at: str) -> tuple[str, dict]:  # type: ignore[type-arg]
    text = r.gate("check", "v1.0.0", "--at", at).out
    return text, json.loads(r.gate("check", "v1.0.0", "--at", at, "--format", "json").out)


def test_a_freeze_without_end_tells_no_date_and_one_that_ends_tells_when(tmp_path: Path) -> None:
    """A daily window 24 hours long covers every day: "may be tagged at the earliest:
    9999-12-31" told people nothing they could do. Until 2030 it does end, and more
    than a thousand windows in a row read as never ending."""
    r = _freeze(_window('rrule = "FREQ=DAILY", ', start="2026-01-01T00:00:00Z", hours=24), tmp_path)
    text, data = _earliest(r, "2026-11-24T12:00:00Z")
    assert "9999" not in text and "no time within ten years" in text, text
    assert not gate_of_f(data)["passed"] and "9999" not in " ".join(gate_of_f(data)["reasons"])
    until = 'rrule = "FREQ=DAILY;UNTIL=20300101T000000Z", '
    (tmp_path / "until").mkdir()
    r = _freeze(_window(until, start="2026-01-01T00:00:00Z", hours=24), tmp_path / "until")
    _, data = _earliest(r, "2026-11-24T12:00:00Z")
    assert data["earliest_tag"] == "2030-01-02T00:00:00+00:00", data["earliest_tag"]  # UNTIL counts


def gate_of_f(data: dict) -> dict:  # type: ignore[type-arg]
    return next(g for g in data["gates"] if g["id"] == "f")  # type: ignore[no-any-return]


def test_a_holiday_running_into_a_weekend_names_the_end_of_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 春节 freeze ends Friday 20:00 inside the weekend freeze (Friday 18:00, 62
    hours): the gate's reason, which status and explain show, said "may be tagged from
    Friday 20:00", still frozen; so did `gate freeze`'s "now: inside" line."""
    from datetime import UTC, datetime

    gates = (
        '[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
        '[[gates.windows]]\ntitle = "holiday"\nstart = 2027-02-05T00:00:00+08:00\n'
        "end = 2027-02-19T20:00:00+08:00\n"
        '[[gates.windows]]\ntitle = "weekend"\nrrule = "FREQ=WEEKLY;BYDAY=FR"\n'
        "start = 2026-01-02T18:00:00+08:00\nduration_hours = 62\n"
    )
    r = _freeze(gates, tmp_path)
    _, data = _earliest(r, "2027-02-19T12:00:00+08:00")
    assert data["earliest_tag"] == "2027-02-22T08:00:00+08:00", data["earliest_tag"]
    assert "may be tagged from 2027-02-22 08:00" in gate_of_f(data)["reasons"][0]

    class At(datetime):
        @classmethod
        def now(cls, tz: object = None) -> At:  # type: ignore[override]
            return cls(2027, 2, 19, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai

    monkeypatch.setattr("gatekeeper.cli.planning.datetime", At)
    shown = r.gate("freeze", "--from", "2027-02-01", "--to", "2027-03-01").out
    assert "may be tagged from 2027-02-22 Mon 08:00" in shown, shown


# -- a fourth review --------------------------------------------------------------------------


LONG_HOLIDAY = (
    '[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
    '[[gates.windows]]\ntitle = "holiday"\nstart = 2027-02-05T00:00:00+08:00\n'
    "end = 2027-06-04T20:00:00+08:00\n"
    '[[gates.windows]]\ntitle = "weekend"\nrrule = "FREQ=WEEKLY;BYDAY=FR"\n'
    "start = 2026-01-02T18:00:00+08:00\nduration_hours = 62\n"
)


def test_gate_freeze_names_the_end_of_windows_that_run_past_the_listed_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A four-month holiday ends Friday 20:00 inside the weekend freeze. `gate freeze`
    (default range: now + 90 days) chains only over the spans it lists, so the weekend
    of June 4 is not seen: it names Friday 20:00, still frozen; check says Monday 08:00."""
    from datetime import UTC, datetime

    r = _freeze(LONG_HOLIDAY, tmp_path)
    _, data = _earliest(r, "2027-03-10T12:00:00+08:00")
    assert data["earliest_tag"] == "2027-06-07T08:00:00+08:00", data["earliest_tag"]

    class At(datetime):
        @classmethod
        def now(cls, tz: object = None) -> At:  # type: ignore[override]
            return cls(2027, 3, 1, 4, 0, tzinfo=UTC)  # +90 days: May 30

    monkeypatch.setattr("gatekeeper.cli.planning.datetime", At)
    shown = r.gate("freeze").out
    assert "may be tagged from 2027-06-07 Mon 08:00" in shown, shown


@pytest.mark.parametrize("count", ["COUNT=-1", "COUNT=-5"])
def test_a_negative_count_is_refused_like_count_0(tmp_path: Path, count: str) -> None:
    """dateutil yields nothing for COUNT<0 exactly as for COUNT=0; check_occurs only
    special-cases `count != 0`, so the weekend freeze loads and never freezes."""
    r = _freeze(_window(f'rrule = "FREQ=WEEKLY;BYDAY=FR;{count}", ', hours=62), tmp_path)
    res = r.gate("check", "v1.0.0", "--at", "2027-01-01T20:00:00Z", "--format", "json")
    if res.code != 2:  # loaded: 2027-01-01 is a Friday, 20:00 is inside the weekend
        assert not gate_of_f(json.loads(res.out))["passed"], "fail-open"
    assert res.code == 2 and "never occurs" in res.err, res.err
