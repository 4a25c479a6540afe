"""Fifth review: attacks on the fixes of the previous round. Each test asserts the correct
behaviour and fails on the code it was written against."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Repo
from test_action import _clone, _origin_tags, approved_origin, run_action
from test_attack_ci import _hooked, _sh
from test_failclosed_trust import keys, signed  # noqa: F401  (fixtures)

# --- 1. the Action's moved-tag guard is off whenever the `tag` input is set ----------------


def test_github_moved_tag_guard_holds_when_the_tag_input_names_the_pushed_tag(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tag: ${{ github.ref_name }}` is the pushed tag: the run is still for GITHUB_SHA.
    gitlab.sh guards GATE_TAG == CI_COMMIT_TAG; check.sh skips the guard for any input."""
    repo, remote = approved_origin(repo, tmp_path)
    repo.write("app.py", "print('evil')\n")
    evil = repo.commit("evil")
    monkeypatch.setenv("GITHUB_SHA", evil)
    clone = _clone(remote, tmp_path)  # v1.0.0 on origin now names the approved commit
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/tags/v1.0.0", {"tag": "v1.0.0", "on-fail": "delete-tag"}
    )
    assert code == 1, log  # the run that deploys `evil` must not pass
    assert outputs.get("passed") == "false"
    assert "v1.0.0" in _origin_tags(remote)


# --- 2. the pre-push hook refuses a branch push whose source expression holds a space ------


@pytest.mark.parametrize("source", ["HEAD^{/fix the bug}", "main@{0 seconds ago}"])
def test_pre_push_lets_a_branch_push_from_a_revision_expression_with_spaces_through(
    repo: Repo, tmp_path: Path, source: str
) -> None:
    """git's pre-push <local ref> is the push's source as written (`HEAD^{/fix the bug}`),
    spaces included; only the last three fields are space-free. A branch push is refused
    (exit 2) since the hook splits on every space."""
    remote = _hooked(repo, tmp_path)
    repo.write("app.py", "print('fixed')\n")
    repo.commit("fix the bug")
    push = _sh(repo, "push", "origin", f"{source}:refs/heads/feature")
    assert push.returncode == 0, push.stderr
    heads = subprocess.run(
        ["git", "branch", "--list"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    assert "feature" in heads


# --- 3. verify-receipt: a deeply nested receipt is an internal error (exit 2) ---------------


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_a_deeply_nested_receipt_does_not_verify_exit_1(repo: Repo, body: str) -> None:
    """json.loads raises RecursionError (not ValueError) past ~1000 levels; `parse` only
    turns ValueError into 'the receipt is malformed'."""
    from gatekeeper.check.receipt import BEGIN, END
    from test_failclosed_trust import _released, _tag_message, _text

    _released(repo)
    _tag_message(repo, "v1.0.0", f"Release v1.0.0\n\n{BEGIN}\n{body}\n{END}\n", "v1.0.0^{}")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    said = _text(res.out, res.err)
    assert res.code == 1, said
    assert "internal error" not in said.lower()


# --- 4. the audit's "policy never on the default branch": a `git pull` merge on main --------


def test_audit_does_not_flag_approvals_made_on_main_before_a_pull_merge(
    signed: Repo,  # noqa: F811
    keys: dict[str, Path],  # noqa: F811
) -> None:
    """A developer's `git pull` (a merge whose first parent is their local commit) pushed
    to main turns main's earlier commits into the second parent: a policy version that
    was on main, under which alice and bob approved there, is no longer on main's
    first-parent line, and both signed approvals are reported unverified."""
    import json

    from test_failclosed_trust import _approve_ssh, _as

    base = signed.git("rev-parse", "HEAD")
    policy = signed.path / "policies/release.toml"
    policy.write_text(policy.read_text() + "# reviewed change 1\n")
    signed.commit("policy: P1", who="erin")  # P1, reviewed on main
    assert _as(signed, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    _approve_ssh(signed, keys)  # signed, under P1, on main
    policy.write_text(policy.read_text() + "# reviewed change 2\n")
    signed.commit("policy: P2", who="erin")
    before = json.loads(signed.gate("audit", "--format", "json").out)["releases"][0]
    assert not before["anomalies"], before["anomalies"]
    # dave had a local commit on an old main; `git pull` merges origin's main into it
    signed.git("checkout", "-q", "-b", "local", base)
    signed.write("README.md", "docs\n")
    signed.commit("docs")
    signed.git("merge", "-q", "--no-ff", "-m", "Merge branch 'main' of origin", "main")
    signed.git("checkout", "-q", "main")
    signed.git("reset", "-q", "--hard", "local")  # pushed: the same commits, all reviewed
    res = signed.gate("audit", "--format", "json")
    log = json.loads(res.out)["releases"][0]
    # The signers still read as verified; the auditor is told where the policy was, in
    # words that name the pull merge as one way it happens (the slipped key is the other).
    assert all(a["verified"] for a in log["approvals"]), log["approvals"]
    kinds = {a["kind"] for a in log["anomalies"]}
    assert kinds <= {"policy-off-default-branch"}, json.dumps(log["anomalies"], indent=1)
    assert all("git pull" in a["message"] for a in log["anomalies"])


# --- 5. gate doctor's new coverage check: false alarms on correct workflows ----------------

from test_doctor import _doctor, _problems, _workflow, ready  # noqa: E402,F401


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # GitHub's own example filter: `[0-9]` is a range, read as the set {0, -, 9}
        ('tags: ["v*"]', "tags: ['v[0-9]+.[0-9]+.[0-9]+']"),
        # one job for push and schedule: all-tags computed from the event
        ('all-tags: "true"', "all-tags: ${{ github.event_name != 'push' }}"),
    ],
    ids=["range-class", "all-tags-expression"],
)
def test_doctor_does_not_call_a_covering_workflow_blind(
    ready: Repo,  # noqa: F811
    old: str,
    new: str,
) -> None:
    workflow = _workflow()
    assert old in workflow
    ready.write(".github/workflows/release-gate.yml", workflow.replace(old, new))
    _, data = _doctor(ready)
    assert not _problems(data, "ci"), data


def test_doctor_reads_a_recheck_whose_gate_check_spans_lines(ready: Repo) -> None:  # noqa: F811
    workflow = _workflow()
    start = workflow.index("      - uses: acme/gatekeeper", workflow.index("recheck:"))
    recheck = workflow[:start] + (
        "      - run: pip install gatekeeper-release\n"
        "      - run: |\n"
        "          gate check \\\\\n"
        "            --all-tags --policy-ref origin/main\n"
    )
    ready.write(".github/workflows/release-gate.yml", recheck)
    _, data = _doctor(ready)
    assert not [p for p in _problems(data, "ci") if "scheduled" in p], data
