"""Attack review of `gate audit --format json`: ways an insider makes the approval log
present a release as properly approved, or omit or misstate what an auditor must see.

Each xfail test asserts the secure behaviour and fails on the current code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import FixedClock, Repo, approve_all, identity, signoff_by_hand


def _audit(repo: Repo, *args: str) -> dict[str, Any]:
    res = repo.gate("audit", *args, "--format", "json")
    assert res.code == 0, res.err
    return json.loads(res.out)  # type: ignore[no-any-return]


def _release(data: dict[str, Any], name: str = "v1.0.0") -> dict[str, Any] | None:
    return next((r for r in data["releases"] if r["release"] == name), None)


def _kinds(data: dict[str, Any], name: str = "v1.0.0") -> set[str]:
    rel = _release(data, name)
    return {a["kind"] for a in rel["anomalies"]} if rel else set()


def test_a_record_edited_inside_the_period_is_in_that_period_s_report(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: v1.0.0 is requested, approved and tagged long ago; today an insider edits
    bob's committed approval (hook skipped). The full audit reports `record-edited`, but
    the audit of today's period (`--since TODAY`) lists no release and no anomaly, since
    `ReleaseLog.in_period` looks only at the request's author date and the tag date.
    Rule that should catch it: a release with an anomaly (or any record change) whose
    commit falls inside the period belongs in the period's report."""
    clock = FixedClock(monkeypatch, datetime(2019, 3, 1, tzinfo=UTC), timedelta(minutes=1))
    clock.tick()
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    clock.tick()
    approve_all(repo)
    clock.tick()
    assert repo.gate("tag", "v1.0.0").code == 0
    clock.now = datetime.now(UTC) - timedelta(hours=1)
    clock.tick()
    bob = next((repo.path / "releases/v1.0.0/approvals").glob("*bob*"))
    bob.write_text(bob.read_text().replace('comment = ""', 'comment = "edited later"'))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "tidy up")
    assert "record-edited" in _kinds(_audit(repo))  # the full report has it
    # The period from the day the record was edited (an hour ago: yesterday just after
    # midnight, UTC, which a period starting today would rightly leave out).
    period = _audit(repo, "--since", clock.now.date().isoformat())
    assert "record-edited" in _kinds(period)


def test_a_rewrite_of_main_is_reported_even_when_another_branch_keeps_the_old_head(
    repo: Repo,
) -> None:
    """Attack: carol rejects v1.0.0 on main and an audit runs (its index in
    .git/gatekeeper/ reads up to that head). The insider resets main to before the reject,
    tags v1.0.0 there, and keeps the old head on some other branch (`keep`; pushed, it is
    a remote-tracking branch in the auditor's clone). The next audit of main shows v1.0.0
    clean and passed, with no `history-rewritten` (`history_cache._on_a_branch` takes any
    branch holding the old head as "a branch switch"). Rule that should catch it: what an
    earlier audit read of the audited line is no longer in HEAD's history."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    signoff_by_hand(repo, "carol", "pm", "reject")
    assert repo.gate("audit").code == 0  # keeps its index
    repo.git("branch", "keep", "HEAD")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    assert repo.gate("tag", "v1.0.0").code == 0
    data = _audit(repo)
    assert [a["kind"] for a in data["anomalies"]] == ["history-rewritten"]


def test_held_a_rewrite_with_no_branch_keeping_the_old_head_is_reported(repo: Repo) -> None:
    """Held: the same reset without a branch keeping the old head is `history-rewritten`."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    signoff_by_hand(repo, "carol", "pm", "reject")
    assert repo.gate("audit").code == 0
    repo.git("reset", "-q", "--hard", "HEAD~1")
    assert repo.gate("tag", "v1.0.0").code == 0
    assert [a["kind"] for a in _audit(repo)["anomalies"]] == ["history-rewritten"]


