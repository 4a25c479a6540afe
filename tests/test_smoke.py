"""The installed entry points, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GATE = Path(sys.executable).with_name("gate")


def test_gate_help_and_module() -> None:
    out = subprocess.run([str(GATE), "--help"], capture_output=True, text=True, check=True).stdout
    assert "request" in out and "check" in out
    mod = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "schema", "approval"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"decision"' in mod


def test_demo_walks_a_release_to_its_tag(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    proc = subprocess.run(
        [str(GATE), "demo", str(target)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "gate check: every gate passes" in proc.stdout
    tags = subprocess.run(
        ["git", "-C", str(target), "tag", "-l"], capture_output=True, text=True, check=True
    ).stdout
    assert tags.split() == ["v1.0.0", "v1.0.1"]
    # The freeze calendar and a hotfix shipped in an emergency are part of the walk.
    assert "gate freeze: the freeze windows" in proc.stdout
    assert "inside 演示封网 / demo freeze" in proc.stdout
    assert "waived by an emergency (erin: checkout down for all users (INC-2041))" in proc.stdout
    assert "v1.0.1                   emergency" in proc.stdout
    status = subprocess.run(
        [str(GATE), "-C", str(target), "status", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    hotfix = json.loads(status.stdout)["releases"][1]
    assert hotfix["stage"] == "emergency"
    assert "retro:acceptance" in [o["gate"] for o in hotfix["obligations"]]
    check = subprocess.run(
        [str(GATE), "-C", str(target), "check", "v1.0.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout
    again = subprocess.run(
        [str(GATE), "demo", str(target)], capture_output=True, text=True, check=False
    )
    assert again.returncode == 2 and "not empty" in again.stderr and "Traceback" not in again.stderr
    # The audit's JSON is written as orjson made it (UTF-8, never decoded): whole through
    # a pipe, and to a reader that stopped reading (`| head`) without a word
    audit = [str(GATE), "-C", str(target), "audit", "--format", "json"]
    whole = subprocess.run(audit, capture_output=True, check=True)
    assert [r["release"] for r in json.loads(whole.stdout)["releases"]] == ["v1.0.0", "v1.0.1"]
    assert whole.stdout.endswith(b"}\n") and whole.stderr == b""
    for args in (audit, [*audit[:-1], "text"], [str(GATE), "-C", str(target), "status"]):
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as gone:
            assert gone.stdout is not None
            gone.stdout.close()  # before gate writes a byte (it reads history first)
            assert gone.communicate()[1] == b"" and gone.returncode == 0, args


@pytest.mark.parametrize("fd", [1, 2])
@pytest.mark.parametrize("args", [["--help"], ["validate"]])
def test_a_stream_closed_from_the_start_is_no_failure(
    tmp_path: Path, fd: int, args: list[str]
) -> None:
    """Started with stdout or stderr closed (`>&-`, as some hook runners and cron jobs
    do), `gate` has nothing to flush there and exits as it would otherwise."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    proc = subprocess.run(
        [str(GATE), *args],
        cwd=tmp_path,
        preexec_fn=lambda: os.close(fd),
        stdout=subprocess.DEVNULL if fd == 2 else None,
        stderr=subprocess.PIPE if fd == 1 else None,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_unexpected_failure_has_no_traceback_without_debug(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(GATE), "-C", str(tmp_path), "check", "v1.0.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    debug = subprocess.run(
        [str(GATE), "--debug", "-C", str(tmp_path), "check", "v1.0.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert debug.returncode != 0 and "Traceback" in debug.stderr
