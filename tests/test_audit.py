"""`gate audit`: the approval log and its anomalies, from real histories."""

from __future__ import annotations

import json

import pytest

from conftest import Repo, approve_all, signoff_by_hand


def _audit(repo: Repo, *args: str) -> dict:  # type: ignore[type-arg]
    res = repo.gate("audit", *args, "--format", "json")
    assert res.code == 0, res.err
    return json.loads(res.out)  # type: ignore[no-any-return]


def test_clean_history_lists_each_sign_off_with_its_commit(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    alice_commit = repo.git("log", "-1", "--format=%H", "HEAD~1")
    data = _audit(repo)
    (release,) = data["releases"]
    assert release["release"] == "v1.0.0"
    assert release["requester"] == "dave"
    assert release["anomalies"] == []
    first = release["approvals"][0]
    assert first["role"] == "product" and first["person"] == "alice"
    assert first["decision"] == "approve"
    assert first["commit"] == alice_commit and len(first["commit"]) == 40
    assert first["author"] == "alice@example.com"
    assert first["verified"] is False  # signatures = "none"
    assert [a["person"] for a in release["approvals"]] == ["alice", "bob"]


def test_anomalies_edited_deleted_self_approval_outsider(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t", who="alice")
    approve_all(repo, roles=("bob",))
    signoff_by_hand(repo, "alice", "product")  # alice approves her own request, past gate
    folder = repo.path / "releases/v1.0.0/approvals"
    alice = next(p for p in folder.iterdir() if "alice" in p.name)
    bob = next(p for p in folder.iterdir() if "bob" in p.name)
    alice.write_text(alice.read_text().replace('comment = ""', 'comment = "later"'))
    edit = repo.commit("edit", who="alice")
    bob.unlink()
    delete = repo.commit("delete", who="bob")
    forged = alice.read_text().replace('person = "alice"', 'person = "mallory"')
    repo.write("releases/v1.0.0/approvals/mallory.toml", forged)
    outsider = repo.commit("outsider", who="mallory")
    kinds = {(a["kind"], a["commit"]) for a in _audit(repo, "v1.0.0")["releases"][0]["anomalies"]}
    assert ("record-edited", edit) in kinds
    assert ("record-deleted", delete) in kinds
    assert ("signer-not-in-role", outsider) in kinds
    assert any(kind == "self-approval" for kind, _ in kinds)


def test_audit_markdown_and_output_file(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    target = tmp_path / "log.md"
    res = repo.gate("audit", "--format", "markdown", "--output", str(target))
    assert res.code == 0
    text = target.read_text()
    assert "## `v1.0.0` — ✅ clean" in text
    assert "| signoff | alice | approve as product |" in text


@pytest.mark.parametrize(
    "where", [".git/HEAD", ".git/gatekeeper-audit.json", ".", "no/such/x.json"]
)
def test_audit_output_is_never_git_s_own_files_a_folder_or_nowhere(repo: Repo, where: str) -> None:
    """`--output .git/HEAD` used to overwrite it (the clone stopped being a repository);
    a folder or a missing one ended in an internal error after the whole audit ran."""
    before = (repo.path / ".git/HEAD").read_bytes(), repo.state()
    res = repo.gate("audit", "--format", "json", "--output", str(repo.path / where))
    assert res.code == 2 and "--output" in res.err and "hint:" in res.err, res.err
    assert ((repo.path / ".git/HEAD").read_bytes(), repo.state()) == before


def test_an_unreadable_record_accuses_no_other_record_of_coming_after_the_tag(
    repo: Repo,
) -> None:
    """The check at the tag of a release whose folder cannot be read held no files, so the
    audit said the tagged commit lacked every approval it holds ("record-after-tag")."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    repo.write("releases/v1.0.0/approvals/zz.toml", "x\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "garbage")
    repo.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    out = repo.gate("audit").out
    assert "record-after-tag" not in out and "added after the tag" not in out
    assert "record-invalid" in out
