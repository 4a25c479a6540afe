"""Attack review of the records' lifecycle: request revisions and withdrawals, rejections,
append-only lineage and the candidate binding. Each finding is a strict xfail that asserts
the secure behaviour (the check fails) and so fails on the code as reviewed; the last test
shows what held.

The attacker is an insider who commits and pushes branches and tags but holds no one
else's key: every record they write below is in their own name (the test policy's
`signatures = "none"` changes nothing here; no record is forged). Checks run as CI runs
them on a tag push: `--policy-ref main --at now`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, approve_all, identity, make_repo
from test_paths_and_obligations import _vulnerable_then_fixed

MALLORY = identity("mallory")


def _ci_check(r: Repo, tag: str, *extra: str) -> tuple[int, dict[str, Any]]:
    """`gate check TAG` as the tag-push job runs it (the trusted policy of main, now)."""
    res = r.gate("check", tag, "--policy-ref", "main", "--format", "json", *extra)
    assert res.code in (0, 1), res.out + res.err
    return res.code, json.loads(res.out)


def _summary(data: dict[str, Any]) -> list[tuple[str, bool, str]]:
    return [(g["id"], g["passed"], (g["reasons"] or [""])[0]) for g in data["gates"]]


def _approved_release(tmp_path: Path) -> tuple[Repo, str]:
    """v1.0.0 requested by carol and approved by alice (product) and bob (rnd) on main;
    returns the approved commit."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r, "v1.0.0")
    return r, r.git("rev-parse", "HEAD")


# -- F1. The trusted ref's records are read from its tree, not its history ----------------


def test_a_reject_deleted_on_main_does_not_let_the_commit_before_it_be_tagged(
    tmp_path: Path,
) -> None:
    """alice rejects v1.0.0 on main after it was approved. mallory deletes the reject in a
    plain commit on main (`--no-verify`; no force-push, no one else's key) and tags the
    approved commit from before the reject. The tagged commit's history never saw the
    reject, so its `records` gate has nothing to find; and `left_behind`, which is meant
    to stop "tag the commit just before the reject", compares only the records main's
    *tree* holds now, and the reject is no longer there. Rule: "A rejection stands until
    its author revokes it"; "a negative record can never be neutralised by deleting ...
    it"; with a trusted ref, "every record the trusted ref holds for the release and made
    before the time judged must be in the tagged revision" (threat model, section 1)."""
    r, approved = _approved_release(tmp_path)
    res = r.gate("reject", "v1.0.0", "--role", "product", "--comment", "no", who="alice")
    assert res.code == 0, res.err
    reject = r.git("diff", "--name-only", "HEAD~1", "HEAD")
    assert "/approvals/" in reject
    r.git("rm", "-q", "--", reject)
    r.git("commit", "-q", "--no-verify", "-m", "tidy up", env=MALLORY)
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0", approved)
    code, data = _ci_check(r, "v1.0.0", "--at", "now")
    assert code == 1, _summary(data)


def test_a_withdrawal_undone_on_main_does_not_revive_the_approved_commit(tmp_path: Path) -> None:
    """carol withdraws the approved v1.0.0 on main (revision 2, `withdrawn`). mallory puts
    revision 1's bytes back in `request.toml` on main (a hand edit that breaks main's chain,
    which nothing checks until a tag's history holds it) and tags the approved commit from
    before the withdrawal, whose approvals are bound to revision 1. `left_behind` sees the
    same request blob on main and in the tagged commit and asks for nothing. Rule: "A
    withdrawn release stays ended"; "`gate check` reads every committed version of
    `request.toml` and fails on ... a revert to an older version"; the trusted ref's records
    made before the time judged must be in the tagged revision."""
    r, approved = _approved_release(tmp_path)
    res = r.gate("request", "v1.0.0", "--withdraw", "--reason", "cancelled", who="carol")
    assert res.code == 0, res.err
    r.git("checkout", approved, "--", "releases/v1.0.0/request.toml")
    r.git("commit", "-q", "--no-verify", "-m", "tidy up", env=MALLORY)
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0", approved)
    code, data = _ci_check(r, "v1.0.0", "--at", "now")
    assert code == 1, _summary(data)


# -- F2. A fork of the request chain dodges the trusted ref's newer revision -------------


