"""Failing closed: an insider with write access (but not colleagues' keys) can't turn a "no"
into a "yes" by deleting, editing, merging, naming refs, dating tags or spelling names oddly.

Every attack goes through real git, hooks skipped (`--no-verify`), as a determined insider would.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from conftest import JUNIT_FAIL, JUNIT_OK, Repo, approve_all, identity, make_repo

if TYPE_CHECKING:
    from pathlib import Path

REL = "releases/v1.0.0"
TESTS_GATE = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'
LEADERSHIP_GATE = (
    '[[gates]]\nid = "leadership"\ntype = "approval"\nroles = ["leadership"]\n'
    'when = { risk = ["major"] }\n'
)
BILLING_GATE = (
    '[[gates]]\nid = "billing-signoff"\ntype = "approval"\nroles = ["ops"]\nmin_each = 1\n'
    'when = { component = ["billing"] }\n'
)
CYRILLIC_BILLING = "b\u0456lling"  # "bіlling": a Cyrillic і, looks like "billing"
COMPARED = ("release", "candidate", "tag_commit", "revision", "policy_ref", "passed", "gates")


def check(r: Repo, *args: str, tag: str = "v1.0.0") -> tuple[int, dict[str, Any]]:
    """`gate check TAG --format json`: a verdict (0/1, never 2) and the parsed report."""
    res = r.gate("check", tag, *args, "--format", "json")
    assert res.code in (0, 1), f"exit {res.code}: {res.err}"
    return res.code, json.loads(res.out)


def gate_of(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    found = [g for g in data["gates"] if g["id"] == gate_id]
    assert found, f"no '{gate_id}' gate among {[g['id'] for g in data['gates']]}"
    first: dict[str, Any] = found[0]
    return first


def reasons(data: dict[str, Any], gate_id: str) -> str:
    return "\n".join(gate_of(data, gate_id)["reasons"])


def assert_names(data: dict[str, Any], path: str, commit: str) -> None:
    """The `records` gate fails with a reason naming the path and the (short) commit."""
    gate = gate_of(data, "records")
    assert gate["passed"] is False
    assert any(path in r and commit[:7] in r for r in gate["reasons"]), gate["reasons"]


def requested(r: Repo, *extra: str, tag: str = "v1.0.0") -> str:
    """Dave (not an approver) files the request; returns the commit that filed it."""
    res = r.gate("request", tag, "--title", "t", *extra, who="dave")
    assert res.code == 0, res.err
    return r.git("rev-parse", "HEAD")


def signed_off(r: Repo, decision: str, who: str, role: str) -> str:
    """One sign-off through the CLI; returns the path of the record it committed."""
    res = r.gate(decision, "v1.0.0", "--role", role, "--comment", "not yet", who=who)
    assert res.code == 0, res.err
    return r.git("show", "--name-only", "--format=", "HEAD")


def sneak(r: Repo, message: str, who: str = "dave") -> str:
    """Commit whatever is in the work tree, hooks skipped; returns the commit id."""
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "--allow-empty", "-m", message, env=identity(who))
    return r.git("rev-parse", "HEAD")


def edit(r: Repo, path: str, old: str, new: str) -> None:
    target = r.path / path
    text = target.read_text()
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new))


def at(when: datetime) -> dict[str, str]:
    """Dave's identity with git's clock set to `when` (the tagger date of `git tag -a`)."""
    stamp = f"@{int(when.timestamp())} +0000"
    return {**identity("dave"), "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}


def hand_made_tag(r: Repo, *header: str) -> None:
    """An annotated tag object written byte by byte, as no `git tag` would write it."""
    commit = r.git("rev-parse", "HEAD")
    body = f"object {commit}\ntype commit\ntag v1.0.0\n" + "".join(f"{h}\n" for h in header)
    proc = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"],
        cwd=r.path,
        input=body + "\nrelease\n",
        capture_output=True,
        text=True,
        check=True,
    )
    r.git("update-ref", "refs/tags/v1.0.0", proc.stdout.strip())


# --- 1. negative records never vanish ------------------------------------------------------


def test_deleted_reject_fails_the_records_gate(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    path = signed_off(repo, "reject", "bob", "rnd")
    repo.git("rm", "-q", path)
    deletion = sneak(repo, "tidy up")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, deletion)


def test_deleted_revoke_fails_the_records_gate(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    path = signed_off(repo, "revoke", "alice", "product")
    repo.git("rm", "-q", path)
    deletion = sneak(repo, "tidy up")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, deletion)


def test_deleted_newer_failing_test_report(tmp_path: Path) -> None:
    r = make_repo(tmp_path, gates=TESTS_GATE)
    requested(r)
    approve_all(r)
    for name, content in (("ok.xml", JUNIT_OK), ("fail.xml", JUNIT_FAIL)):
        (tmp_path / name).write_bytes(content)
        res = r.gate("attach", "v1.0.0", "test-report", str(tmp_path / name), "--force")
        assert res.code == 0, res.err
    failing = r.git("show", "--name-only", "--format=", "HEAD").splitlines()
    manifest = next(p for p in failing if p.endswith(".toml"))
    r.git("rm", "-q", *failing)
    deletion = sneak(r, "flaky run, drop it")
    code, data = check(r)
    assert code == 1
    assert_names(data, manifest, deletion)


def test_reject_edited_by_one_character_still_blocks(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    path = signed_off(repo, "reject", "bob", "rnd")
    edit(repo, path, 'release = "v1.0.0"', 'release = "v1.0.1"')  # re-bound elsewhere
    edited = sneak(repo, "typo", who="bob")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, edited)
    assert gate_of(data, "acceptance")["passed"] is False  # the rejection still stands


def test_request_reverted_after_a_revision_breaks_the_chain(tmp_path: Path) -> None:
    r = make_repo(tmp_path, gates=LEADERSHIP_GATE)
    first = requested(r)
    approve_all(r)
    res = r.gate("request", "v1.0.0", "--revise", "--risk", "major", who="dave")
    assert res.code == 0, res.err
    signed_off(r, "reject", "erin", "leadership")
    r.git("checkout", first, "--", f"{REL}/request.toml")  # back to "normal": no leadership
    sneak(r, "revert request")
    code, data = check(r)
    assert code == 1
    assert gate_of(data, "request")["passed"] is False


def test_reject_of_revision_1_stands_until_its_author_revokes(repo: Repo) -> None:
    """The requester revises the request (new candidate too) to make bob's "no" stale, and
    another R&D member approves the new revision: bob's rejection still stands."""
    edit(repo, "policies/release.toml", 'members = ["bob"]', 'members = ["bob", "carol"]')
    repo.commit("carol joins R&D")
    requested(repo)
    approve_all(repo)
    signed_off(repo, "reject", "bob", "rnd")
    repo.write("app.py", "print('v1.1')\n")
    repo.commit("fix what bob asked for")
    previous = (repo.path / REL / "request.toml").read_bytes()
    res = repo.gate("request", "v1.0.0", "--revise", "--title", "t2", "--candidate", "HEAD")
    assert res.code == 0, res.err
    text = (repo.path / REL / "request.toml").read_text()
    assert "revision = 2" in text
    assert f'supersedes = "{hashlib.sha256(previous).hexdigest()}"' in text
    approve_all(repo, roles=("alice",))
    assert repo.gate("approve", "v1.0.0", "--role", "rnd", who="carol").code == 0
    code, data = check(repo)
    assert code == 1 and gate_of(data, "acceptance")["passed"] is False
    signed_off(repo, "revoke", "bob", "rnd")
    code, data = check(repo)
    assert code == 0, data


