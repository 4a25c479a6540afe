"""A big tree read against the last one (repo/bigtree.py) answers as reading it whole
does: walking a chain of `releases/` trees of hundreds of entries, changed the ways
commits change them and the ways no git command would (a name twice, out of order, a
zero-padded mode, bytes that are no entries), the paths each commit changed are the
ones a fresh reading of both trees finds, and for the trees git writes, git's own."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from gatekeeper.repo import GitRepo
from gatekeeper.repo.treediff import MALFORMED
from gatekeeper.repo.trees import MEMO_TREE_ENTRIES

Entry = tuple[bytes, bytes, bytes]  # mode, name, id (raw bytes)


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True)
    return out.stdout.decode().strip()


def _raw_tree(repo: Path, raw: bytes) -> str:
    return _git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", stdin=raw)


def _raw(entries: list[Entry]) -> bytes:
    return b"".join(mode + b" " + name + b"\0" + sha for mode, name, sha in entries)


def _key(entry: Entry) -> bytes:
    return entry[1] + b"/" if entry[0] in (b"40000", b"040000") else entry[1]


def _sorted(entries: list[Entry]) -> list[Entry]:
    """In git's order, each name once (the last entry of a name wins)."""
    return sorted({e[1]: e for e in entries}.values(), key=_key)


class _Chain:
    """Commits whose root holds `src/` and a big `releases/`, each a change of the last."""

    def __init__(self, repo: Path, seed: int) -> None:
        self.repo, self.rnd = repo, random.Random(seed)  # noqa: S311 - a repeatable test
        self.blobs = [
            bytes.fromhex(_git(repo, "hash-object", "-w", "--stdin", stdin=f"{n}\n".encode()))
            for n in range(6)
        ]
        self.leaves = [
            bytes.fromhex(_raw_tree(repo, _raw([(b"100644", b"request.toml", blob)])))
            for blob in self.blobs
        ]
        src = bytes.fromhex(_raw_tree(repo, _raw([(b"100644", b"app.py", self.blobs[0])])))
        self.src = (b"40000", b"src", src)
        self.count = 0
        names = {self._name() for _ in range(MEMO_TREE_ENTRIES + 60)}
        self.entries = _sorted([self._entry(name) for name in names] + self.spaced)
        self.commits: list[str] = []
        self.commits.append(self.commit(_raw(self.entries)))

    @property
    def spaced(self) -> list[Entry]:
        """A folder `a` and names that sort between a file `a` and it (`a-b`, `a.b`)."""
        return [(b"40000", b"a", self.leaves[0]), *(self._entry(n) for n in (b"a-b", b"a.b"))]

    def _name(self) -> bytes:
        self.count += 1
        stem = self.rnd.choice([b"v1.", b"v1.0", b"v1-", b"v", b"a", b"a.b", b"a-b", b"z"])
        return stem + str(self.rnd.randrange(400)).encode()

    def _entry(self, name: bytes) -> Entry:
        if self.rnd.random() < 0.75:
            return (b"40000", name, self.rnd.choice(self.leaves))
        return (self.rnd.choice([b"100644", b"100755"]), name, self.rnd.choice(self.blobs))

    def commit(self, releases: bytes) -> str:
        folder = bytes.fromhex(_raw_tree(self.repo, releases))
        tree = _raw_tree(self.repo, _raw([(b"40000", b"releases", folder), self.src]))
        parent = ["-p", self.commits[-1]] if self.commits else []
        return _git(self.repo, "commit-tree", tree, *parent, "-m", "next")

    def step(self) -> str:  # noqa: PLR0912 - one branch per kind of change
        """One more commit: "good" when its `releases/` tree is one git would write,
        "padded" for a zero-padded mode (git reads it as the same entry), else "bad"."""
        rnd, entries = self.rnd, list(self.entries)
        kind = rnd.choice(
            ["id", "id", "insert", "remove", "run", "ends", "twice", "file-and-folder",
             "order", "misplaced", "padded", "slash", "garbage"]
        )  # fmt: skip
        at = rnd.randrange(len(entries))
        made = "bad"
        if kind == "id":
            mode, name, _ = entries[at]
            entries[at] = (mode, name, rnd.choice(self.leaves if mode == b"40000" else self.blobs))
            made = "good"
        elif kind == "insert":
            entries = sorted(
                {e[1]: e for e in [*entries, self._entry(self._name())]}.values(), key=_key
            )
            made = "good"
        elif kind == "remove":
            del entries[at : at + rnd.randrange(1, 4)]
            made = "good"
        elif kind == "run":
            del entries[at : at + rnd.randrange(0, 5)]
            fresh = [self._entry(self._name()) for _ in range(rnd.randrange(1, 5))]
            entries = _sorted([*entries, *fresh])
            made = "good"
        elif kind == "ends":
            entries = entries[1:] if rnd.random() < 0.5 else entries[:-1]
            entries = (
                [self._entry(b"0first"), *entries]
                if rnd.random() < 0.5
                else [*entries, self._entry(b"zzlast")]
            )
            entries = sorted({e[1]: e for e in entries}.values(), key=_key)
            made = "good"
        elif kind == "twice":
            entries.insert(at, entries[at])
        elif kind == "file-and-folder":  # `a` and `a/` sort apart: `a`, `a-b`, `a.b`, `a/`
            entries = _sorted([*entries, *self.spaced])
            entries = sorted([*entries, (b"100644", b"a", self.blobs[1])], key=_key)
        elif kind == "order" and at + 1 < len(entries):
            entries[at], entries[at + 1] = entries[at + 1], entries[at]
        elif kind == "misplaced" and 0 < at < len(entries) - 1:  # a new name, out of place
            entries[at] = (entries[at][0], b"zz" + entries[at][1], entries[at][2])
        elif kind == "padded":
            mode, name, sha = entries[at]
            entries[at] = (b"0" + mode, name, sha)
            made = "padded"
        elif kind == "slash":
            entries.insert(at, (b"100644", entries[at][1] + b"/x", self.blobs[2]))
            entries.sort(key=_key)
        elif kind == "garbage":
            raw = _raw(entries)
            cut = rnd.randrange(1, len(raw))
            self.commits.append(self.commit(raw[:cut] + b"\0junk" + raw[cut:]))
            return made
        else:
            return self.step()
        if made == "good":
            self.entries = entries  # the next change starts from a tree git writes
        self.commits.append(self.commit(_raw(entries)))
        return made


