"""The audit for a non-engineer: titles, risk, each gate's verdict, comments, evidence facts,
readable dates, counted vs not counted with the reason, a legend, a footer; in Chromium.

Set UPDATE_SCREENSHOT=1 to write the screenshot kept in docs/audit.png (then shrink it:
`pngquant --quality 70-90 --force --output docs/audit.png docs/audit.png`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import JUNIT_OK, FixedClock, Repo, chromium, make_repo, needs_chromium

GATES = """
[[gates]]
id = "tests"
title = "自动化测试 / Automated tests"
type = "evidence"
kind = "test-report"

[[gates]]
id = "backup"
title = "数据备份 / Database backup"
type = "evidence"
kind = "backup"
targets = ["database"]

[[gates]]
id = "post-check"
title = "上线后检查 / Post-release check"
type = "evidence"
kind = "post-check"
stage = "post-release"
due_hours = 48
"""
COMMENT = 'Looks good <b>"ship" & go</b>'
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))
DOCS = Path(__file__).parent.parent / "docs"


def _named(r: Repo) -> None:
    """People with names, and a role title with a character HTML must escape."""
    policy = (r.path / "policies/release.toml").read_text()
    for pid, name in (("alice", "Alice Liu 刘"), ("bob", "Bob Chen"), ("dave", "Dave Ops")):
        policy = policy.replace(f"[people.{pid}]\n", f'[people.{pid}]\nname = "{name}"\n')
    policy = policy.replace("[roles.rnd]\n", '[roles.rnd]\ntitle = "研发 / R&D"\n')
    r.write("policies/release.toml", policy)
    r.commit("name the people")


def _run(r: Repo, clock: FixedClock, *args: str, who: str = "dave", zone: timezone = UTC) -> None:
    clock.tick(zone)
    res = r.gate(*args, who=who)
    assert res.code == 0, res.err


def _forge(r: Repo, clock: FixedClock, release: str, who: str, replace: dict[str, str]) -> None:
    """A sign-off by `who` the CLI might refuse to write: another record with other names."""
    clock.tick()
    source = next(iter(replace)).strip('"')
    text = next((r.path / f"releases/{release}/approvals").glob(f"*{source}*")).read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    r.write(f"releases/{release}/approvals/{who}-{release}.toml", text)
    r.commit(f"{who} signs", who=who)


@pytest.fixture
def audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """v1.0.0 tagged (a counted approval, an outsider's, a revoked rejection, evidence, a
    post-release check); v1.1.0 untagged with a self-approval."""
    clock = FixedClock(monkeypatch, START, timedelta(minutes=5))
    clock.tick()
    r = make_repo(tmp_path, gates=GATES)
    _named(r)
    junit = tmp_path / "junit.xml"
    junit.write_bytes(JUNIT_OK)
    _v1_0_0(r, clock, junit)
    _run(
        r, clock, "request", "v1.1.0", "--title", "Refund UI 退款界面", "--risk", "low", who="alice"
    )
    _run(r, clock, "approve", "v1.1.0", "--role", "rnd", who="bob")
    _forge(r, clock, "v1.1.0", "alice", {'"bob"': '"alice"', '"rnd"': '"product"'})
    return r


def _v1_0_0(r: Repo, clock: FixedClock, junit: Path) -> None:
    request = ("--title", "Payments <v2> & refunds", "--risk", "major", "--component", "billing")
    _run(r, clock, "request", "v1.0.0", *request, "--summary", "Switch to the new provider")
    _run(r, clock, "approve", "v1.0.0", "--role", "product", "--comment", COMMENT, who="alice",
         zone=CST)  # fmt: skip
    _forge(r, clock, "v1.0.0", "mallory", {'"alice"': '"mallory"'})
    _run(r, clock, "reject", "v1.0.0", "--role", "rnd", "--comment", "wait for QA", who="bob")
    _run(r, clock, "revoke", "v1.0.0", "--role", "rnd", who="bob")
    _run(r, clock, "approve", "v1.0.0", "--role", "rnd", "--comment", "QA done", who="bob")
    _run(r, clock, "attach", "v1.0.0", "test-report", str(junit))
    taken = (clock.now + timedelta(minutes=4)).isoformat()
    backup = ["--set", "target=database", "--set", "location=s3://backups/pay-0302.dump"]
    backup += ["--set", f"taken_at={taken}"]
    _run(r, clock, "attach", "v1.0.0", "backup", *backup)
    _run(r, clock, "tag", "v1.0.0")
    check = ("--set", "result=pass", "--set", "summary=smoke tests OK")
    _run(r, clock, "attach", "v1.0.0", "post-check", *check, who="carol")


def _audit(r: Repo, fmt: str) -> str:
    res = r.gate("audit", "--format", fmt)
    assert res.code == 0, res.err
    return res.out


def _release(data: dict[str, Any], name: str) -> dict[str, Any]:
    releases: list[dict[str, Any]] = data["releases"]
    return next(r for r in releases if r["release"] == name)


def test_json_says_what_counted_and_why(audited: Repo) -> None:
    data = json.loads(_audit(audited, "json"))
    tagged = _release(data, "v1.0.0")
    assert (tagged["title"], tagged["risk"], tagged["component"]) == (
        "Payments <v2> & refunds",
        "major",
        "billing",
    )
    check = tagged["check"]
    assert check["at"] == "tag" and check["passed"] is True
    assert check["commit"] == audited.git("rev-parse", "v1.0.0^{commit}")
    gates = {g["id"]: g for g in check["gates"]}
    assert gates["post-check"]["passed"] and gates["post-check"]["applies"]  # judged after
    assert any("2 tests, 0 failed" in r for r in gates["tests"]["reasons"])
    signoffs = {(a["person"], a["decision"]): a for a in tagged["approvals"]}
    assert signoffs["alice", "approve"]["counted"] is True
    assert signoffs["alice", "approve"]["comment"] == COMMENT
    outsider = signoffs["mallory", "approve"]
    assert outsider["counted"] is False and "not a member" in outsider["not_counted"]
    assert signoffs["bob", "reject"]["not_counted"].startswith("revoked by bob on 2026-03-02")
    assert signoffs["bob", "revoke"]["counted"] is True
    events = {e["detail"]: e for e in tagged["events"]}
    assert "location: s3://backups/pay-0302.dump" in events["backup"]["facts"]
    assert events["post-check"]["counted"] is True
    untagged = _release(data, "v1.1.0")
    assert untagged["check"]["at"] == "revision" and untagged["check"]["passed"] is False
    (own,) = [a for a in untagged["approvals"] if a["person"] == "alice"]
    assert own["counted"] is False and "requested this release" in own["not_counted"]
    assert data["roles"]["rnd"] == "研发 / R&D" and data["people"]["alice"] == "Alice Liu 刘"


def test_html_shows_the_why_escaped(audited: Repo) -> None:
    html = _audit(audited, "html")
    assert "Payments &lt;v2&gt; &amp; refunds" in html and "<v2>" not in html
    assert "Looks good &lt;b&gt;&quot;ship&quot; &amp; go&lt;/b&gt;" in html
    assert '<b>"ship"' not in html
    assert "研发 / R&amp;D" in html and "Alice Liu 刘" in html
    assert 'class="risk risk-major">major<' in html
    assert "✓ all gates pass" in html and "✗ fails now:" in html  # v1.0.0 / v1.1.0
    assert "自动化测试 / Automated tests" in html and "2 tests, 0 failed" in html
    assert "✗ not counted" in html and "mallory is not a member of role" in html
    assert "alice requested this release and may not approve it" in html
    assert "location: s3://backups/pay-0302.dump" in html
    assert "2026-03-02 17:15 <small>UTC+08:00</small>" in html  # alice's, in her own zone
    assert "2026-03-02 09:10 <small>UTC</small>" in html
    assert "white-space:nowrap" in html
    assert "How to read this report" in html
    head = audited.git("rev-parse", "HEAD")
    assert "Generated by gatekeeper " in html and f"from commit <code>{head}</code>" in html
    for external in ("http://", "https://", "<script", " src=", "@import"):
        assert external not in html


def test_text_and_markdown_carry_comments_and_counting(audited: Repo) -> None:
    text = _audit(audited, "text")
    assert "NOT COUNTED: mallory is not a member of role 'product'" in text
    assert f"comment: {COMMENT}" in text and "gates at tag" in text
    markdown = _audit(audited, "markdown")
    assert '“Looks good &lt;b&gt;"ship" &amp; go&lt;/b&gt;”' in markdown
    assert "**not counted**: alice requested this release" in markdown


def test_dates_read_in_their_own_zone() -> None:
    from gatekeeper.render.html_release import when

    west = timezone(timedelta(hours=-5, minutes=-30))
    assert ">2026-03-02 17:00 <small>UTC+08:00</small><" in when(
        datetime(2026, 3, 2, 17, tzinfo=CST)
    )
    assert "<small>UTC-05:30</small>" in when(datetime(2026, 3, 2, 17, tzinfo=west))
    assert "<small>UTC</small>" in when(START)
    assert 'datetime="2026-03-02T09:00:00+00:00"' in when(START)


def test_html_from_value_objects_policy_change_and_a_check_that_could_not_run() -> None:
    from gatekeeper.audit.model import AuditLog, CheckSummary, Event, ReleaseLog
    from gatekeeper.render import html

    change = Event(
        time=START, kind="policy", path="policies/release.toml", commit="c" * 40,
        person="erin@example.com", detail="policy M",
    )  # fmt: skip
    rel = ReleaseLog(
        "v2.0.0<x>",
        events=[change],
        check=CheckSummary(commit="d" * 40, at="revision", passed=False, error="bad <toml>"),
    )
    page = html.audit(AuditLog("e" * 40, "ssh", [rel], generated_at=START))
    assert "<code>policies/release.toml</code> changed" in page
    assert "The check could not run: bad &lt;toml&gt;" in page
    assert "✗ cannot be checked" in page and "(no request)" in page
    assert 'id="r-v2.0.0&lt;x&gt;"' in page and "<x>" not in page
    assert f"from commit <code>{'e' * 40}</code> at <time" in page


def test_gate_marks_tell_pass_fail_pending_and_not_applicable() -> None:
    from gatekeeper.audit.model import GateVerdict
    from gatekeeper.render.html_release import gate_mark

    def mark(**kw: bool) -> str:
        values = {"passed": True, "applies": True} | kw
        return gate_mark(GateVerdict("g", "G", stage="post-release", reasons=(), **values))

    assert "✓ pass" in mark() and "✗ fail" in mark(passed=False)
    assert "○ pending" in mark(pending=True) and "not applicable" in mark(applies=False)


@needs_chromium
def test_html_audit_renders_in_headless_chromium(audited: Repo, tmp_path: Path) -> None:
    report = tmp_path / "audit.html"
    assert audited.gate("audit", "--format", "html", "--output", str(report)).code == 0
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    for shown in ("✗ not counted", "产品 / Product", "How to read this report", "UTC+08:00"):
        assert shown in dom
    shot = tmp_path / "audit.png"
    chromium(tmp_path, "--window-size=1200,1750", f"--screenshot={shot}", report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 60_000  # a blank page compresses to a few KB; this one has tables
    if os.environ.get("UPDATE_SCREENSHOT"):
        (DOCS / "audit.png").write_bytes(data)
