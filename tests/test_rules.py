"""Separation of duties, revoke/reject, TTL, `when`, and binding to the candidate."""

from __future__ import annotations

from pathlib import Path

from conftest import Repo, approve_all, make_repo, signoff_by_hand


def _requested(r: Repo, *extra: str, who: str = "dave") -> None:
    res = r.gate("request", "v1.0.0", "--title", "t", *extra, who=who)
    assert res.code == 0, res.err


def test_requester_cannot_approve_own_release(tmp_path: Path) -> None:
    r = make_repo(tmp_path)
    _requested(r, who="alice")
    before = r.state()
    res = r.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert res.code == 2 and "alice requested this release and may not approve it" in res.err
    assert r.state() == before  # refused before writing
    approve_all(r, roles=("bob",))
    signoff_by_hand(r, "alice", "product")  # written anyway, past gate
    res = r.gate("check", "v1.0.0")
    assert res.code == 1
    assert "alice requested this release and may not approve it" in res.out


def test_self_approval_allowed_by_policy(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra="allow_self_approval = true")
    _requested(r, who="alice")
    approve_all(r)
    assert r.gate("check", "v1.0.0").code == 0


def _forge_bobs_approval(repo: Repo, *, person: str, committer: str) -> None:
    """A hand-written copy of bob's approval naming `person` as product, committed by
    `committer`."""
    text = next((repo.path / "releases/v1.0.0/approvals").iterdir()).read_text()
    forged = text.replace('person = "bob"', f'person = "{person}"')
    repo.write("releases/v1.0.0/approvals/forged.toml", forged.replace('"rnd"', '"product"'))
    repo.commit("forged", who=committer)


def test_outsider_is_refused_at_approve_and_named_at_check(repo: Repo) -> None:
    _requested(repo)
    res = repo.gate("approve", "v1.0.0", "--role", "product", who="mallory")
    assert res.code == 2 and "mallory is not a member of role 'product'" in res.err
    # A hand-written approval by mallory, committed by mallory.
    approve_all(repo, roles=("bob",))
    _forge_bobs_approval(repo, person="mallory", committer="mallory")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1
    assert "mallory is not a member of role 'product'" in res.out


def test_file_naming_someone_else_does_not_count(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo, roles=("bob",))
    _forge_bobs_approval(repo, person="alice", committer="bob")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1
    assert "names 'alice' but was committed by bob@example.com (bob)" in res.out


def test_one_person_counts_once_and_holds_one_role(tmp_path: Path) -> None:
    r = make_repo(tmp_path)
    r.write(
        "policies/release.toml",
        (r.path / "policies/release.toml")
        .read_text()
        .replace('members = ["bob"]', 'members = ["bob", "alice"]'),
    )
    r.commit("alice is also rnd")
    _requested(r)
    assert r.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    res = r.gate("approve", "v1.0.0", "--role", "rnd", who="alice")
    assert res.code == 2 and "alice already acts as 'product'" in res.err
    assert "first `gate revoke v1.0.0 --role product`" in res.err
    signoff_by_hand(r, "alice", "rnd")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1
    assert "alice already acts as 'product' in this release" in res.out
    assert "role 'rnd' has 0 of 1 approvals" in res.out


def test_min_over_roles_counts_distinct_people(tmp_path: Path) -> None:
    gates = (
        '[[gates]]\nid = "countersign"\ntype = "approval"\n'
        'roles = ["pm", "ops", "leadership"]\nmin = 2\n'
    )
    r = make_repo(tmp_path, gates=gates)
    _requested(r, who="alice")
    r.gate("approve", "v1.0.0", "--role", "rnd", who="bob")
    r.gate("approve", "v1.0.0", "--role", "pm", who="carol")
    res = r.gate("check", "v1.0.0", "--format", "json")
    assert '"1 of 2 approvals from pm, ops, leadership"' in res.out
    r.gate("approve", "v1.0.0", "--role", "ops", who="dave")
    res = r.gate("check", "v1.0.0")
    assert "[ok  ] countersign" in res.out