def test_a_revoke_of_revision_1_still_counts_after_revision_2(repo: Repo) -> None:
    """A revoke binds to the release and to a request revision it had: revising the
    request later does not bring the revoked rejection back."""
    requested(repo)
    signed_off(repo, "reject", "bob", "rnd")
    signed_off(repo, "revoke", "bob", "rnd")
    repo.write("app.py", "print('v1.1')\n")
    repo.commit("fix what bob asked for")
    res = repo.gate("request", "v1.0.0", "--revise", "--title", "t2", "--candidate", "HEAD")
    assert res.code == 0, res.err
    approve_all(repo)
    code, data = check(repo)
    assert code == 0, reasons(data, "acceptance")


# --- 2. merges hide nothing ----------------------------------------------------------------


def test_reject_rewritten_on_a_side_branch_and_merged(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    path = signed_off(repo, "reject", "bob", "rnd")
    repo.git("checkout", "-q", "-b", "side")
    edit(repo, path, 'decision = "reject"', 'decision = "approve"')
    sneak(repo, "fix", who="bob")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-verify", "-m", "merge", "side", env=identity("bob"))
    merge = repo.git("rev-parse", "HEAD")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, merge)


def test_evil_merge_rewrites_a_reject(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    repo.git("checkout", "-q", "-b", "side")
    repo.write(f"{REL}/notes.md", "release notes\n")
    repo.commit("notes")
    repo.git("checkout", "-q", "main")
    path = signed_off(repo, "reject", "bob", "rnd")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "side", env=identity("bob"))
    edit(repo, path, 'decision = "reject"', 'decision = "approve"')
    merge = sneak(repo, "Merge branch 'side'", who="bob")
    assert len(repo.git("rev-list", "--parents", "-n1", "HEAD").split()) == 3
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, merge)


