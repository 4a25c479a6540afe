"""A folder at a commit is found as git finds it (`<commit>:<path>`), however often it is
asked: after many questions about one folder's subfolders the parent is read here once
(repo/folders.py), and every answer must still be git's. Hand-made trees no git command
writes are where the two could part; a helper's differential fuzz found these
(`git rev-parse` is the reference throughout)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gatekeeper.errors import MalformedTree
from gatekeeper.repo import open_repo
from gatekeeper.repo.folders import PARENT_READ_AFTER

# Enough questions about `releases/*` for the parent to be read here.
OTHERS = [f"releases/missing{i:02d}" for i in range(PARENT_READ_AFTER)]


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True)
    return out.stdout.decode().strip()


def _tree(repo: Path, entries: list[tuple[bytes, bytes, str]]) -> str:
    raw = b"".join(m + b" " + n + b"\0" + bytes.fromhex(sha) for m, n, sha in entries)
    return _git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", stdin=raw)


def _commit(repo: Path, root: list[tuple[bytes, bytes, str]]) -> str:
    return _git(repo, "commit-tree", _tree(repo, root), "-m", "hand-made")


def _repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository and `leaf`, a tree holding one file."""
    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=b"x\n")
    return repo, _tree(repo, [(b"100644", b"f", blob)])


def _gits(repo: Path, commit: str, folder: str) -> str | None:
    """git's answer: the id `<commit>:<folder>` names if that is a tree, else None."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", f"{commit}:{folder}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    oid = found.stdout.strip()
    kind = subprocess.run(
        ["git", "cat-file", "-t", oid], cwd=repo, capture_output=True, text=True, check=False
    )  # a submodule's commit is not in this repository
    return oid if not found.returncode and kind.stdout.strip() == "tree" else None


Answers = list[tuple[str, str | None, str | None]]


def _differ(repo: Path, commit: str, folders: list[str]) -> Answers:
    """(folder, git's answer, tree_id's) wherever they differ, asked in one process."""
    with open_repo(repo) as git:
        answers = [(f, _gits(repo, commit, f), git.tree_id(commit, f)) for f in folders]
    return [a for a in answers if a[1] != a[2]]


def test_a_file_s_mode_naming_a_tree_is_a_folder_as_git_finds_it(tmp_path: Path) -> None:
    """`releases/w` has a file's mode but names a tree: git's lookup answers with the
    object, a tree; the parent read here first kept only entries of a folder's mode."""
    repo, leaf = _repo(tmp_path)
    commit = _commit(repo, [(b"40000", b"releases", _tree(repo, [(b"100644", b"w", leaf)]))])
    assert _gits(repo, commit, "releases/w") == leaf
    assert _differ(repo, commit, [*OTHERS, "releases/w"]) == []


@pytest.mark.parametrize("mode", [b"100644", b"120000", b"160000"])
def test_nothing_is_found_through_an_entry_of_no_folder_s_mode(tmp_path: Path, mode: bytes) -> None:
    """`releases` itself is a file, link or submodule entry naming a tree: git does not
    look inside it; the parent read here first was that tree."""
    repo, leaf = _repo(tmp_path)
    commit = _commit(repo, [(mode, b"releases", _tree(repo, [(b"40000", b"v", leaf)]))])
    assert _gits(repo, commit, "releases/v") is None
    assert _differ(repo, commit, [*OTHERS, "releases/v"]) == []


@pytest.mark.parametrize("kind", ["commit", "tag"])
def test_a_folder_entry_naming_a_commit_or_tag_is_looked_through_as_git_does(
    tmp_path: Path, kind: str
) -> None:
    """`releases` names a commit (or a tag) of a tree: git's lookup of `releases/v` goes
    through to that tree; the parent read here first found no tree and said none."""
    repo, leaf = _repo(tmp_path)
    inner = _tree(repo, [(b"40000", b"v", leaf)])
    if kind == "commit":
        obj = _git(repo, "commit-tree", inner, "-m", "inner")
    else:
        tag = f"object {inner}\ntype tree\ntag t\ntagger t <t@example.com> 1 +0000\n\nm\n"
        obj = _git(repo, "hash-object", "-t", "tag", "-w", "--stdin", stdin=tag.encode())
    commit = _commit(repo, [(b"40000", b"releases", obj)])
    assert _gits(repo, commit, "releases/v") == leaf
    assert _differ(repo, commit, [*OTHERS, "releases/v"]) == []


def test_a_name_ending_in_a_carriage_return_is_not_read_as_another(tmp_path: Path) -> None:
    """`git cat-file --batch-check` drops a CR before a line's end, so asking it for
    `releases/a\\r` answered for `releases/a`; a line break cannot be asked of it at
    all. Such names are asked of `git rev-parse`."""
    repo, leaf = _repo(tmp_path)
    other = _tree(repo, [(b"100644", b"g", _git(repo, "hash-object", "-w", "--stdin", stdin=b"y"))])
    # in git's order: a folder sorts as `name/`, and `\n`, `\r` before `/`
    entries = [(b"40000", b"a\n", leaf), (b"40000", b"a\r", other), (b"40000", b"a", leaf)]
    commit = _commit(repo, [(b"40000", b"releases", _tree(repo, entries))])
    assert _gits(repo, commit, "releases/a\r") == other
    asked = ["releases/a\r", "releases/a", "releases/a\n", "releases/a\r\n", "releases/b\r"]
    assert _differ(repo, commit, asked) == []
    assert _differ(repo, commit, OTHERS + asked) == []  # the parent read here


