"""The GitHub Action: YAML validated offline against GitHub's schemas, and its steps run
the way a runner would, in a temp clone with a bare origin and the GITHUB_* files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import Repo, approve_all, identity

ROOT = Path(__file__).parents[1]
WORKFLOWS = [ROOT / "docs/workflows/release-gate.yml", ROOT / ".github/workflows/ci.yml"]
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def test_action_and_workflows_match_github_schemas() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    for schema, files in (
        ("vendor.github-actions", [ROOT / "action.yml"]),
        ("vendor.github-workflows", WORKFLOWS),
    ):
        proc = subprocess.run(
            [str(checker), "--builtin-schema", schema, *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps() -> list[dict]:  # type: ignore[type-arg]
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            steps += job.get("steps", [])
    return steps  # type: ignore[no-any-return]


def test_no_expressions_in_run_and_actions_pinned_by_sha() -> None:
    for step in _steps():
        assert "${{" not in step.get("run", ""), step
        uses = step.get("uses", "")
        if uses and not uses.startswith(("./", "OWNER/")):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses


def test_least_permissions() -> None:
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text())
        assert doc["permissions"] == {"contents": "read"}
        for job in doc["jobs"].values():
            assert job.get("permissions", {}).get("contents", "read") in {"read", "write"}


def run_action(
    clone: Path, tmp_path: Path, ref: str, inputs: dict[str, str]
) -> tuple[int, str, dict[str, str], str]:
    """Run action.yml's `run:` steps as a runner: inputs and contexts only through env."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {f"inputs.{k}": v.get("default", "") for k, v in action["inputs"].items()}
    values.update({f"inputs.{k}": v for k, v in inputs.items()})
    values["github.action_path"] = str(ROOT)
    values["github.event.repository.default_branch"] = "main"
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    base_env = {
        **os.environ,
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref.split("/", 2)[-1],
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    }
    code, log = 0, ""
    for step in action["runs"]["steps"]:
        if "run" not in step or step["name"] == "Install gatekeeper":  # already installed here
            continue
        env = {
            k: EXPR.sub(lambda m: values[m.group(1)], str(v))
            for k, v in step.get("env", {}).items()
        }
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=clone,
            env={**base_env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        code, log = proc.returncode, proc.stdout + proc.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return code, log, outputs, summary.read_text()


@pytest.fixture
def origin(repo: Repo, tmp_path: Path) -> tuple[Repo, Path]:
    return approved_origin(repo, tmp_path)


def approved_origin(repo: Repo, tmp_path: Path) -> tuple[Repo, Path]:
    """A bare origin holding main and v1.0.0, approved and tagged."""
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.git("push", "-q", "origin", "main", "v1.0.0")
    return repo, remote


def _clone(remote: Path, tmp_path: Path) -> Path:
    """The runner's checkout (actions/checkout with fetch-depth: 0)."""
    clone = tmp_path / "runner"
    subprocess.run(
        ["git", "clone", "-q", str(remote), str(clone)],
        check=True,
        env={**os.environ, **identity("dave")},
    )
    return clone


def _origin_tags(remote: Path) -> list[str]:
    return subprocess.run(
        ["git", "tag", "-l"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout.split()


def test_approved_tag_passes_and_writes_summary(origin: tuple[Repo, Path], tmp_path: Path) -> None:
    _, remote = origin
    clone = _clone(remote, tmp_path)
    code, log, outputs, summary = run_action(clone, tmp_path, "refs/tags/v1.0.0", {})
    assert code == 0, log
    assert outputs["passed"] == "true"
    assert Path(outputs["report"]).is_file()
    assert "| gate | result | reasons |" in summary and "`acceptance`" in summary


def test_unapproved_tag_fails_and_is_deleted(origin: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, remote = origin
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    repo.git("push", "-q", "origin", "v2.0.0")
    clone = _clone(remote, tmp_path)
    code, log, outputs, _summary = run_action(
        clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "fail"}
    )
    assert code == 1 and outputs["passed"] == "false"
    assert "::error file=releases/v2.0.0/request.toml,title=gate request failed" in log
    assert "v2.0.0" in _origin_tags(remote)
    code, log, _, _ = run_action(clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"})
    assert code == 1
    assert "deleted unapproved tag v2.0.0" in log
    assert _origin_tags(remote) == ["v1.0.0"]


def test_scheduled_recheck_of_all_tags(origin: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, remote = origin
    for name in ("v3.0.0", "v3.0.1", "v3.0.2", "v3.0.3"):  # more than three at once
        repo.git("tag", "-a", "-m", "bot", name)
    repo.git("push", "-q", "origin", "--tags")
    clone = _clone(remote, tmp_path)
    code, _log, outputs, _ = run_action(
        clone, tmp_path, "refs/heads/main", {"all-tags": "true", "on-fail": "delete-tag"}
    )
    assert code == 1 and outputs["passed"] == "false"
    assert _origin_tags(remote) == ["v1.0.0"]


def test_hostile_tag_name_executes_nothing(origin: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, remote = origin
    hostile = 'v1";touch${IFS}pwned;#'
    repo.git("tag", "-a", "-m", "x", hostile)
    repo.git("push", "-q", "origin", f"refs/tags/{hostile}")
    clone = _clone(remote, tmp_path)
    code, _log, outputs, _ = run_action(
        clone, tmp_path, f"refs/tags/{hostile}", {"on-fail": "delete-tag"}
    )
    assert code == 2 and outputs["passed"] == "false"
    assert not (clone / "pwned").exists() and not (ROOT / "pwned").exists()
    assert hostile in _origin_tags(remote)  # bad input: nothing is deleted
