"""紧急上线 (#12, second part): what an emergency waived is due again `retro_hours` after the
tag, binds the next release of the component through `obligations`, shows in `gate status`
as `emergency` then `overdue`, and is listed as an exception by every audit format."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import JUNIT_OK, FixedClock, Repo, approve_all, make_repo

GATES = """
[[gates]]
id = "tests"
type = "evidence"
kind = "test-report"

[[gates]]
id = "obligations"
type = "obligations"
scope = "component"

[emergency]
roles = ["leadership", "ops"]
min = 1
never_waive = ["tests"]
retro_hours = 48
"""


def _repo(tmp_path: Path) -> Repo:
    # Declared components: a prefix that names none is the product's (one obligations scope).
    r = make_repo(tmp_path, extra='components = ["billing", "web"]', gates=GATES)
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace('tags = ["v*"]', 'tags = ["v*", "*/v*"]'))
    r.commit("component tags")
    return r


def _tested(r: Repo, tag: str, who: str = "dave") -> None:
    report = r.path.parent / "report.xml"
    report.write_bytes(JUNIT_OK)
    res = r.gate("attach", tag, "test-report", str(report), who=who)
    assert res.code == 0, res.err


def _json(r: Repo, *args: str) -> dict[str, Any]:
    res = r.gate(*args, "--format", "json")
    assert res.code in (0, 1), res.err
    data: dict[str, Any] = json.loads(res.out)
    return data


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in data["gates"] if g["id"] == gate_id)


def _hotfix(r: Repo, tag: str = "billing/v1.0.0") -> datetime:
    """A release shipped in an emergency: tests attached, no approvals; returns the tag time."""
    assert r.gate("request", tag, "--title", "hotfix", who="carol").code == 0
    _tested(r, tag)
    res = r.gate(
        "emergency", tag, "--reason", "支付中断 / payments down", "--ticket", "INC-7", who="erin"
    )
    assert res.code == 0, res.err
    res = r.gate("tag", tag, who="dave")
    assert res.code == 0, res.out + res.err
    return datetime.now(UTC)


def _at(tagged: datetime, hours: float) -> str:
    return (tagged + timedelta(hours=hours)).isoformat()


def test_a_waived_gate_is_due_again_and_binds_the_next_release(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    tagged = _hotfix(r)
    for tag in ("billing/v1.1.0", "web/v1.0.0"):
        assert r.gate("request", tag, "--title", tag, who="carol").code == 0
        approve_all(r, tag)
        _tested(r, tag)

    post = _json(r, "check", "billing/v1.0.0", "--stage", "post-release")
    retro = _gate(post, "retro:acceptance")
    assert retro["passed"] and retro["pending"] and retro["stage"] == "post-release"
    tag_time = r.git(
        "for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/billing/v1.0.0"
    )
    assert retro["due"] == (datetime.fromisoformat(tag_time) + timedelta(hours=48)).isoformat()
    assert post["passed"] is True
    assert {g["id"] for g in post["gates"]} >= {"retro:acceptance"}  # never_waive: no retro

    # Within retro_hours nothing blocks; after it, the next release of billing fails.
    assert _gate(_json(r, "check", "billing/v1.1.0", "--at", _at(tagged, 47)), "obligations")[
        "passed"
    ]
    late = _gate(_json(r, "check", "billing/v1.1.0", "--at", _at(tagged, 49)), "obligations")
    assert not late["passed"]
    assert "billing/v1.0.0: retro:acceptance is overdue" in late["reasons"][0]
    other = _json(r, "check", "web/v1.0.0", "--at", _at(tagged, 49))
    assert _gate(other, "obligations")["passed"] and other["passed"]
    overdue = _json(
        r, "check", "billing/v1.0.0", "--stage", "post-release", "--at", _at(tagged, 49)
    )
    assert not _gate(overdue, "retro:acceptance")["passed"]

    # The retro-approval settles it, and the next release may ship.
    approve_all(r, "billing/v1.0.0")
    settled = _json(
        r, "check", "billing/v1.0.0", "--stage", "post-release", "--at", _at(tagged, 49)
    )
    retro = _gate(settled, "retro:acceptance")
    assert retro["passed"] and not retro["pending"]
    assert retro["reasons"][0] == "settled after the emergency"
    nxt = _json(r, "check", "billing/v1.1.0", "--at", _at(tagged, 49))
    assert _gate(nxt, "obligations")["passed"] and nxt["passed"]


def test_status_shows_emergency_then_overdue_then_settled(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    tagged = _hotfix(r)

    def stage(*at: str) -> str:
        rows = _json(r, "status", *at)["releases"]
        row = next(x for x in rows if x["release"] == "billing/v1.0.0")
        return str(row["stage"])

    assert stage() == "emergency"
    rows = _json(r, "status")["releases"]
    duty = rows[0]["obligations"][0]
    assert duty["gate"] == "retro:acceptance" and duty["pending"] and duty["due"]
    assert stage("--at", _at(tagged, 49)) == "overdue"
    text = r.gate("status", "--at", _at(tagged, 49)).out
    assert "overdue" in text and "retro:acceptance" in text
    approve_all(r, "billing/v1.0.0")
    assert stage("--at", _at(tagged, 49)) == "tagged"


def test_a_declaration_by_hand_or_by_a_non_member_counts_for_nothing(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "hotfix", who="carol").code == 0
    _tested(r, "v1.0.0")
    request = (r.path / "releases/v1.0.0/request.toml").read_bytes()
    candidate = r.git("rev-parse", "HEAD").strip()
    for person, author in (("mallory", "mallory"), ("erin", "mallory")):
        r.write(
            f"releases/v1.0.0/emergency/20260101T000000Z-{person}.toml",
            'schema = 1\nrelease = "v1.0.0"\n'
            f'person = "{person}"\nreason = "trust me"\ncandidate = "{candidate}"\n'
            f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
            "at = 2026-01-01T00:00:00Z\n",
        )
        r.commit(f"emergency by {person}", who=author)
    data = _json(r, "check", "v1.0.0")
    acceptance = _gate(data, "acceptance")
    assert not acceptance["passed"] and not acceptance["waived"]
    assert data["passed"] is False


def test_the_audit_lists_the_emergency_as_an_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The retro-approvals come after the tag, beyond the clocks' skew: one dated within it
    # is a record of the trusted ref the tagged commit left out, and the receipt (which
    # the intoto audit gives only when it verifies under the trusted ref) would not verify.
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(hours=3), timedelta(hours=1))
    clock.tick()
    r = _repo(tmp_path)
    tagged = _hotfix(r)
    clock.tick()
    audit = _json(r, "audit")
    release = next(x for x in audit["releases"] if x["release"] == "billing/v1.0.0")
    (exc,) = release["exceptions"]
    assert exc["kind"] == "emergency" and exc["waived"] == ["acceptance"]
    assert exc["declarers"] == [
        {"person": "erin", "reason": "支付中断 / payments down", "ticket": "INC-7"}
    ]
    assert exc["retro"] == "pending"
    assert any(e["kind"] == "emergency" for e in release["events"])

    approve_all(r, "billing/v1.0.0")  # in time: within 48 h of the tag
    release = next(x for x in _json(r, "audit")["releases"] if x["release"] == "billing/v1.0.0")
    assert release["exceptions"][0]["retro"] == "in time"
    for fmt in ("text", "markdown"):
        out = r.gate("audit", "--format", fmt).out
        assert "emergency" in out and "INC-7" in out and "in time" in out, fmt
    html = r.gate("audit", "--format", "html").out
    assert "INC-7" in html and "in time" in html
    # The receipt in the tag (gate audit --format intoto) says what was waived, and by whom.
    (receipt,) = json.loads(r.gate("audit", "--format", "intoto").out)
    said = receipt["predicate"]["gatekeeper"]
    assert {"id": "acceptance", "passed": True, "applies": True, "waived": True} in said["gates"]
    assert said["emergency"][0]["ticket"] == "INC-7"
    assert r.gate("verify-receipt", "billing/v1.0.0", "--allow-unsigned").code == 0
    assert tagged  # the tag time is the retro deadline's start


def test_the_audit_judges_in_time_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Days later, the audit still tells a retro-approval made in time from one made late:
    it judges the branch's records as they stood at the deadline."""
    r = _repo(tmp_path)
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    _hotfix(r, "billing/v1.0.0")
    clock.tick()
    _hotfix(r, "web/v1.0.0")
    clock.now += timedelta(hours=10)  # web's retro-approvals: 10 hours after its tag
    clock.tick()
    approve_all(r, "web/v1.0.0")
    clock.now += timedelta(hours=40)  # billing's: 50 hours after its tag
    clock.tick()
    approve_all(r, "billing/v1.0.0")
    releases = {x["release"]: x for x in _json(r, "audit")["releases"]}
    assert releases["web/v1.0.0"]["exceptions"][0]["retro"] == "in time"
    assert releases["billing/v1.0.0"]["exceptions"][0]["retro"] == "late"
    assert not releases["billing/v1.0.0"]["anomalies"]  # retro-approvals are not anomalies
    # Late but settled: it no longer blocks the next release.
    post = _json(r, "check", "billing/v1.0.0", "--stage", "post-release")
    assert _gate(post, "retro:acceptance")["passed"]