def _fresh(repo: Path, old: str, new: str) -> list[tuple[str, str | None]]:
    fresh = GitRepo(repo)
    try:
        return fresh.changes_between(old, new)
    finally:
        fresh.close()


def _gits(repo: Path, old: str, new: str) -> list[tuple[str, str | None]]:
    out = _git(repo, "diff-tree", "-r", "--no-renames", "-z", old, new).split("\0")
    pairs = [(out[n + 1], out[n].split()[1].lstrip("0")) for n in range(0, len(out) - 1, 2)]
    return [(path, None if mode == "" else mode) for path, mode in pairs]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("backwards", [True, False], ids=["newest-first", "oldest-first"])
def test_a_big_tree_read_against_the_last_answers_as_reading_it_whole(
    tmp_path: Path, seed: int, backwards: bool
) -> None:
    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    chain = _Chain(repo, seed)
    made = ["good"] + [chain.step() for _ in range(60)]
    assert made.count("bad") > 5 and made.count("good") > 20
    pairs = list(zip(chain.commits, chain.commits[1:], made, made[1:], strict=False))
    walking = GitRepo(repo)  # one reader for the walk: each big tree is read against the last
    try:
        for old, new, old_made, new_made in reversed(pairs) if backwards else pairs:
            spliced = walking.changes_between(old, new)
            assert spliced == _fresh(repo, old, new), (old, new)
            unwritten = any(path.endswith(MALFORMED) for path, _ in spliced)
            assert unwritten == ("bad" in (old_made, new_made))
            if old_made == new_made == "good":
                assert spliced == _gits(repo, old, new)
    finally:
        walking.close()


def test_the_bytes_two_trees_share_at_each_end_are_counted_exactly() -> None:
    """The run that differs is found from the bytes both ends share, compared a block at
    a time: any miscount at a block's edge would misplace the run."""
    from gatekeeper.repo.bigtree import _common_head, _common_tail

    def shared(a: bytes, b: bytes) -> int:
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    rnd = random.Random(7)  # noqa: S311 - a repeatable test
    for _ in range(3000):
        a = rnd.randbytes(rnd.choice([0, 1, 511, 512, 513, 1024, rnd.randrange(3000)]))
        b = bytearray(a)
        if b:
            at = rnd.randrange(len(b))
            change = rnd.choice(["flip", "insert", "delete", "none"])
            if change == "flip":
                b[at] ^= 1
            elif change == "insert":
                b[at:at] = rnd.randbytes(rnd.randrange(1, 40))
            elif change == "delete":
                del b[at : at + rnd.randrange(1, 40)]
        head = _common_head(a, bytes(b))
        assert head == shared(a, bytes(b))
        most = min(len(a), len(b)) - head
        assert _common_tail(a, bytes(b), most) == min(shared(a[::-1], bytes(b[::-1])), most)
