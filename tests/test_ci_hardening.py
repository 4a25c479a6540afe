"""What CI meets in the wild: unreadable releases, hostile bytes and text in data,
workflow-command injection, a release folder built to eat memory, odd pre-push input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import Repo, approve_all, identity
from test_action import _clone, _origin_tags, run_action

GATE = str(Path(sys.executable).with_name("gate"))


def _index_add(r: Repo, path: bytes, blob: str) -> None:
    subprocess.run(
        [b"git", b"update-index", b"--add", b"--cacheinfo", f"100644,{blob},".encode() + path],
        cwd=r.path,
        check=True,
    )


def _blob(r: Repo, data: bytes) -> str:
    return r.hash_object(data)


def _tagged(r: Repo, tag: str) -> None:
    assert r.gate("request", tag, "--title", "t").code == 0
    approve_all(r, tag)
    assert r.gate("tag", tag).code == 0


def test_unreadable_release_is_a_failing_tag_the_action_deletes(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    _tagged(repo, "v1.0.0")
    assert repo.gate("request", "v2.0.0", "--title", "t").code == 0
    repo.write("releases/v2.0.0/approvals/broken.toml", "this is = not [toml\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "broken", env=identity("dave"))
    repo.git("tag", "-a", "v2.0.0", "-m", "sneaky", env=identity("dave"))
    repo.git("push", "-q", "origin", "main", "v1.0.0", "v2.0.0")
    clone = _clone(remote, tmp_path)
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/heads/main", {"all-tags": "true", "on-fail": "delete-tag"}
    )
    assert code == 1 and outputs["passed"] == "false", log
    assert "deleted unapproved tag v2.0.0" in log
    assert _origin_tags(remote) == ["v1.0.0"]


def test_github_format_lets_no_data_become_a_workflow_command(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    hostile = "ok\n::warning::injected\n::stop-commands::x\n::add-mask::y"
    res = repo.gate("reject", "v1.0.0", "--role", "rnd", "--comment", hostile, who="bob")
    assert res.code == 0, res.err
    res = repo.gate("check", "v1.0.0", "--format", "github")
    assert res.code == 1
    token = res.out.split("::stop-commands::", 1)[1][:32]
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    before, rest = res.out.split(f"::stop-commands::{token}\n", 1)
    inside, after = rest.split(f"\n::{token}::", 1)
    assert "::warning::injected" in inside  # data at a line start: only in the block
    outside = [*before.splitlines(), *after.splitlines(), *res.err.splitlines()]
    commands = [line for line in outside if line.startswith("::")]
    assert commands and all(line.startswith("::error ") for line in commands), commands
    assert all("%0A::warning::injected" in line for line in commands)


def test_undecodable_path_bytes_never_crash_the_report(repo: Repo, tmp_path: Path) -> None:
    _tagged(repo, "v1.0.0")
    assert repo.gate("request", "v2.0.0", "--title", "t").code == 0
    _index_add(repo, b"releases/v2.0.0/approvals/\xff\xfe.toml", _blob(repo, b"not = [toml"))
    repo.git("commit", "-q", "--no-verify", "-m", "odd bytes", env=identity("dave"))
    repo.git("tag", "-a", "v2.0.0", "-m", "x", env=identity("dave"))
    report = tmp_path / "report.json"
    res = repo.gate("check", "--all-tags", "--format", "github", "--report-json", str(report))
    assert res.code == 1, res.err
    data = json.loads(report.read_bytes().decode("utf-8"))  # valid UTF-8, valid JSON
    broken = next(r for r in data["releases"] if r["release"] == "v2.0.0")
    assert broken["passed"] is False
    assert "\\xff\\xfe.toml" in res.out  # shown as escapes, never as raw bytes
    single = repo.gate("check", "v2.0.0")  # committed: the release fails, the tag goes
    assert single.code == 1 and "\\xff\\xfe.toml" in single.out


def test_one_blob_behind_many_names_is_read_once(repo: Repo, tmp_path: Path) -> None:
    # ~20 KB pushed: 48 tree entries naming one 15 MiB blob. Memory must stay bounded.
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    blob = _blob(repo, b"<testsuite>" + b" " * (15 * 1024 * 1024) + b"</testsuite>")
    for n in range(48):
        _index_add(repo, f"releases/v1.0.0/evidence/r{n}.xml".encode(), blob)
    repo.git("commit", "-q", "--no-verify", "-m", "big", env=identity("dave"))
    peak = _peak_rss_mib(repo, "check", "v1.0.0")
    assert peak < 300, f"{peak} MiB"


def test_a_release_folder_over_the_budget_is_refused_unread(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    for n in range(5):  # 5 distinct 15 MiB files: 75 MiB > 64 MiB
        blob = _blob(repo, bytes([65 + n]) * (15 * 1024 * 1024))
        _index_add(repo, f"releases/v1.0.0/evidence/f{n}.bin".encode(), blob)
    repo.git("commit", "-q", "--no-verify", "-m", "bulk", env=identity("dave"))
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "bytes of distinct files; expected at most" in res.out


def _peak_rss_mib(r: Repo, *args: str) -> float:
    """Peak resident memory of `gate ARGS` in a child process, in MiB."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=False, capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, GATE, "-C", str(r.path), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **identity("dave")},
    )
    return int(proc.stdout.strip()) / 1024


def test_pre_push_input_with_undecodable_bytes_under_a_strict_locale(repo: Repo) -> None:
    line = b"refs/tags/v\xff1 " + b"1" * 40 + b" refs/tags/v\xff1 " + b"0" * 40 + b"\n"
    proc = subprocess.run(
        [GATE, "-C", str(repo.path), "hook", "pre-push", "origin", "url"],
        input=line,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "utf-8:strict"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
