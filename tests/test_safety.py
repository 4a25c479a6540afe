"""What is read and what is refused: tags, symlinks, submodules, big files, shallow clones."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Repo, approve_all


def _approved(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)


def _commit_entry(repo: Repo, mode: str, sha: str, path: str) -> None:
    """Commit an index entry git's porcelain would not make (gitlinks, odd names, big blobs)."""
    repo.git("update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}")
    repo.git("commit", "-q", "-m", f"add {path!r}")


def test_lightweight_tag_fails(repo: Repo) -> None:
    _approved(repo)
    repo.git("tag", "v1.0.0")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "lightweight tag; release tags must be annotated" in res.out


def test_tag_object_renamed_under_another_ref(repo: Repo) -> None:
    _approved(repo)
    repo.git("tag", "-a", "-m", "old", "v0.9.0")
    obj = repo.git("rev-parse", "refs/tags/v0.9.0")
    repo.gate("request", "v1.0.1", "--title", "t")
    repo.git("update-ref", "refs/tags/v1.0.1", obj)
    res = repo.gate("check", "v1.0.1")
    assert res.code == 1 and "the tag object is named 'v0.9.0', not 'v1.0.1'" in res.out


def test_tag_moved_onto_other_code_is_stale(repo: Repo) -> None:
    _approved(repo)
    repo.write("app.py", "print('other')\n")
    repo.commit("other code")
    repo.git("tag", "-a", "-m", "moved", "v1.0.0")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "stale" in res.out and "app.py" in res.out


def test_branch_with_tag_name_is_not_used(repo: Repo) -> None:
    _approved(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    good = repo.git("rev-parse", "v1.0.0^{commit}")
    repo.git("checkout", "-q", "-b", "shadow")
    repo.write("app.py", "print('evil')\n")
    repo.commit("evil")
    repo.git("branch", "-q", "-f", "--", "v1.0.0", "HEAD")  # refs/heads/v1.0.0
    res = repo.gate("check", "v1.0.0", "--format", "json")
    assert res.code == 0
    assert f'"tag_commit": "{good}"' in res.out


def test_symlink_in_release_folder_is_refused(repo: Repo) -> None:
    _approved(repo)
    (repo.path / "releases/v1.0.0/evidence").mkdir()
    (repo.path / "releases/v1.0.0/evidence/report.xml").symlink_to("/etc/passwd")
    repo.commit("symlink")
    res = repo.gate("check", "v1.0.0")  # committed: a failing release (exit 1, a tag is deleted)
    assert res.code == 1
    assert "is a symlink; expected a regular file" in res.out


def test_submodule_in_release_folder_is_refused(repo: Repo) -> None:
    _approved(repo)
    head = repo.git("rev-parse", "HEAD")
    _commit_entry(repo, "160000", head, "releases/v1.0.0/sub")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "submodule" in res.out


def test_oversized_file_is_refused_before_reading(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    big = tmp_path / "big.xml"
    with big.open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    blob = repo.git("hash-object", "-w", str(big))
    _commit_entry(repo, "100644", blob, "releases/v1.0.0/big.xml")
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "expected at most 16777216" in res.out


def test_oversized_attachment_refused_at_attach(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    before = repo.state()
    big = tmp_path / "big.md"
    with big.open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    res = repo.gate("attach", "v1.0.0", "launch-notice", str(big), who="alice")
    assert res.code == 2 and "expected at most" in res.err
    assert repo.state() == before


def test_control_characters_in_record_names_are_refused(repo: Repo) -> None:
    _approved(repo)
    blob = repo.git("hash-object", "-w", "--stdin")
    name = "releases/v1.0.0/approvals/evil\x1e" + "a" * 40 + ".toml"
    _commit_entry(repo, "100644", blob, name)
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "control characters" in res.out


def test_shallow_clone_is_refused(repo: Repo, tmp_path: Path) -> None:
    _approved(repo)
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True
    )
    res = Repo(clone).gate("check", "v1.0.0")
    assert res.code == 2 and "shallow clone" in res.err and "unshallow" in res.err


def test_refused_tag_leaves_everything_as_it_was(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    before = repo.state()
    assert repo.gate("tag", "v1.0.0").code == 1
    assert repo.gate("request", "v1.0.0", "--title", "again").code == 2
    assert repo.state() == before


def test_commit_refused_by_git_rolls_back(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    hook = repo.path / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    before = repo.state()
    res = repo.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert res.code == 2 and "git commit failed" in res.err
    assert repo.state() == before


def test_a_record_that_cannot_be_read_fails_the_release_and_the_tag_push(repo: Repo) -> None:
    """An approval of `x` committed past the hook made the tag-push check exit 2, which
    `delete-tag` does not act on: the unapproved tag stayed (valid TOML with bad fields
    already failed, exit 1)."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    for name, data in (("not-toml", b"x\n"), ("bom", b"\xef\xbb\xbfa = 1\n")):
        repo.write(f"releases/v1.0.0/approvals/{name}.toml", data)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "unreadable approvals")
    repo.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    res = repo.gate("check", "--tag", "v1.0.0", "--policy-ref", "main", "--at", "now")
    assert res.code == 1 and "releases/v1.0.0/approvals/bom.toml" in res.out
