"""The seeds' calendar (#12, first part): 上线预知 lead time, 封网 freeze windows (one-off and
RRULE, in zones with and without DST), and gates that apply only when paths changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import FixedClock, Repo, approve_all, make_repo
from snippets import POST_CHECK


def _frozen(r: Repo, at: str) -> bool:
    """Whether the freeze gate fails at `at` (other gates may judge records made later)."""
    return not _gate(_check(r, at)[1], "freeze")["passed"]


def _check(r: Repo, at: str, tag: str = "v1.0.0") -> tuple[int, dict[str, Any]]:
    res = r.gate("check", tag, "--at", at, "--format", "json")
    assert res.code in (0, 1), res.err
    data = json.loads(res.out)
    return res.code, data


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in data["gates"] if g["id"] == gate_id)


def _ready(tmp_path: Path, gates: str) -> Repo:
    tmp_path.mkdir(parents=True, exist_ok=True)
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    return r


def test_lead_time_six_days_fails_seven_passes(tmp_path: Path) -> None:
    r = _ready(tmp_path, '[[gates]]\nid = "lead"\ntype = "lead-time"\nmin_days = 7\n')
    now = datetime.now(UTC)
    code, data = _check(r, (now + timedelta(days=6)).isoformat())
    assert code == 1 and _gate(data, "lead")["reasons"][0].startswith("too soon: filed ")
    assert "may be tagged from" in _gate(data, "lead")["reasons"][0]
    code, data = _check(r, (now + timedelta(days=7, minutes=5)).isoformat())
    assert code == 0, data


FREEZE = """
[[gates]]
id = "freeze"
type = "freeze"
timezone = "{zone}"

[[gates.windows]]
title = "春节封网"
start = 2027-02-05T00:00:00+08:00
end = 2027-02-18T00:00:00+08:00