def test_an_untagged_emergency_is_an_exception_too(tmp_path: Path) -> None:
    r = _repo(tmp_path)
    assert r.gate("request", "v2.0.0", "--title", "hotfix", who="carol").code == 0
    assert r.gate("emergency", "v2.0.0", "--reason", "outage", who="dave").code == 0
    (release,) = _json(r, "audit")["releases"]
    (exc,) = release["exceptions"]
    assert exc["retro"] == "not tagged" and exc["waived"] == ["acceptance"]
    assert exc["declarers"][0]["person"] == "dave"


def test_post_release_records_made_days_after_the_tag_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The post-release stage is judged now: a post-release record made two days after the
    tag is no record \"dated after the time judged\" (it was, judged at the tag date)."""
    gates = (
        '[[gates]]\nid = "post-check"\ntype = "evidence"\nkind = "post-check"\n'
        'stage = "post-release"\ndue_hours = 72\n'
    )
    r = make_repo(tmp_path, gates=gates)
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r)
    clock.tick()
    assert r.gate("tag", "v1.0.0").code == 0
    clock.now += timedelta(days=2)
    clock.tick()
    assert r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass").code == 0
    post = _json(r, "check", "v1.0.0", "--stage", "post-release")
    assert _gate(post, "post-check")["passed"] and not _gate(post, "post-check")["pending"]
    rows = _json(r, "status")["releases"]
    assert rows[0]["obligations"][0]["done"] is True
