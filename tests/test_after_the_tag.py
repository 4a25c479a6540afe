"""Who may settle what a shipped release owes, by a record made after its tag.

An earlier release owes what the policy that bound it says (check/earlier.py); a record
made after the tag also answers to the trusted line's policy when the line took it in
(trust/later.py): leaving a role stops someone settling, and never undoes what they
settled while they held it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, Repo, approve_all, make_repo
from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS, POST_CHECK
from test_attack_fixes import _ssh_repo, keys
from test_attack_policy_in_force import _next_release, _signoff_at
from verdicts import check_json, gate_of, summary

__all__ = ["keys"]  # the module-scoped fixture, shared

QA_CHECK = """
[[gates]]
id = "post-check"
type = "evidence"
kind = "post-check"
stage = "post-release"
due_hours = 48
by_roles = ["rnd"]
"""


def _shipped(r: Repo, clock: FixedClock, *, emergency: bool) -> datetime:
    """v1.0.0, requested, approved and tagged on main (through dave's emergency, when
    asked): the time of the tag."""
    risk = ("--risk", "major") if emergency else ()
    assert r.gate("request", "v1.0.0", "--title", "one", *risk, who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    if emergency:
        assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
        clock.tick()
    res = r.gate("tag", "v1.0.0", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    return tagged


def _leaves(r: Repo, who: str, role: str) -> None:
    """main's policy takes `who` out of `role` (and puts mallory in)."""
    policy = (r.path / "policies/release.toml").read_text()
    held = f'[roles.{role}]\nmembers = ["{who}"]'
    assert held in policy
    r.write("policies/release.toml", policy.replace(held, f'[roles.{role}]\nmembers = ["mallory"]'))
    r.commit(f"{who} leaves {role}", who="alice")


def _obligations_at(r: Repo, tagged: datetime, clock: FixedClock) -> tuple[int, dict]:  # type: ignore[type-arg]
    _next_release(r, clock)
    at = (tagged + timedelta(days=3)).isoformat()
    return check_json(r, "check", "v1.1.0", "--policy-ref", "main", "--at", at)


def test_a_retro_approval_taken_in_before_its_signer_left_keeps_settling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """erin settles v1.0.0's retro-approval while she is leadership, and leaves afterwards:
    what she settled stays settled, and v1.1.0 is not blocked (leaving a role does not
    re-judge what was signed before)."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    tagged = _shipped(r, clock, emergency=True)
    _signoff_at(r, "erin", "leadership", clock.now)
    clock.tick()
    _leaves(r, "erin", "leadership")
    code, data = _obligations_at(r, tagged, clock)
    assert gate_of(data, "obligations")["passed"], summary(data)
    assert code == 0, summary(data)


def test_a_retro_approval_made_before_leaving_but_taken_in_after_does_not_settle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """erin signs v1.0.0's retro-approval on a branch while still leadership (its date says
    so); main takes her out of the role, then merges the branch. The line took the record
    in when she no longer held the role: dates are claims, the line's order is not."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    tagged = _shipped(r, clock, emergency=True)
    r.git("checkout", "-q", "-b", "late")
    _signoff_at(r, "erin", "leadership", clock.now)
    clock.tick()
    r.git("checkout", "-q", "main")
    _leaves(r, "erin", "leadership")
    clock.tick()
    r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'late'", "late")
    code, data = _obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert "retro:leadership" in " ".join(gate_of(data, "obligations")["reasons"])
    assert code == 1


@pytest.mark.parametrize("leaves_first", [True, False])
def test_a_post_release_record_counts_only_while_its_maker_holds_the_role_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leaves_first: bool
) -> None:
    """`post-check` may only be published by rnd. bob (rnd) records it for v1.0.0 after
    the tag. Made after he left rnd, it settles nothing and v1.1.0 is blocked; made
    before, it keeps settling after he leaves."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + QA_CHECK)
    clock.tick()
    tagged = _shipped(r, clock, emergency=False)
    if leaves_first:
        _leaves(r, "bob", "rnd")
        clock.tick()
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", who="bob")
    assert res.code == 0, res.out + res.err
    clock.tick()
    if not leaves_first:
        _leaves(r, "bob", "rnd")
    clock.tick()
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.1.0", roles=("alice",))
    assert r.gate("approve", "v1.1.0", "--role", "rnd", who="mallory").code == 0  # rnd now
    at = (tagged + timedelta(days=3)).isoformat()
    code, data = check_json(r, "check", "v1.1.0", "--policy-ref", "main", "--at", at)
    assert gate_of(data, "obligations")["passed"] is not leaves_first, summary(data)
    assert code == (1 if leaves_first else 0), summary(data)


@pytest.mark.parametrize("removed_first", [True, False])
def test_a_post_release_record_signed_with_a_removed_key_settles_nothing_after_the_removal(
    tmp_path: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, removed_first: bool
) -> None:
    """`ssh` mode: dave signs v1.0.0's post-check after the tag with his key. Taken into
    main after main removed that key (signed on a branch while it was listed), it settles
    nothing and v1.1.0 is blocked; taken in before, it keeps settling after the removal."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = _ssh_repo(tmp_path, keys, POST_CHECK)

    def run(who: str, *args: str) -> None:
        res = r.gate(*args, "--key", str(keys[who]), who=who)
        assert res.code == 0, res.out + res.err
        clock.tick()

    def remove_daves_key() -> None:
        pub = keys["dave"].with_name("dave.pub").read_text().strip()
        policy = (r.path / "policies/release.toml").read_text()
        assert f'keys = ["{pub}"]\n' in policy
        r.write("policies/release.toml", policy.replace(f'keys = ["{pub}"]\n', "", 1))
        r.commit("dave's key removed", who="alice")
        clock.tick()

    run("dave", "request", "v1.0.0", "--title", "one")
    run("alice", "approve", "v1.0.0", "--role", "product")
    run("bob", "approve", "v1.0.0", "--role", "rnd")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = clock.now
    clock.tick()
    if removed_first:  # signed on a branch while the key was listed, merged after
        r.git("checkout", "-q", "-b", "late")
    run("dave", "attach", "v1.0.0", "post-check", "--set", "result=pass")
    if removed_first:
        r.git("checkout", "-q", "main")
    remove_daves_key()
    if removed_first:
        r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'late'", "late")
        clock.tick()
    run("mallory", "request", "v1.1.0", "--title", "two")
    run("alice", "approve", "v1.1.0", "--role", "product")
    run("bob", "approve", "v1.1.0", "--role", "rnd")
    at = (tagged + timedelta(days=3)).isoformat()
    code, data = check_json(r, "check", "v1.1.0", "--policy-ref", "main", "--at", at)
    assert gate_of(data, "obligations")["passed"] is not removed_first, summary(data)
    assert code == (1 if removed_first else 0), summary(data)