[[gates.windows]]
title = "weekend"
rrule = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0"
start = {start}
duration_hours = 62
"""


def test_a_one_off_freeze_window(tmp_path: Path) -> None:
    gates = FREEZE.format(zone="Asia/Shanghai", start="2026-01-02T18:00:00+08:00")
    r = _ready(tmp_path, gates)
    code, data = _check(r, "2027-02-10T10:00:00+08:00")
    reason = _gate(data, "freeze")["reasons"][0]
    assert code == 1 and not _gate(data, "freeze")["passed"]
    assert reason.startswith("inside 春节封网 (2027-02-05 00:00 – 2027-02-18 00:00")
    assert "may be tagged from 2027-02-18 00:00" in reason
    assert not _frozen(r, "2027-02-18T00:00:00+08:00")  # a Thursday, after the window


def test_a_weekly_window_in_shanghai_and_in_berlin_across_dst(tmp_path: Path) -> None:
    shanghai = _ready(
        tmp_path / "sh", FREEZE.format(zone="Asia/Shanghai", start="2026-01-02T18:00:00+08:00")
    )
    assert _frozen(shanghai, "2026-07-03T10:30:00Z")  # Fri 18:30 in Shanghai
    assert not _frozen(shanghai, "2026-07-03T09:30:00Z")  # Fri 17:30
    assert not _frozen(shanghai, "2026-07-06T00:30:00Z")  # Mon 08:30: 62 h are over
    # Berlin: the rule was written in winter (+01:00); in July 18:00 is +02:00 = 16:00 UTC.
    berlin = _ready(
        tmp_path / "be", FREEZE.format(zone="Europe/Berlin", start="2026-01-02T18:00:00+01:00")
    )
    assert _frozen(berlin, "2026-07-03T16:30:00Z")  # Fri 18:30 CEST: frozen
    assert not _frozen(berlin, "2026-07-03T15:30:00Z")  # Fri 17:30 CEST: not yet
    assert _frozen(berlin, "2027-01-08T17:30:00Z")  # Fri 18:30 CET, winter again


def test_a_freeze_window_must_be_well_formed(tmp_path: Path) -> None:
    bad = (
        '[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "Mars/Olympus"\n'
        "windows = [{ start = 2026-01-01T00:00:00Z, end = 2026-01-02T00:00:00Z }]\n"
    )
    r = make_repo(tmp_path, gates=bad)
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "unknown IANA time zone 'Mars/Olympus'" in res.err


def _freeze_rule(rrule: str) -> str:
    return (
        '[[gates]]\nid = "f"\ntype = "freeze"\n'
        f'windows = [{{ rrule = "{rrule}", start = 2026-01-02T18:00:00Z, duration_hours = 2 }}]\n'
    )


def test_a_freeze_rule_that_would_stall_every_check_is_refused(tmp_path: Path) -> None:
    """dateutil walks every period from a rule's start: FREQ=SECONDLY since January is
    some 30 million steps at each check, a rule that never occurs walks to the year 9999,
    and `BYDAY=60MO` crashed it outright."""
    refused = {
        "FREQ=SECONDLY": "FREQ=SECONDLY; expected FREQ=DAILY, WEEKLY, MONTHLY, YEARLY",
        "FREQ=MINUTELY;INTERVAL=5": "FREQ=MINUTELY; expected",
        "FREQ=DAILY;BYHOUR=0,1,2,3": "BYHOUR has several values; expected one",
        "FREQ=DAILY;BYMINUTE=0,30": "BYMINUTE has several values; expected one",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30": "never occurs within 30 years after 2026-01-02T18",
        "FREQ=YEARLY;BYDAY=60MO": "rrule 'FREQ=YEARLY;BYDAY=60MO': ",
        r"FREQ=DAILY\nFREQ=SECONDLY": "expected one line such as FREQ=WEEKLY;BYDAY=FR",
    }
    for n, (rule, said) in enumerate(refused.items()):
        (tmp_path / str(n)).mkdir()
        r = make_repo(tmp_path / str(n), gates=_freeze_rule(rule))
        res = r.gate("check", "v1.0.0")
        assert res.code == 2 and said in res.err, (rule, res.err)
        assert "].windows[0]: rrule" in res.err and "hint:" in res.err
        assert "Traceback" not in res.err
    (tmp_path / "old").mkdir()
    window = '{ rrule = "FREQ=DAILY", start = 0001-01-01T00:00:00Z, duration_hours = 1 }'
    r = make_repo(
        tmp_path / "old",
        gates=_freeze_rule("").replace(
            '{ rrule = "", start = 2026-01-02T18:00:00Z, duration_hours = 2 }', window
        ),
    )
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "starts 0001-01-01; expected a start from 1970 to 8999" in res.err
    late = (
        '[[gates]]\nid = "f"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\nwindows = [{ rrule'
        ' = "FREQ=YEARLY", start = 9999-12-31T20:00:00Z, duration_hours = 1 }]\n'
    )
    (tmp_path / "late").mkdir()
    res = make_repo(tmp_path / "late", gates=late).gate("check", "v1.0.0")
    assert res.code == 2 and "starts 9999-12-31; expected a start from 1970 to 8999" in res.err
    many = ", ".join(
        f'{{ rrule = "FREQ=DAILY", start = 1970-01-01T{n % 24:02}:00:00Z, duration_hours = 1 }}'
        for n in range(33)
    )
    (tmp_path / "many").mkdir()
    gates = f'[[gates]]\nid = "f"\ntype = "freeze"\nwindows = [{many}]\n'
    res = make_repo(tmp_path / "many", gates=gates).gate("check", "v1.0.0")
    assert res.code == 2 and "more than 32 recurring windows" in res.err


def test_a_tag_regex_is_matched_in_linear_time(tmp_path: Path) -> None:
    """A nested repeat made Python's `re` backtrack 2**60 times over a 61-character tag
    (run in a subprocess with a timeout, so a hang fails instead of stalling the suite)."""
    import subprocess
    import sys

    r = make_repo(tmp_path, extra="tag_regex = '^v(a+)+$'")
    tag = "v" + "a" * 60 + "b"
    proc = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "-C", str(r.path), "check", tag],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "does not match the policy's tag_regex" in proc.stderr
    for n, pattern in enumerate((r"^v(\d+)\1$", r"^v(?=\d)")):
        (tmp_path / str(n)).mkdir()
        r = make_repo(tmp_path / str(n), extra=f"tag_regex = '{pattern}'")
        res = r.gate("check", "v1.0.0")
        assert res.code == 2 and "tag_regex: not a valid regular expression: invalid" in (
            res.err
        ), res.err
        assert "RE2 syntax: no backreferences or lookaround" in res.err


def test_when_paths_applies_only_when_a_matching_path_changed(tmp_path: Path) -> None:
    gate = (
        '[[gates]]\nid = "dba"\ntype = "approval"\nroles = ["ops"]\n'
        'when = { paths = ["migrations/**"] }\n'
    )
    r = make_repo(tmp_path, gates=gate)
    assert r.gate("request", "v1.0.0", "--title", "first", who="carol").code == 0
    approve_all(r)
    code, data = _check(r, "now")
    assert _gate(data, "dba")["applies"] is True  # no previous release: it applies
    approve_all(r, roles=("dave",))
    r.git("tag", "-a", "v1.0.0", "-m", "first")
    r.write("app.py", "print('v1.1')\n")
    r.commit("code only")
    assert r.gate("request", "v1.1.0", "--title", "code only", who="carol").code == 0
    code, data = _check(r, "now", "v1.1.0")
    assert _gate(data, "dba")["applies"] is False
    assert "nothing matching migrations/** changed" in _gate(data, "dba")["reasons"][0]
    r.write("migrations/001.sql", "create table t (id int);\n")
    r.commit("a migration")
    assert r.gate("request", "v1.2.0", "--title", "schema", who="carol").code == 0
    code, data = _check(r, "now", "v1.2.0")
    assert _gate(data, "dba")["applies"] is True and code == 1


def test_a_decoy_tag_is_no_previous_release_for_when_paths(tmp_path: Path) -> None:
    """A release-shaped tag pushed onto the candidate itself would make "nothing changed
    since the previous release": only a tag that passes its own check is one."""
    gate = (
        '[[gates]]\nid = "dba"\ntype = "approval"\nroles = ["ops"]\n'
        'when = { paths = ["migrations/**"] }\n'
    )
    r = make_repo(tmp_path, gates=gate)
    r.write("migrations/001.sql", "drop table customers;\n")
    r.commit("a migration")
    candidate = r.git("rev-parse", "HEAD")
    assert r.gate("request", "v1.1.0", "--title", "schema", who="carol").code == 0
    approve_all(r, "v1.1.0")  # product and R&D; the DBA (ops) never approves
    r.git("tag", "-a", "v1.0.1", "-m", "decoy", candidate)
    r.git("tag", "-a", "v1.1.0", "-m", "v1.1.0")
    code, data = _check(r, "now", "v1.1.0")
    assert code == 1 and _gate(data, "dba")["applies"] is True, data