def test_a_lookup_git_dies_on_fails_and_takes_no_later_one_with_it(tmp_path: Path) -> None:
    """`releases/bad/x` goes through a tree with an entry of no name: cat-file dies
    ("empty filename in tree entry"). That lookup read as "no folder" and the next
    question, written to the dying process, read its end as "no folder" too, and was
    kept. Now the dying lookup fails (a tree git would not write) and the next one is
    asked of a fresh process. A race: several sessions."""
    repo, leaf = _repo(tmp_path)
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=b"y\n")
    bad = _tree(repo, [(b"100644", b"", blob)])
    releases = _tree(repo, [(b"40000", b"bad", bad), (b"40000", b"good", leaf)])
    commit = _commit(repo, [(b"40000", b"releases", releases)])
    for _ in range(10):
        with open_repo(repo) as git:
            with pytest.raises(MalformedTree):
                git.tree_id(commit, "releases/bad/x")
            assert git.tree_id(commit, "releases/good") == leaf


def _releases(repo: Path, leaf: str, extra: list[tuple[bytes, bytes, str]]) -> list[str]:
    """A commit whose `releases/` holds `r00`… folders (enough to be read here) and
    `extra`, in git's order; returns every question worth asking, the commit first."""
    names = [f"r{n:02d}".encode() for n in range(PARENT_READ_AFTER + 4)]
    entries = [(b"40000", n, leaf) for n in names] + extra
    entries.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
    commit = _commit(repo, [(b"40000", b"releases", _tree(repo, entries))])
    asked = [f"releases/{n.decode()}" for n in names]
    return [commit, *asked, *(f"releases/{e[1].decode()}" for e in extra), "releases/none"]


def test_ordinary_odd_entries_answer_as_git_does_however_often_asked(tmp_path: Path) -> None:
    """A name with a space, a file, a submodule, a link, a folder's mode naming a blob,
    and a name that is not there: the same answers whether git is asked or the parent
    tree, read here once, is."""
    repo, leaf = _repo(tmp_path)
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=b"x\n")
    extra = [(b"40000", b"v 1", leaf), (b"100644", b"file", blob), (b"160000", b"sub", "1" * 40)]
    extra += [(b"120000", b"link", blob), (b"40000", b"v9", blob)]
    commit, *asked = _releases(repo, leaf, extra)
    assert _differ(repo, commit, asked) == []
    assert _differ(repo, commit, asked[-6:]) == []  # the same, asked of git itself


def test_a_tree_git_would_not_write_is_left_to_git_s_own_lookup(tmp_path: Path) -> None:
    """`releases/` out of git's order is not read here, however often it is asked about:
    git's lookup (which assumes its order and so misses some) answers every question."""
    repo, leaf = _repo(tmp_path)
    names = [f"r{n:02d}".encode() for n in range(PARENT_READ_AFTER + 4)]
    entries = [(b"40000", n, leaf) for n in reversed(names)]  # out of git's order
    commit = _commit(repo, [(b"40000", b"releases", _tree(repo, entries))])
    asked = [f"releases/{n.decode()}" for n in names]
    assert _differ(repo, commit, asked) == []
    assert any(_gits(repo, commit, f) is None for f in asked)  # a test that could fail


def test_a_name_git_would_read_as_describe_output_is_found_as_a_path(
    tmp_path: Path,
) -> None:
    """Found by a helper's fuzz of the kept status: git reads a name ending in `-g` and hex
    digits as `git describe` output before it reads `<commit>:<path>`, so
    `<commit>:releases/v2.0.0-1-g<the first digits of a commit>` named that commit, and
    the release's folder (and any such file) was not found: its request was "missing"
    until enough folders had been asked about for `releases/` to be read here. Such a name
    is walked here, whether the lookup is the first or the seventeenth."""
    repo, leaf = _repo(tmp_path)
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=b"y\n")
    first = _commit(repo, [(b"100644", b"a", blob)])
    name = f"v2.0.0-1-g{first[:7]}"
    releases = _tree(repo, [(b"40000", name.encode(), leaf), (b"100644", b"x-gabc1", blob)])
    commit = _commit(repo, [(b"100644", b"b", blob), (b"40000", b"releases", releases)])
    assert _gits(repo, commit, f"releases/{name}") is None  # git's own lookup misreads it
    with open_repo(repo) as opened:
        assert opened.tree_id(commit, f"releases/{name}") == leaf
        assert opened.trees([commit], f"releases/{name}") == {commit: leaf}
        assert opened.files_at(commit, [f"releases/{name}/f", "releases/x-gabc1"]) == [
            f"releases/{name}/f",
            "releases/x-gabc1",
        ]
        assert opened.holds([(commit, f"releases/{name}/f"), (commit, f"releases/{name}")]) == [
            True,
            False,
        ]
        for other in OTHERS:  # the parent read here from now on: the same answer
            opened.tree_id(commit, other)
        assert opened.tree_id(commit, f"releases/{name}") == leaf


def test_a_release_named_like_describe_output_is_listed_and_checked(tmp_path: Path) -> None:
    """The same through the commands: status lists the release with its request, and the
    check reads it."""
    from conftest import Repo, approve_all, policy_text

    r = Repo(tmp_path / "repo")
    r.path.mkdir()
    _git(r.path, "init", "-q", "-b", "main")
    r.write("policies/release.toml", policy_text())
    r.commit("initial")
    tag = f"v2.0.0-1-g{_git(r.path, 'rev-parse', 'HEAD')[:7]}"
    assert r.gate("request", tag, "--title", "describe-named").code == 0
    approve_all(r, tag)
    assert r.gate("check", tag).code == 0
    assert f"{tag}  " in r.gate("status").out.replace("\t", "  ")