def test_a_fork_of_the_request_chain_does_not_revive_a_withdrawn_release(tmp_path: Path) -> None:
    """carol files v1.0.0 and withdraws it on main (revision 2). mallory branches from
    revision 1 (not withdrawn, not tagged, so `gate request --revise` itself accepts it),
    writes her own revision 2, gets it approved on the branch and tags it. The tagged
    commit's chain (1 -> mallory's 2) is unbroken and never saw the withdrawal; main's
    withdrawn revision 2 is not asked for because `left_behind` only reports a trusted
    request whose `revision` is *greater* than the tagged one's, not a different one. Rule:
    "A withdrawn release stays ended"; the trusted ref's records made before the time
    judged must be in the tagged revision."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    revision_1 = r.git("rev-parse", "HEAD")
    res = r.gate("request", "v1.0.0", "--withdraw", "--reason", "cancelled", who="carol")
    assert res.code == 0, res.err
    r.git("switch", "-q", "-c", "revive", revision_1)
    res = r.gate("request", "v1.0.0", "--revise", "--title", "t, after all", who="mallory")
    assert res.code == 0, res.err
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    code, data = _ci_check(r, "v1.0.0", "--at", "now")
    assert code == 1, _summary(data)


# -- F3. "The previous release" is read from the candidate's history, which the requester
#        chooses, not from the history of the commit that is released -------------------


def test_a_candidate_re_parented_onto_an_older_release_does_not_skip_a_path_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 ships an auth hole, v1.1.0 fixes it under the security gate (`when = { paths
    = ["auth/**"] }`). On main, after v1.1.0, mallory reverts the fix. As candidate she
    names not main's commit but `git commit-tree` of the same tree with v1.0.0's commit as
    its only parent (pushed on a branch). The binding compares trees only, so the approvals
    for that candidate hold for the tag on main; `changed_since` looks for previous
    releases among the *candidate's* ancestors, finds v1.0.0, whose auth/ equals the
    revert, and the security gate reads "nothing matching auth/** changed". The tagged
    commit descends from v1.1.0 and changes auth/ against it. Rule: the gate "applies when
    the candidate changes a matching path since the previous release"; "a change a gate
    approved and a later commit reverted is a change" (check/applies.py)."""
    r, clock = _vulnerable_then_fixed(tmp_path, monkeypatch)
    clock.tick()
    r.write("auth/login.py", "def login(u, p):\n    return True  # anyone\n")
    r.commit("simplify login")
    tree = r.git("rev-parse", "HEAD^{tree}")
    older = r.git("rev-parse", "v1.0.0^{commit}")
    candidate = r.git("commit-tree", tree, "-p", older, "-m", "login, simplified")
    r.git("branch", "candidate", candidate)
    clock.tick()
    res = r.gate("request", "v1.2.0", "--title", "v1.2.0", "--candidate", candidate, who="carol")
    assert res.code == 0, res.err
    for who in ("alice", "bob"):  # product and R&D; security (ops) is never asked
        clock.tick()
        approve_all(r, "v1.2.0", roles=(who,))
    clock.tick()
    r.git("tag", "-a", "v1.2.0", "-m", "v1.2.0")  # on main, after v1.1.0
    r.git("merge-base", "--is-ancestor", "v1.1.0", "v1.2.0")
    code, data = _ci_check(r, "v1.2.0", "--at", (clock.now + timedelta(minutes=1)).isoformat())
    assert code == 1, _summary(data)


# -- What held -------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["case-only rename", "executable bit", "rename in a merge"])
def test_a_reject_moved_or_re_moded_still_fails_the_records_gate(tmp_path: Path, how: str) -> None:
    """A reject renamed by case only, made executable, or renamed on a side branch merged
    with `--no-ff`: each is a deletion or an edit on the first-parent line (`--no-renames`,
    the mode in git's raw diff), so the `records` gate fails."""
    r, _ = _approved_release(tmp_path)
    res = r.gate("reject", "v1.0.0", "--role", "product", "--comment", "no", who="alice")
    assert res.code == 0, res.err
    reject = r.git("diff", "--name-only", "HEAD~1", "HEAD")
    folder, name = reject.rsplit("/", 1)
    if how == "executable bit":
        r.git("update-index", "--chmod=+x", "--", reject)
    else:
        if how == "rename in a merge":
            r.git("switch", "-q", "-c", "side")
        r.git("mv", "--", reject, f"{folder}/{name.upper()}")
    r.git("commit", "-q", "--no-verify", "-m", "tidy up", env=MALLORY)
    if how == "rename in a merge":
        r.git("switch", "-q", "main")
        r.git("merge", "-q", "--no-ff", "-m", "merge side", "side", env=MALLORY)
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    code, data = _ci_check(r, "v1.0.0", "--at", "now")
    records = next(g for g in data["gates"] if g["id"] == "records")
    assert code == 1 and not records["passed"], _summary(data)


def test_a_post_release_check_attached_right_after_the_tag_is_not_left_out(
    tmp_path: Path,
) -> None:
    """Found while fixing the audit: the scheduled re-check (`--all-tags --policy-ref
    main`, each tag judged at its date) asked for every record on main dated up to the
    clocks' 5-minute skew after the tag, so a post-release check attached a minute after
    tagging failed the shipped release's `records` gate (and `delete-tag` deleted it).
    Evidence is asked for only when made by the time judged; sign-offs keep the skew."""
    from snippets import POST_CHECK

    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("tag", "v1.0.0").code == 0
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", "--set", "summary=ok")
    assert res.code == 0, res.err
    res = r.gate("check", "--all-tags", "--policy-ref", "main")
    assert res.code == 0, res.out
