"""Review 6: attacks on a8f4cdc. Each test asserts the right behaviour and fails on the
code as reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, Repo, approve_all, identity, make_repo, policy_text
from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS
from verdicts import check_json, gate_of, summary


def _dated(when: datetime) -> dict[str, str]:
    stamp = f"@{int(when.timestamp())} +0000"
    return {"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}


def test_a_release_tagged_before_the_policy_existed_does_not_block_every_release(
    tmp_path: Path,
) -> None:
    """A team adopts gate on a repository that already has v0.9.0 (tagged, matching `v*`,
    no request: never a gated release). Before a8f4cdc it was read under today's policy,
    had no request and owed nothing. Now its policy is read at the trusted line's commit
    as of its tag, where there is no policies/ at all: "cannot be checked", overdue,
    and every release is blocked for good (only deleting the old tag unblocks)."""
    r = Repo(tmp_path / "adopt")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    old = datetime.now(UTC) - timedelta(days=30)
    r.write("app.py", "print('v0')\n")
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "old code", env={**identity("dave"), **_dated(old)})
    r.git("tag", "-a", "v0.9.0", "-m", "old release", env={**identity("dave"), **_dated(old)})
    r.write("policies/release.toml", policy_text(gates=OBLIGATIONS))
    r.commit("adopt gate")
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    code, data = check_json(r, "check", "v1.0.0")
    assert gate_of(data, "obligations")["passed"], gate_of(data, "obligations")
    assert code == 0, summary(data)


PERF = """
[[gates]]
id = "perf"
type = "evidence"
kind = "perf-test"
stage = "post-release"
due_hours = 48
"""


def test_a_backdated_commit_on_the_trusted_line_does_not_choose_an_earlier_release_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 shipped under a policy with a post-release `perf` gate, never settled: it
    blocks the next release. Someone who lands commits on main (fast-forward, or a direct
    push: committer dates are kept) adds one commit dated before v1.0.0's tag that drops
    `perf`, and a second that restores it: the policy at HEAD and the net diff are
    unchanged. "The newest commit on the first-parent line dated at or before the tag" is
    now the first one, and v1.0.0 owes nothing. Dates on the line are claims; a commit
    cannot have been in force before its parent was."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=3), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + PERF)
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    tagged = clock.now
    clock.tick()
    r.write("app.py", "print('v2')\n")  # unrelated work on main after the tag
    r.commit("work", who="bob")
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace(PERF, ""))
    r.git("add", "-A")
    r.git(
        "commit",
        "-q",
        "-m",
        "tidy",
        env={**identity("mallory"), **_dated(tagged - timedelta(days=1))},
    )
    clock.tick()
    r.write("policies/release.toml", policy)
    r.commit("tidy back", who="mallory")
    clock.tick()
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.1.0")
    code, data = check_json(r, "check", "v1.1.0", "--at", (tagged + timedelta(days=2)).isoformat())
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


BILLING = """
[[gates]]
id = "billing-lead"
type = "approval"
roles = ["leadership"]
min_each = 1
when = { component = ["billing"] }
"""


def test_a_nested_tag_under_a_component_prefix_cannot_dodge_that_components_gates(
    tmp_path: Path,
) -> None:
    """`billing/v2.3.1` is billing's release and must meet `when = { component =
    ["billing"] }`. `billing/hotfix/v2.3.2` (the policy's `*/v*` matches it, and a forge
    rule or deploy job on `billing/**` treats it as billing's) has the prefix
    `billing/hotfix`, which is no component, so it binds nothing: filed as component
    `web`, it skips billing's leadership approval."""
    r = make_repo(tmp_path, gates=BILLING)
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace('tags = ["v*"]', 'tags = ["*/v*"]')
    policy = policy.replace("schema = 1", 'schema = 1\ncomponents = ["billing", "web"]')
    r.write("policies/release.toml", policy)
    r.commit("components")
    # The plain form is bound: billing's request must say billing.
    res = r.gate("request", "billing/v2.3.1", "--title", "x", "--component", "web", who="carol")
    assert res.code != 0
    tag = "billing/hotfix/v2.3.2"
    res = r.gate("request", tag, "--title", "x", "--component", "web", who="carol")
    if res.code == 0:
        approve_all(r, tag)
        code, data = check_json(r, "check", tag)
        assert code == 1, summary(data)


def test_a_waived_rejection_in_a_gate_that_does_not_apply_is_settled_by_its_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """erin's rejection stands in `leadership` though the request, revised to normal risk,
    no longer needs leadership; an emergency waives it (a8f4cdc) and it is owed after the
    tag. erin revokes after the tag: what stood in the way is gone, and the gate does not
    apply to this release. `retro:leadership` judges the gate as if it applied and asks a
    leadership approval the release never needed: pending, then overdue, blocking the
    next release."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=EMERGENCY_LEADERSHIP)
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    clock.tick()
    assert r.gate("reject", "v1.0.0", "--role", "leadership", who="erin").code == 0
    clock.tick()
    assert r.gate("request", "v1.0.0", "--revise", "--risk", "normal", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    clock.tick()
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    tagged = clock.now
    clock.tick()
    assert r.gate("revoke", "v1.0.0", "--role", "leadership", who="erin").code == 0
    code, data = check_json(
        r,
        "check",
        "v1.0.0",
        "--stage",
        "post-release",
        "--at",
        (tagged + timedelta(hours=49)).isoformat(),
    )
    assert gate_of(data, "retro:leadership")["passed"], gate_of(data, "retro:leadership")
    assert code == 0, summary(data)
