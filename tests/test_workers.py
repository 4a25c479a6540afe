"""Many releases judged on every core (check/workers.py): forked workers judge shares of
`gate status`'s rows, each with its own `git cat-file`; what they send back, the kept
file included, is byte for byte what one process judges, and a row a worker cannot judge
is judged again by the parent, which reports it as one process would."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Repo, approve_all, signoff_by_hand
from gatekeeper.check import status as status_module
from gatekeeper.check.workers import jobs

FORMATS = ("text", "json", "markdown")


def _releases(repo: Repo) -> None:
    """Releases in every state status tells apart: tagged, approved, rejected, waiting."""
    for n in range(6):
        tag = f"v1.{n}.0"
        assert repo.gate("request", tag, "--title", f"release {n}").code == 0
        if n % 3 == 0:
            approve_all(repo, tag)
        if n == 3:
            assert repo.gate("tag", tag).code == 0
        if n == 4:
            signoff_by_hand(repo, "carol", "pm", "reject", tag=tag)


def _pids(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Note which process judged each row (the note survives the fork)."""
    judge = status_module._status

    def noted(*args: object, **kwargs: object) -> object:
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return judge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(status_module, "_status", noted)


def test_rows_judged_by_workers_are_the_rows_one_process_judges(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _releases(repo)
    kept = repo.path / ".git" / "gatekeeper" / "status-4.json"
    outs: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    log = tmp_path / "pids"
    _pids(monkeypatch, log)
    for workers in ("1", "3"):
        monkeypatch.setenv("GATE_JOBS", workers)
        kept.unlink(missing_ok=True)
        log.write_text("")
        outs[workers] = []
        for fmt in FORMATS:
            res = repo.gate("status", "--format", fmt)
            assert res.code == 0, res.err
            outs[workers].append(res.out)
            if fmt == "text":  # the first run judged every row; the others read them kept
                files[workers] = kept.read_bytes()
                judged_by = log.read_text().split()
        assert len(judged_by) == 6
        if workers == "1":
            assert set(judged_by) == {str(os.getpid())}
        else:
            assert str(os.getpid()) not in judged_by and len(set(judged_by)) >= 2
    assert outs["1"] == outs["3"]
    assert files["1"] == files["3"]
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    assert repo.gate("status").out == outs["1"][0]


@pytest.mark.parametrize("where", ["in a worker", "anywhere"])
def test_a_row_a_worker_fails_on_is_judged_again_by_the_parent(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A row that raises in a worker is judged again by the parent: it stands if it can
    be judged there, else the parent's refusal is exactly one process's."""
    from gatekeeper.errors import InputError

    _releases(repo)
    monkeypatch.setenv("GATE_NO_CACHE", "1")  # every row judged on every run
    parent, judge = os.getpid(), status_module._status

    def failing(repo_: object, tag: str, *args: object) -> object:
        if tag == "v1.2.0" and (where == "anywhere" or os.getpid() != parent):
            raise InputError(f"{tag}: cannot be judged", hint="judge it again")
        return judge(repo_, tag, *args)  # type: ignore[arg-type]

    said = {}
    for workers in ("1", "3"):
        monkeypatch.setenv("GATE_JOBS", workers)
        if where == "in a worker":
            monkeypatch.setattr(status_module, "_status", judge)
            said["expected"] = repo.gate("status", "--format", "json")
        monkeypatch.setattr(status_module, "_status", failing)
        said[workers] = repo.gate("status", "--format", "json")
    if where == "anywhere":
        assert said["1"] == said["3"]
        assert said["3"].code == 2 and "v1.2.0: cannot be judged" in said["3"].err
    else:
        assert said["3"] == said["expected"] and said["3"].code == 0


def _children() -> set[int]:
    """This process's live child processes (from /proc: no library needed)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            kids.add(int(stat.parent.name))
    return kids


def test_a_worker_that_dies_has_its_share_judged_by_the_parent(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed while judging (out of memory, say) neither hangs the run nor loses
    a row: its share is judged by the parent, and no process is left behind."""
    _releases(repo)
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    expected = repo.gate("status", "--format", "json")
    parent, judge = os.getpid(), status_module._status

    def dying(repo_: object, tag: str, *args: object) -> object:
        if tag == "v1.2.0" and os.getpid() != parent:
            os._exit(9)
        return judge(repo_, tag, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(status_module, "_status", dying)
    monkeypatch.setenv("GATE_JOBS", "3")
    before = _children()
    assert repo.gate("status", "--format", "json") == expected
    assert _children() <= before


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5", "\u00b2"])
def test_gate_jobs_must_be_a_number_of_processes(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Refused by every command that judges many, even when a kept status has every row
    (a helper's fuzz: then nothing was judged and nothing asked; `²` is a digit to
    `str.isdigit` and no number to `int`)."""
    _releases(repo)
    assert repo.gate("status").code == 0  # every row kept
    monkeypatch.setenv("GATE_JOBS", value)
    for args in (("status",), ("audit",), ("check", "--all-tags")):
        res = repo.gate(*args)
        assert res.code == 2, args
        assert res.err.startswith("error: GATE_JOBS:") and "hint:" in res.err
        assert "internal error" not in res.err


def test_a_worker_interrupted_leaves_quietly_and_its_share_is_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C reaches the workers too: a worker ends without a traceback on the terminal
    (multiprocessing printed one per worker), and a share it did not finish is judged by
    the run."""
    import signal
    import subprocess

    from gatekeeper.check.workers import judged
    from gatekeeper.repo import open_repo

    subprocess.run(["git", "init", "-q", str(tmp_path / "r")], check=True)
    parent = os.getpid()

    def judge(n: int) -> int:
        if os.getpid() != parent and n == 5:
            os.kill(os.getpid(), signal.SIGINT)
        return n * n

    monkeypatch.setenv("GATE_JOBS", "2")
    with open_repo(tmp_path / "r") as opened:
        assert judged(opened, list(range(40)), judge) == [n * n for n in range(40)]
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_how_many_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATE_JOBS", raising=False)
    assert jobs(199) == 1  # too few to be worth a fork
    assert jobs(200) == min(8, len(os.sched_getaffinity(0)))
    assert jobs(63, after=64) == 1 and jobs(64, after=64) == jobs(200)  # an audit's
    monkeypatch.setenv("GATE_JOBS", "4")
    assert (jobs(3), jobs(1000), jobs(1)) == (3, 4, 1)


def test_an_audit_judged_by_workers_is_the_audit_one_process_makes(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gatekeeper.audit as audit_module

    _releases(repo)
    monkeypatch.setenv("GATE_NO_CACHE", "1")  # every release judged on every run
    log, judge = tmp_path / "pids", audit_module.tag_and_policy

    def noted(*args: object, **kwargs: object) -> None:
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        judge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit_module, "tag_and_policy", noted)
    outs = {}
    for workers in ("1", "3"):
        monkeypatch.setenv("GATE_JOBS", workers)
        log.write_text("")
        outs[workers] = [repo.gate("audit", "--format", fmt) for fmt in ("json", "text")]
        judged_by = log.read_text().split()
        assert len(judged_by) == 12  # six releases, two formats
        assert (str(os.getpid()) in judged_by) is (workers == "1")
    assert outs["1"] == outs["3"]
    data = json.loads(outs["1"][0].out)
    rows = {r["release"]: r for r in data["releases"]}
    assert len(rows) == 6 and rows["v1.3.0"]["check"]["passed"] is True
    assert "reject" in {a["decision"] for a in rows["v1.4.0"]["approvals"]}


def test_every_tag_checked_by_workers_is_checked_as_by_one_process(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`gate check --all-tags` (CI's scheduled re-check): a tag that cannot be judged (it
    names a file, not a commit) fails with its reason and stops no other."""
    from gatekeeper.check import all_tags

    log, judge = tmp_path / "pids", all_tags.check_release

    def noted(*args: object, **kwargs: object) -> object:
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return judge(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(all_tags, "check_release", noted)
    _releases(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    blob = repo.git("hash-object", "-w", "app.py").strip()
    repo.git("tag", "v2.0.0", blob)
    repo.git("tag", "-a", "-m", "early", "v1.1.0")  # before its gates pass
    said = {}
    at = ("--at", datetime.now(UTC).isoformat())  # each report says when it was judged
    for workers in ("1", "3"):
        monkeypatch.setenv("GATE_JOBS", workers)
        log.write_text("")
        said[workers] = [repo.gate("check", "--all-tags", *at, "--format", f) for f in FORMATS]
        assert (str(os.getpid()) in log.read_text().split()) is (workers == "1")
    assert said["1"] == said["3"]
    text = said["1"][0]
    assert text.code == 1
    for tag in ("v1.0.0", "v1.1.0", "v1.3.0", "v2.0.0"):
        assert f"release {tag}:" in text.out


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_gate_progress_after_must_be_a_number_of_seconds(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Found alongside: a bad GATE_PROGRESS_AFTER was an internal error (a ValueError)."""
    _releases(repo)
    monkeypatch.setenv("GATE_PROGRESS_AFTER", value)
    for command in ("status", "audit"):
        res = repo.gate(command)
        assert res.code == 2
        assert res.err.startswith("error: GATE_PROGRESS_AFTER=") and "hint:" in res.err
