"""The calendar at its edges (a review of time and the calendar): dates past the year
9999, rules that never move on, zones a machine happens to have, the hour repeated when
clocks go back, and a time given without its UTC offset. Each failed on the code before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity, make_repo
from snippets import POST_CHECK
from test_attack_ci import FAR, mktag  # FAR: a git date in the year 33658

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