# --- 3. refs are exact ---------------------------------------------------------------------


def test_foxtrot_merge_drops_a_reject_from_the_first_parent_line(repo: Repo) -> None:
    # main gets bob's reject; a branch forked before it merges main in, drops the reject
    # while merging, and main is fast-forwarded to that merge: on the new first-parent
    # line the reject was never added, so only the whole history shows it was dropped.
    requested(repo)
    approve_all(repo)
    fork = repo.git("rev-parse", "HEAD")
    path = signed_off(repo, "reject", "bob", "rnd")
    reject_commit = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "side", fork)
    repo.write("app.py", "print('side')\n")
    sneak(repo, "side work")
    repo.git("merge", "-q", "--no-commit", "--no-ff", "main", env=identity("dave"))
    repo.git("rm", "-q", "--cached", path)
    (repo.path / path).unlink()
    sneak(repo, "merge main")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "side")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, reject_commit)


def test_merge_strategy_ours_drops_a_side_branch_reject(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    repo.git("checkout", "-q", "-b", "side")
    path = signed_off(repo, "reject", "bob", "rnd")
    reject_commit = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "-s", "ours", "-m", "merge side", "side", env=identity("dave"))
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, reject_commit)


def test_tagging_the_commit_before_a_reject_does_not_dodge_it(repo: Repo) -> None:
    # Every approval is in, then bob rejects on main; the insider tags the commit just
    # before the reject, whose own history never saw it. The trusted ref (main) did.
    requested(repo)
    approve_all(repo)
    before_reject = repo.git("rev-parse", "HEAD")
    path = signed_off(repo, "reject", "bob", "rnd")
    repo.git("tag", "-a", "v1.0.0", "-m", "release", before_reject, env=identity("dave"))
    assert check(repo)[0] == 0  # judged on its own history alone, it passes...
    code, data = check(repo, "--policy-ref", "main", "--at", "now")  # ...not in CI
    assert code == 1
    assert any(path in r and "trusted ref" in r for r in gate_of(data, "records")["reasons"])
    # A record made after the tag date (a post-release check, a later comment) is no reason.
    repo.git("tag", "-d", "v1.0.0")
    later = datetime.now(UTC) - timedelta(hours=1)
    env = {**identity("dave"), "GIT_COMMITTER_DATE": later.isoformat()}
    repo.git("tag", "-a", "v1.0.0", "-m", "release", before_reject, env=env)
    code, data = check(repo, "--policy-ref", "main")
    assert gate_of(data, "records")["passed"] is True, data


def test_tag_named_main_does_not_shadow_the_branch(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "evil")
    edit(repo, "policies/release.toml", 'roles = ["product", "rnd"]', 'roles = ["product"]')
    sneak(repo, "weaken", who="mallory")
    repo.git("tag", "main")  # refs/tags/main: rev-parse prefers it to refs/heads/main
    repo.git("checkout", "-q", "main")
    requested(repo)
    approve_all(repo, roles=("alice",))
    code, data = check(repo, "--policy-ref", "main")
    assert data["policy_ref"] == repo.git("rev-parse", "refs/heads/main")
    assert code == 1 and gate_of(data, "acceptance")["passed"] is False