OBLIGATIONS = POST_CHECK.replace('scope = "all"', 'scope = "component"')


def test_an_overdue_obligation_blocks_the_next_release_of_its_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Components are declared: a prefix that names none is the product's (one scope).
    r = make_repo(tmp_path, extra='components = ["billing", "web"]', gates=OBLIGATIONS)
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace('tags = ["v*"]', 'tags = ["v*", "*/v*"]'))
    r.commit("component tags")
    for tag in ("billing/v1.0.0", "billing/v1.1.0", "web/v1.0.0"):
        assert r.gate("request", tag, "--title", tag).code == 0
        approve_all(r, tag)
    r.git("tag", "-a", "billing/v1.0.0", "-m", "shipped")  # its post-check never comes
    tagged = datetime.now(UTC)

    def obligations(tag: str, hours: int) -> dict[str, Any]:
        data = _check(r, (tagged + timedelta(hours=hours)).isoformat(), tag)[1]
        return _gate(data, "obligations")

    assert obligations("billing/v1.1.0", 47)["passed"] is True  # due, not yet overdue
    late = obligations("billing/v1.1.0", 49)
    assert late["passed"] is False
    assert "billing/v1.0.0: post-check is overdue" in late["reasons"][0]
    assert obligations("web/v1.0.0", 49)["passed"] is True  # another component
    # Settling it (the post-check, a minute after the tag: one in the tag's second is
    # no check of what shipped) lifts the block.
    FixedClock(monkeypatch, tagged, timedelta(minutes=1)).tick()
    assert r.gate("attach", "billing/v1.0.0", "post-check", "--set", "result=pass").code == 0
    assert obligations("billing/v1.1.0", 49)["passed"] is True


