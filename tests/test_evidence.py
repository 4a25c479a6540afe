"""Each evidence kind's pass and fail, and attachments re-verified at check time."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import JUNIT_FAIL, JUNIT_OK, Repo, approve_all, make_repo
from gatekeeper.errors import RecordError
from gatekeeper.evidence.test_report import parse_junit


def _gate(kind: str, body: str = "") -> str:
    return f'[[gates]]\nid = "{kind}"\ntype = "evidence"\nkind = "{kind}"\n{body}\n'


def _ready(tmp_path: Path, gates: str) -> Repo:
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    return r


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_junit_counts_testcases_not_attributes() -> None:
    counts = parse_junit(JUNIT_FAIL, "r.xml")
    assert (counts.tests, counts.failures, counts.errors, counts.skipped) == (2, 1, 0, 0)
    nested = b"""<testsuites><testsuite name="a"><testsuite name="b">
    <testcase name="x"><error/></testcase><testcase name="y"><skipped/></testcase>
    </testsuite></testsuite></testsuites>"""
    counts = parse_junit(nested, "n.xml")
    assert (counts.tests, counts.errors, counts.skipped) == (2, 1, 1)


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<testsuite>&lol2;</testsuite>",
        b'<!DOCTYPE testsuite SYSTEM "http://example.com/x.dtd"><testsuite/>',
    ],
)
def test_junit_with_dtd_is_refused(doc: bytes) -> None:
    with pytest.raises(RecordError, match="DTD"):
        parse_junit(doc, "bomb.xml")


def test_junit_not_a_report_is_refused() -> None:
    with pytest.raises(RecordError, match="expected <testsuites>"):
        parse_junit(b"<html/>", "x.xml")
    with pytest.raises(RecordError, match="not well-formed"):
        parse_junit(b"<testsuite", "x.xml")


def test_test_report_pass_and_fail(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("test-report", "max_failures = 0\nmin_tests = 2"))
    bad = _file(tmp_path, "bad.xml", JUNIT_FAIL)
    before = r.state()
    res = r.gate("attach", "v1.0.0", "test-report", bad)
    assert res.code == 2 and "would not count: gate 'test-report': 1 failed" in res.err
    assert "--force" in res.err and r.state() == before
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "1 failed" in res.out and "at most 0 may fail" in res.out
    assert r.gate("attach", "v1.0.0", "test-report", _file(tmp_path, "ok.xml", JUNIT_OK)).code == 0
    assert r.gate("check", "v1.0.0").code == 0


def test_attach_refuses_bomb_and_leaves_repo_untouched(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("test-report"))
    before = r.state()
    bomb = _file(
        tmp_path, "bomb.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>'
    )
    res = r.gate("attach", "v1.0.0", "test-report", bomb)
    assert res.code == 2 and "DTD" in res.err and "hint:" in res.err
    assert r.state() == before


def test_a_report_nested_too_deep_is_refused_not_a_crash(tmp_path: Path) -> None:
    """1,000 suites inside each other (8 KB) crashed attach, and once committed every
    check, `--all-tags` and the audit, with a RecursionError."""
    case = b'<testcase name="a"/>'
    nested = b"<testsuite>" * 10 + case + b"</testsuite>" * 10
    assert parse_junit(nested, "ok.xml").tests == 1  # suites in suites are JUnit
    deep = (
        b"<testsuites>" + b"<testsuite>" * 1000 + case + b"</testsuite>" * 1000 + b"</testsuites>"
    )
    with pytest.raises(RecordError, match="nested 1002 deep; expected at most 64"):
        parse_junit(deep, "deep.xml")
    r = _ready(tmp_path, _gate("test-report"))
    before = r.state()
    res = r.gate("attach", "v1.0.0", "test-report", _file(tmp_path, "deep.xml", deep))
    assert res.code == 2 and "nested 1002 deep" in res.err and "hint:" in res.err
    assert r.state() == before


def test_attachment_tampered_after_recording(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("test-report"))
    r.gate("attach", "v1.0.0", "test-report", _file(tmp_path, "ok.xml", JUNIT_OK))
    stored = next(p for p in (r.path / "releases/v1.0.0/evidence").iterdir() if p.suffix == ".xml")
    stored.write_bytes(JUNIT_OK.replace(b'name="b"', b'name="c"'))
    r.commit("tweak the report")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "changed after it was recorded" in res.out


def test_backup_targets_and_age(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("backup", 'targets = ["database", "files"]\nmax_age_hours = 24'))
    assert (
        r.gate(
            "attach", "v1.0.0", "backup", "--set", "target=database", "--set", "location=s3://b/db"
        ).code
        == 0
    )
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "no backup of target 'files'" in res.out
    old = r.gate(
        "attach",
        "v1.0.0",
        "backup",
        "--set",
        "target=files",
        "--set",
        "location=/mnt/b",
        "--set",
        "taken_at=2020-01-01T00:00:00+00:00",
    )
    assert old.code == 2 and "at most 24 h" in old.err  # refused: it could never count
    old = r.gate(
        "attach",
        "v1.0.0",
        "backup",
        "--set",
        "target=files",
        "--set",
        "location=/mnt/b",
        "--set",
        "taken_at=2020-01-01T00:00:00+00:00",
        "--force",
    )
    assert old.code == 0, old.err
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "expected at most 24 h" in res.out
    r.gate("attach", "v1.0.0", "backup", "--set", "target=files", "--set", "location=/mnt/b")
    res = r.gate("check", "v1.0.0")
    assert res.code == 0
    # Reasons state facts: where each backup is and how old it was when judged.
    assert "database backup at s3://b/db taken 0.0 h before the time judged" in res.out
    assert "files backup at /mnt/b taken 0.0 h before" in res.out


def test_backup_needs_its_fields(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("backup", 'targets = ["database"]'))
    before = r.state()
    res = r.gate("attach", "v1.0.0", "backup", "--set", "target=database")
    assert res.code == 2 and "--set location" in res.err
    res = r.gate("attach", "v1.0.0", "backup", "--set", "nonsense")
    assert res.code == 2 and "expected key=value" in res.err
    assert r.state() == before


def test_env_check(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("env-check", 'checks = ["servers", "database"]'))
    r.gate("attach", "v1.0.0", "env-check", "--set", "servers=pass")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "check 'database' is missing" in res.out
    r.gate("attach", "v1.0.0", "env-check", "--set", "servers=pass", "--set", "database=fail")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "check 'database' failed" in res.out
    bad = r.gate("attach", "v1.0.0", "env-check", "--set", "servers=yes")
    assert bad.code == 2
    r.gate("attach", "v1.0.0", "env-check", "--set", "servers=pass", "--set", "database=pass")
    assert r.gate("check", "v1.0.0").code == 0


def test_launch_notice_by_product_only(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("launch-notice", 'by_roles = ["product"]'))
    notice = _file(tmp_path, "notice.md", "# 上线通告\n\ntonight\n".encode())
    r.gate("attach", "v1.0.0", "launch-notice", notice, who="bob")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "only product may publish it" in res.out
    r.gate("attach", "v1.0.0", "launch-notice", notice, who="alice")
    assert r.gate("check", "v1.0.0").code == 0
    wrong = r.gate("attach", "v1.0.0", "launch-notice", _file(tmp_path, "n.txt", b"x"), who="alice")
    assert wrong.code == 2 and "expected a .md file" in wrong.err


def test_custom_kind_with_required_fields(tmp_path: Path) -> None:
    r = _ready(tmp_path, _gate("security-scan", 'fields = ["tool", "result"]'))
    r.gate("attach", "v1.0.0", "security-scan", "--set", "tool=trivy")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "no security-scan record has all of: tool, result" in res.out
    r.gate("attach", "v1.0.0", "security-scan", "--set", "tool=trivy", "--set", "result=clean")
    assert r.gate("check", "v1.0.0").code == 0


def test_post_release_gates_are_pending_until_due(tmp_path: Path) -> None:
    from datetime import timedelta

    from gatekeeper.check.evaluation import CheckOptions, check_release
    from gatekeeper.repo import open_repo

    r = _ready(tmp_path, _gate("post-check", 'stage = "post-release"\ndue_hours = 24'))
    assert "post-release gate" in r.gate("check", "v1.0.0").out
    assert r.gate("tag", "v1.0.0").code == 0
    res = r.gate("check", "v1.0.0", "--stage", "post-release")
    assert res.code == 0 and "pending: due by" in res.out
    with open_repo(r.path) as git:
        info = git.tag("v1.0.0")
        assert info is not None and info.tagged_at is not None
        late = check_release(
            git,
            "v1.0.0",
            CheckOptions(stage="post-release", now=info.tagged_at + timedelta(hours=25)),
        )
    assert not late.passed
    assert any("overdue since" in reason for g in late.gates for reason in g.reasons)
    # Recorded after the tag, on the branch: read from HEAD for the post-release stage.
    assert r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass").code == 0
    done = r.gate("check", "v1.0.0", "--stage", "post-release")
    assert done.code == 0 and "pending" not in done.out
    assert r.gate("status").out.split()[:2] == ["v1.0.0", "verified"]


def test_a_backup_taken_as_the_command_runs_is_not_in_the_future(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`taken_at` defaults to the moment `gate attach` runs, a little after the time its
    record is dated: within the clock-skew allowance, that is not "in the future" (the demo
    failed now and then on exactly this)."""
    from datetime import UTC, datetime, timedelta

    from conftest import FixedClock

    r = _ready(
        tmp_path,
        '[[gates]]\nid = "backup"\ntype = "evidence"\nkind = "backup"\ntargets = ["database"]\n',
    )
    FixedClock(monkeypatch, datetime.now(UTC) - timedelta(seconds=30), timedelta(0))
    res = r.gate(
        "attach", "v1.0.0", "backup", "--set", "target=database", "--set", "location=s3://b"
    )
    assert res.code == 0, res.err