def test_reject_blocks_and_revoke_cancels(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    assert (
        repo.gate("reject", "v1.0.0", "--role", "rnd", "--comment", "not yet", who="bob").code == 0
    )
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "rejected by bob as rnd: not yet" in res.out
    assert repo.gate("revoke", "v1.0.0", "--role", "rnd", who="bob").code == 0
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "role 'rnd' has 0 of 1 approvals" in res.out
    assert repo.gate("approve", "v1.0.0", "--role", "rnd", who="bob").code == 0
    assert repo.gate("check", "v1.0.0").code == 0


def test_revoke_cancels_approval(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    assert repo.gate("check", "v1.0.0").code == 0
    assert repo.gate("revoke", "v1.0.0", "--role", "product", who="alice").code == 0
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "role 'product' has 0 of 1 approvals" in res.out


def test_ttl_expires_old_approvals(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from gatekeeper.check.evaluation import CheckOptions, check_release
    from gatekeeper.repo import open_repo

    r = make_repo(tmp_path, extra="approval_ttl_days = 7")
    _requested(r)
    approve_all(r)
    with open_repo(r.path) as git:
        now = check_release(git, "v1.0.0")
        later = check_release(
            git, "v1.0.0", CheckOptions(now=datetime.now(UTC) + timedelta(days=8))
        )
    assert now.passed
    assert not later.passed
    assert any(
        "expired: 8 days old, TTL 7 days" in reason for g in later.gates for reason in g.reasons
    )


def test_when_risk_major_requires_leadership(tmp_path: Path) -> None:
    gates = (
        '[[gates]]\nid = "leadership"\ntype = "approval"\nroles = ["leadership"]\n'
        'when = { risk = ["major"] }\n'
    )
    r = make_repo(tmp_path, gates=gates)
    r.gate("request", "v1.0.0", "--title", "t", "--risk", "normal")
    r.gate("request", "v2.0.0", "--title", "t", "--risk", "major")
    for tag in ("v1.0.0", "v2.0.0"):
        approve_all(r, tag)
    normal = r.gate("check", "v1.0.0")
    assert normal.code == 0 and "not required: risk is 'normal'" in normal.out
    major = r.gate("check", "v2.0.0")
    assert major.code == 1 and "role 'leadership' has 0 of 1 approvals" in major.out
    assert r.gate("approve", "v2.0.0", "--role", "leadership", who="erin").code == 0
    assert r.gate("check", "v2.0.0").code == 0


def test_when_kind_and_component(tmp_path: Path) -> None:
    gates = (
        '[[gates]]\nid = "ops"\ntype = "approval"\nroles = ["ops"]\n'
        'when = { kind = ["server-upgrade"], component = ["billing"] }\n'
    )
    r = make_repo(tmp_path, gates=gates)
    r.gate(
        "request",
        "v1.0.0",
        "--title",
        "t",
        "--kind",
        "server-upgrade",
        "--component",
        "billing",
        who="carol",
    )
    r.gate("request", "v1.1.0", "--title", "t", "--kind", "server-upgrade", who="carol")
    for tag in ("v1.0.0", "v1.1.0"):
        approve_all(r, tag)
    assert r.gate("check", "v1.0.0").code == 1
    assert r.gate("check", "v1.1.0").code == 0


def test_record_only_commits_do_not_make_approvals_stale(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    assert repo.gate("request", "v1.1.0", "--title", "next", who="dave").code == 0
    approve_all(repo, "v1.1.0", roles=("bob",))
    assert repo.gate("check", "v1.0.0").code == 0


def test_a_file_under_releases_that_is_no_record_makes_approvals_stale(repo: Repo) -> None:
    """A build step that globs (a package finder, a `**/*.sql` runner) picks files from the
    release folder too: only records may change after sign-off."""
    _requested(repo)
    approve_all(repo)
    base = repo.git("rev-parse", "HEAD")
    for path in ("releases/__init__.py", "releases/v0.9.0/migrate.sql", "releases/v1.0.0/x.sh"):
        repo.write(path, "drop table users;\n")
        repo.commit(f"add {path}", who="dave")
        res = repo.gate("check", "v1.0.0")
        assert res.code == 1, path
        assert "stale: the revision differs from candidate" in res.out and path in res.out
        repo.git("reset", "-q", "--hard", base)


def test_binding_ignore_may_exempt_release_notes(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='binding = { ignore = ["releases/*/notes.md"] }')
    _requested(r)
    approve_all(r)
    r.write("releases/v1.0.0/notes.md", "release notes\n")
    r.commit("notes")
    assert r.gate("check", "v1.0.0").code == 0
    r.write("releases/v1.0.0/notes.sh", "rm -rf /\n")
    r.commit("not notes")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "releases/v1.0.0/notes.sh" in res.out


def test_code_change_makes_approvals_stale(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    repo.write("app.py", "print('sneaky')\n")
    repo.commit("change code after approval")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1
    assert "stale: the revision differs from candidate" in res.out and "app.py" in res.out


def test_policy_change_after_candidate_is_a_difference_too(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    policy = (repo.path / "policies/release.toml").read_text()
    repo.write("policies/release.toml", policy.replace("min_each = 1", "min_each = 0"))
    repo.commit("weaken")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "policies/release.toml" in res.out


def test_request_edited_after_approval_is_stale(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    path = repo.path / "releases/v1.0.0/request.toml"
    path.write_text(path.read_text().replace('title = "t"', 'title = "something else"'))
    repo.commit("edit request", who="dave")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1
    assert "request.toml was edited after this was signed" in res.out


def test_approval_replayed_into_another_release_is_stale(repo: Repo) -> None:
    _requested(repo)
    repo.gate("request", "v1.0.1", "--title", "t")
    approve_all(repo)
    for f in (repo.path / "releases/v1.0.0/approvals").iterdir():
        who = "alice" if "alice" in f.name else "bob"
        repo.write(f"releases/v1.0.1/approvals/{f.name}", f.read_text())
        repo.commit("replay my approval", who=who)
    res = repo.gate("check", "v1.0.1")
    assert res.code == 1
    assert "signed for release 'v1.0.0', not 'v1.0.1'" in res.out


def test_approval_edited_after_commit_is_ignored(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo)
    f = next(p for p in (repo.path / "releases/v1.0.0/approvals").iterdir() if "alice" in p.name)
    f.write_text(f.read_text().replace('comment = ""', 'comment = "edited"'))
    repo.commit("edit approval", who="alice")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "edited after it was committed" in res.out


def test_working_tree_is_ignored(repo: Repo) -> None:
    _requested(repo)
    approve_all(repo, roles=("alice",))
    # An uncommitted approval in the working tree counts for nothing.
    src = next((repo.path / "releases/v1.0.0/approvals").iterdir()).read_text()
    repo.write(
        "releases/v1.0.0/approvals/local.toml",
        src.replace('person = "alice"', 'person = "bob"').replace('"product"', '"rnd"'),
    )
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1
    assert "uncommitted changes are not read" in res.out
    # And a dirty code file does not make the committed approvals stale.
    approve_all(repo, roles=("bob",))
    (repo.path / "releases/v1.0.0/approvals/local.toml").unlink()
    repo.write("app.py", "print('dirty')\n")
    assert repo.gate("check", "v1.0.0").code == 0