def test_an_earlier_release_s_folder_deleted_in_the_tagged_commit_hides_no_obligation(
    tmp_path: Path,
) -> None:
    """The tagged commit drops the folder of an earlier release whose post-check is
    overdue. CI reads earlier releases' records at the trusted ref, not at the commit the
    tagger chose; without one, a release whose committed records were dropped is overdue."""
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    approve_all(r, "v1.0.0")
    stamp = f"@{int((datetime.now(UTC) - timedelta(hours=50)).timestamp())} +0000"
    r.git("tag", "-a", "v1.0.0", "-m", "shipped", env={"GIT_COMMITTER_DATE": stamp})
    assert r.gate("request", "v1.1.0", "--title", "two").code == 0
    approve_all(r, "v1.1.0")
    r.git("checkout", "-q", "-b", "quiet")
    r.git("rm", "-r", "-q", "releases/v1.0.0")
    r.git("commit", "-q", "--no-verify", "-m", "tidy up")
    r.git("tag", "-a", "v1.1.0", "-m", "v1.1.0")
    r.git("checkout", "-q", "v1.1.0")  # as CI checks out a pushed tag
    for args, why in [(["--policy-ref", "main"], "post-check is overdue"), ([], "deleted")]:
        res = r.gate("check", "v1.1.0", *args, "--format", "json")
        assert res.code == 1, (args, res.out)
        said = _gate(json.loads(res.out), "obligations")
        assert not said["passed"] and "v1.0.0" in said["reasons"][0], (args, said)
        assert why in said["reasons"][0], said


EMERGENCY = """
[[gates]]
id = "tests"
type = "evidence"
kind = "test-report"

[emergency]
roles = ["leadership", "ops"]
min = 1
never_waive = ["tests"]
retro_hours = 48
"""


def test_an_emergency_waives_approvals_but_never_tests(tmp_path: Path) -> None:
    r = make_repo(tmp_path, gates=EMERGENCY)
    assert r.gate("request", "v1.0.0", "--title", "hotfix", who="dave").code == 0
    # A non-member's declaration is refused, and one written by hand counts for nothing.
    before = r.state()
    res = r.gate("emergency", "v1.0.0", "--reason", "prod down", who="mallory")
    assert res.code == 2 and "holds none of the emergency roles" in res.err
    assert r.state() == before
    res = r.gate("emergency", "v1.0.0", "--reason", "prod down", "--ticket", "INC-7", who="erin")
    assert res.code == 0, res.err
    data = json.loads(r.gate("check", "v1.0.0", "--format", "json").out)
    acceptance, tests = _gate(data, "acceptance"), _gate(data, "tests")
    assert acceptance["passed"] is True and acceptance["waived"] is True
    assert "waived by an emergency (erin: prod down (INC-7))" in acceptance["reasons"][0]
    assert tests["passed"] is False and tests["waived"] is False  # never_waive
    status = json.loads(r.gate("status", "--format", "json").out)
    assert status["releases"][0]["stage"] == "emergency"


def test_check_says_when_the_release_may_be_tagged_at_the_earliest(tmp_path: Path) -> None:
    """Lead time served on a day a freeze covers: the earliest time is the freeze's end."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now + timedelta(days=6), now + timedelta(days=9)
    gates = (
        '[[gates]]\nid = "lead"\ntype = "lead-time"\nmin_days = 7\n\n'
        '[[gates]]\nid = "freeze"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
        f'windows = [{{ title = "quarter close", start = {start.isoformat()}, '
        f"end = {end.isoformat()} }}]\n"
    )
    r = _ready(tmp_path, gates)
    code, data = _check(r, "now")
    assert code == 1 and data["earliest_tag"] == end.isoformat()
    text = r.gate("check", "v1.0.0").out
    earliest = end.isoformat(timespec="minutes")
    assert f"may be tagged at the earliest: {earliest} (lead time and freeze windows)" in text
    # Past both: nothing to wait for.
    code, data = _check(r, (end + timedelta(minutes=1)).isoformat())
    assert code == 0 and data["earliest_tag"] is None


def test_an_undeclared_kind_is_refused_at_request_time(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='kinds = ["release", "server-upgrade", "parameter-rollout"]')
    before = r.state()
    res = r.gate("request", "v1.0.0", "--title", "t", "--kind", "server-upgrad")
    assert res.code == 2 and "kind 'server-upgrad' is not declared" in res.err
    assert "hint:" in res.err and r.state() == before
    assert r.gate("request", "v1.0.0", "--title", "t", "--kind", "server-upgrade").code == 0