def test_branch_named_refs_tags_is_not_the_release_tag(repo: Repo) -> None:
    requested(repo)
    repo.git("checkout", "-q", "-b", "side")
    approve_all(repo)
    side = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "main")
    repo.git("update-ref", "refs/heads/refs/tags/v1.0.0", side)
    res = repo.gate("check", "v1.0.0", "--format", "json")
    assert res.code in (1, 2), res.out
    if res.code == 1:
        data = json.loads(res.out)
        assert data["tag_commit"] is None
        assert "tag" not in [g["id"] for g in data["gates"]]
        assert data["revision"] != side
        assert gate_of(data, "acceptance")["passed"] is False  # main has no approvals


def test_replace_refs_do_not_change_what_check_reads(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    approved = repo.git("rev-parse", "HEAD")
    signed_off(repo, "reject", "bob", "rnd")
    repo.git("tag", "-a", "v1.0.0", "-m", "release", env=identity("dave"))
    code, before = check(repo)
    assert code == 1
    repo.git("replace", repo.git("rev-parse", "v1.0.0^{commit}"), approved)
    code, after = check(repo)
    assert code == 1
    assert {k: after.get(k) for k in COMPARED} == {k: before.get(k) for k in COMPARED}


def test_grafts_do_not_hide_a_deleted_reject(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    approved = repo.git("rev-parse", "HEAD")
    path = signed_off(repo, "reject", "bob", "rnd")
    repo.git("rm", "-q", path)
    deletion = sneak(repo, "tidy up")
    (repo.path / ".git/info").mkdir(exist_ok=True)
    (repo.path / ".git/info/grafts").write_text(f"{deletion} {approved}\n")
    code, data = check(repo)
    assert code == 1
    assert_names(data, path, deletion)


def test_policy_ref_names_are_exact(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    head = repo.git("rev-parse", "HEAD")
    repo.git("update-ref", "refs/heads/origin/main", head)
    repo.git("update-ref", "refs/remotes/origin/main", head)
    repo.git("tag", "trusted")
    ambiguous = repo.gate("check", "v1.0.0", "--policy-ref", "origin/main")
    assert ambiguous.code == 2 and "origin/main" in ambiguous.err
    assert repo.gate("check", "v1.0.0", "--policy-ref", "trusted").code == 2  # a tag: no
    for exact in ("refs/remotes/origin/main", "refs/heads/origin/main", "main", head):
        assert repo.gate("check", "v1.0.0", "--policy-ref", exact).code == 0, exact


# --- 4. time is a claim --------------------------------------------------------------------


def test_backdated_tag_fails_the_tag_gate(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra="approval_ttl_days = 30")
    requested(r)
    approve_all(r)
    r.git("tag", "-a", "v1.0.0", "-m", "release", env=at(datetime.now(UTC) - timedelta(days=40)))
    code, data = check(r)
    assert code == 1
    assert gate_of(data, "tag")["passed"] is False


def test_at_sets_the_clock_for_ttls(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra="approval_ttl_days = 30")
    requested(r)
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    for when in ((), ("--at", "tag"), ("--at", "now")):
        code, data = check(r, *when)
        assert code == 0 and gate_of(data, "tag")["passed"] is True, (when, data)
    later = (datetime.now(UTC) + timedelta(days=40)).isoformat(timespec="seconds")
    code, data = check(r, "--at", later)
    assert code == 1
    assert gate_of(data, "acceptance")["passed"] is False
    assert "expired" in reasons(data, "acceptance")
    assert r.gate("check", "v1.0.0", "--at", "someday").code == 2


def test_tag_dated_in_the_future_fails(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    repo.git("tag", "-a", "v1.0.0", "-m", "release", env=at(datetime(2099, 1, 1, tzinfo=UTC)))
    code, data = check(repo)
    assert code == 1
    assert gate_of(data, "tag")["passed"] is False


def test_tag_without_a_tagger_fails(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    hand_made_tag(repo)
    code, data = check(repo)
    assert code == 1
    assert gate_of(data, "tag")["passed"] is False


def test_tagger_timezone_out_of_range_does_not_crash(repo: Repo) -> None:
    requested(repo)
    approve_all(repo)
    now = int(datetime.now(UTC).timestamp())
    hand_made_tag(repo, f"tagger dave <dave@example.com> {now} +9999")
    _, data = check(repo)  # 0 or 1, never 2 or a traceback
    assert data["tag_commit"] == repo.git("rev-parse", "HEAD")
    gate_of(data, "tag")


# --- 5. `when` can't be dodged -------------------------------------------------------------


def test_confusable_component_is_refused_at_request(tmp_path: Path) -> None:
    vocabulary = 'kinds = ["release", "hotfix"]\ncomponents = ["billing", "web"]'
    r = make_repo(tmp_path, extra=vocabulary, gates=BILLING_GATE)
    before = r.state()
    for bad in (("--component", CYRILLIC_BILLING), ("--kind", "hotfx")):
        res = r.gate("request", "v1.0.0", "--title", "t", *bad)
        assert res.code == 2, (bad, res.out)
        assert r.state() == before
    assert not (r.path / REL).exists()
    requested(r, "--component", "billing", "--kind", "hotfix", tag="v1.1.0")


@pytest.mark.parametrize("vocabulary", ['components = ["billing", "web"]', ""])
def test_hand_written_confusable_component_never_passes(tmp_path: Path, vocabulary: str) -> None:
    r = make_repo(tmp_path, extra=vocabulary, gates=BILLING_GATE)
    res = r.gate("request", "v1.0.0", "--title", "t", "--component", "billing", "--no-commit")
    assert res.code == 0, res.err
    edit(r, f"{REL}/request.toml", '"billing"', f'"{CYRILLIC_BILLING}"')
    sneak(r, "request v1.0.0")
    for who, role in (("alice", "product"), ("bob", "rnd")):
        r.gate("approve", "v1.0.0", "--role", role, who=who)  # refused or not: no ops sign-off
    res = r.gate("check", "v1.0.0", "--format", "json")
    assert res.code in (1, 2), res.out


def test_when_value_must_be_declared(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='components = ["billing", "web"]', gates=BILLING_GATE)
    requested(r, "--component", "billing")
    edit(r, "policies/release.toml", 'components = ["billing", "web"]', 'components = ["web"]')
    sneak(r, "drop billing from the vocabulary")
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "billing" in res.err


# --- 6. one bad release never shields another ----------------------------------------------


def test_all_tags_reports_an_unreadable_release_as_failing(repo: Repo) -> None:
    for tag in ("v1.0.0", "v1.1.0"):
        requested(repo, tag=tag)
        approve_all(repo, tag)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.write("releases/v1.1.0/approvals/bad.toml", "schema = 1\ndecision = maybe\n")
    sneak(repo, "oops", who="mallory")
    repo.git("tag", "-a", "v1.1.0", "-m", "release", env=identity("dave"))
    res = repo.gate("check", "--all-tags", "--format", "json")
    assert res.code == 1, res.err
    data = json.loads(res.out)
    by_tag = {entry["release"]: entry for entry in data["releases"]}
    assert set(by_tag) == {"v1.0.0", "v1.1.0"} and data["passed"] is False
    assert by_tag["v1.0.0"]["passed"] is True
    assert by_tag["v1.1.0"]["passed"] is False
    assert "bad.toml" in json.dumps(by_tag["v1.1.0"]["gates"])


# --- 7. the pre-commit path honours the policy's releases folder ---------------------------


def test_validate_guards_a_custom_releases_folder(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='releases = "ops/rel"')
    requested(r)
    approve_all(r)
    folder = "ops/rel/v1.0.0/approvals"
    first, second = sorted(r.git("ls-files", folder).splitlines())
    assert r.gate("validate").code == 0
    edit(r, first, 'comment = ""', 'comment = "x"')
    r.git("add", "-A")
    res = r.gate("validate")
    assert res.code == 2 and first in res.err, res.err
    r.git("checkout", "HEAD", "--", ".")
    r.git("rm", "-q", second)
    res = r.gate("validate")
    assert res.code == 2 and second in res.err, res.err
    r.git("checkout", "HEAD", "--", ".")
    assert r.gate("validate").code == 0
    r.write(f"{folder}/bad.toml", 'schema = 1\nrelease = "v1.0.0"\ndecision = "maybe"\n')
    r.git("add", "-A")
    res = r.gate("validate")
    assert res.code == 2 and "bad.toml" in res.err, res.err
