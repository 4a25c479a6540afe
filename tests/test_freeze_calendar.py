"""`gate freeze`: a release manager plans against the freeze calendar from the command line
(local times), and exports it as an iCalendar file a calendar app imports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import Repo, make_repo
from test_calendar import FREEZE

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _repo(
    tmp_path: Path, zone: str = "Asia/Shanghai", start: str = "2026-01-02T18:00:00+08:00"
) -> Repo:
    return make_repo(tmp_path, gates=FREEZE.format(zone=zone, start=start))


def test_the_windows_ahead_in_local_time(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    res = r.gate("freeze", "--from", "2027-02-01", "--to", "2027-02-22")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == "freeze windows from 2027-02-01 00:00 to 2027-02-22 00:00 CST"
    weekends = [x for x in lines if "weekend" in x]
    # The weekend of 29 January is still running at --from (until Mon 1 Feb 08:00).
    assert weekends[0].startswith("2027-01-29 Fri 18:00 – 2027-02-01 Mon 08:00 Asia/Shanghai")
    assert weekends[1].startswith("2027-02-05 Fri 18:00 – 2027-02-08 Mon 08:00 Asia/Shanghai")
    assert len(weekends) == 4  # and 12, 19 February
    assert "[freeze, recurring; every release]" in weekends[0]
    spring = next(x for x in lines if "春节封网" in x)
    assert spring.startswith("2027-02-05 Fri 00:00 – 2027-02-18 Thu 00:00 Asia/Shanghai")
    assert "[freeze; every release]" in spring


def test_a_window_already_running_at_from_is_listed(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    data = json.loads(
        r.gate(
            "freeze",
            "--from",
            "2027-02-06T12:00:00+08:00",
            "--to",
            "2027-02-07",
            "--format",
            "json",
        ).out
    )
    titles = [(w["title"], w["start"]) for w in data["windows"]]
    assert ("weekend", "2027-02-05T18:00:00+08:00") in titles
    assert ("春节封网", "2027-02-05T00:00:00+08:00") in titles


def test_berlin_windows_keep_their_wall_clock_across_dst(tmp_path: Path) -> None:
    r = _repo(tmp_path, "Europe/Berlin", "2026-01-02T18:00:00+01:00")
    data = json.loads(
        r.gate("freeze", "--from", "2026-03-20", "--to", "2026-04-04", "--format", "json").out
    )
    starts = [w["start"] for w in data["windows"] if w["title"] == "weekend"]
    # 27 March is CET (+01:00), 3 April CEST (+02:00): 18:00 local both times.
    assert starts == [
        "2026-03-20T18:00:00+01:00",
        "2026-03-27T18:00:00+01:00",
        "2026-04-03T18:00:00+02:00",
    ]


def test_the_ics_export_imports_with_a_real_parser(tmp_path: Path) -> None:
    from icalendar import Calendar

    r = _repo(tmp_path)
    res = r.gate("freeze", "--from", "2027-02-02", "--to", "2027-02-15", "--format", "ics")
    assert res.code == 0, res.err
    cal = Calendar.from_ical(res.out)
    events = cal.walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == [
        "封网 / Freeze: weekend",
        "封网 / Freeze: weekend",
        "封网 / Freeze: 春节封网",
    ]
    spring = next(e for e in events if "春节" in str(e["SUMMARY"]))
    start, end = spring.decoded("DTSTART"), spring.decoded("DTEND")
    assert start == datetime(2027, 2, 5, tzinfo=SHANGHAI)
    assert end - start == timedelta(days=13)
    assert str(spring["DTSTART"].params["TZID"]) == "Asia/Shanghai"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert len({str(e["UID"]) for e in events}) == 3
    # The same period exported again: the same UIDs (a re-import updates, not duplicates).
    again = Calendar.from_ical(
        r.gate("freeze", "--from", "2027-02-02", "--to", "2027-02-15", "--format", "ics").out
    )
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == {str(e["UID"]) for e in events}


def test_now_inside_a_window_says_when_it_ends(tmp_path: Path) -> None:
    always = (
        '[[gates]]\nid = "freeze"\ntype = "freeze"\ntimezone = "UTC"\n'
        'windows = [{ title = "quarter close", start = 2020-01-01T00:00:00Z, '
        "end = 2099-01-01T00:00:00Z }]\n"
    )
    r = make_repo(tmp_path, gates=always)
    out = r.gate("freeze").out
    assert "now: inside quarter close (freeze); may be tagged from 2099-01-01 Thu 00:00 UTC" in out


def test_bad_dates_and_no_freeze_gates(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    before = r.state()
    res = r.gate("freeze", "--from", "next tuesday")
    assert res.code == 2 and "--from 'next tuesday': expected a date" in res.err
    assert "hint:" in res.err and r.state() == before
    res = r.gate("freeze", "--from", "2027-03-01", "--to", "2027-02-01")
    assert res.code == 2 and "is not after --from" in res.err
    (tmp_path / "plain").mkdir()
    plain = make_repo(tmp_path / "plain")
    res = plain.gate("freeze")
    assert res.code == 0 and "no freeze window in this period" in res.out