def test_a_policy_weakened_for_one_release_is_in_its_timeline(repo: Repo) -> None:
    """Attack: the insider drops `rnd` from the acceptance gate on a branch (commit
    author-dated 2001), files v1.0.0 with that commit as candidate, merges it into main
    after the request (merge author-dated 2001 too), gets only alice's approval, tags, and
    restores the policy. The merge is on main's first-parent line, so no
    `policy-off-default-branch`; `policy_events` keeps only changes whose author date lies
    between the request's and the tag's, so the timeline shows no policy change and the
    check at the tag (its own, weakened policy) passes. Rule that should catch it: every
    policy change between the request commit and the tagged commit in history order."""
    policy = (repo.path / "policies/release.toml").read_text()
    backdated = {"GIT_AUTHOR_DATE": "2001-01-01T00:00:00Z"}
    repo.git("checkout", "-q", "-b", "relax")
    repo.write("policies/release.toml", policy.replace('["product", "rnd"]', '["product"]'))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "relax", env=backdated)
    weak = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "main")
    assert repo.gate("request", "v1.0.0", "--title", "t", "--candidate", weak).code == 0
    repo.git("merge", "-q", "--no-ff", "--no-edit", "relax", env=backdated)
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.write("policies/release.toml", policy)
    repo.git("add", "-A")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()  # the next day, in practice
    repo.git("commit", "-q", "-m", "restore", env={"GIT_AUTHOR_DATE": later})
    rel = _release(_audit(repo))
    assert rel is not None
    # The check at the tag is judged under the default branch's policy (the restored one):
    # it fails there; and the weakening shows in the timeline, whatever its dates say.
    assert rel["check"]["passed"] is False
    assert "policy" in [e["kind"] for e in rel["events"]], rel["events"]


def test_a_release_approved_on_a_branch_never_merged_is_flagged(repo: Repo) -> None:
    """Attack: the request is on main; the approvals and the tag are on branch `rel`,
    which is never merged. `gate audit` on main reports v1.0.0 with `check.passed` true,
    an empty `approvals` list and no anomaly: who approved the release is not in the
    approval log, and nothing says its records live off the audited history. Rule that
    should catch it: records the check at the tag counted that HEAD's history does not
    hold are listed (or flagged `records-off-audited-branch`)."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    repo.git("checkout", "-q", "-b", "rel")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.git("checkout", "-q", "main")
    data = _audit(repo)
    rel = _release(data)
    assert rel is not None and rel["check"]["passed"] is True
    off = {a["path"] for a in rel["anomalies"] if a["kind"] == "record-off-audited-history"}
    assert any("-alice-" in p for p in off) and any("-bob-" in p for p in off), off


def test_a_tag_placed_before_a_standing_rejection_is_not_reported_as_passed(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: carol's rejection of v1.0.0 is committed on main; an hour later the insider
    tags the commit just before it. The audit (default branch main known to it, used only
    for `policy-off-default-branch`) runs the check at the tag with no trusted ref:
    `check.passed` is true and the rejection is `record-after-tag` ("added after the tag")
    although its commit and its `at` are an hour before the tag. Rule that should catch
    it (as `gate check --policy-ref main` does): a record on the default branch made
    before the tag and missing from the tagged commit fails the release."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(hours=3), timedelta(minutes=1))
    clock.tick()
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    clock.tick()
    approve_all(repo)
    clock.tick()
    assert repo.gate("reject", "v1.0.0", "--role", "pm", who="carol").code == 0
    clock.now += timedelta(hours=1)
    clock.tick()
    repo.git("tag", "-a", "-m", "v1.0.0", "v1.0.0", "HEAD~1")
    assert repo.gate("check", "v1.0.0", "--policy-ref", "main").code == 1  # CI refuses it
    rel = _release(_audit(repo))
    assert rel is not None
    assert rel["check"]["passed"] is False


def test_a_sign_off_named_request_toml_is_verified_as_a_sign_off(repo: Repo) -> None:
    """Found in review: bob's approval committed as `approvals/request.toml` (a sign-off:
    the layout calls a `request.toml` a request only at the release folder's top). The
    check counts it, and rightly; the audit took every path ending in `/request.toml` for
    a request, handled it with the requests and verified it under no policy: the log
    said `signer-not-in-role` and `signer-unverified` ("no valid policy was in force")
    although the policy in force when it was added has bob in `rnd`."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo, roles=("alice",))
    path = signoff_by_hand(repo, "bob", "rnd")
    text = (repo.path / path).read_text()
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write("releases/v1.0.0/approvals/request.toml", text)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "bob approves", env=identity("bob"))
    assert repo.gate("check", "v1.0.0", "--rev", "HEAD").code == 0
    rel = _release(_audit(repo))
    assert rel is not None
    assert rel["anomalies"] == []
    bob = next(a for a in rel["approvals"] if a["person"] == "bob")
    assert bob["path"].endswith("/approvals/request.toml")
    assert (bob["problem"], bob["counted"]) == (None, True)
    assert rel["requester"] == "dave"
