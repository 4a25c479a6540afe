"""The hooks on this machine: installed where git looks, executable, calling a gate that
runs; and a pre-commit config that runs gatekeeper pinned to a commit.

Hooks are the early warning, not the enforcement (`--no-verify` skips them; CI does
not), but a pre-push hook whose gate was uninstalled fails every push, and a config
that follows a tag runs whatever that tag points at tomorrow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem, Result

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

CONFIG = ".pre-commit-config.yaml"
# hook name -> (the command it must run, gatekeeper's pre-commit hook id, what is lost)
HOOKS = {
    "pre-commit": (
        "gate validate",
        "gate-validate",
        "edits of committed sign-offs are caught only later, by CI",
    ),
    "pre-push": (
        "gate hook pre-push",
        "gate-pre-push",
        "a release tag can be pushed without `gate check` (CI is then the only check)",
    ),
}
INSTALL = (
    "gate init --hooks, or with pre-commit: pre-commit install --hook-type pre-commit "
    "--hook-type pre-push"
)
SHA = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")


def installed_hooks(setup: Setup) -> Result:
    """4. pre-commit and pre-push hooks are installed and run gatekeeper."""
    folder = setup.repo.hooks_dir()
    problems: list[Problem] = []
    ways = []
    for name in HOOKS:
        problem, way = _hook(setup, folder / name, name)
        problems += [problem] if problem else []
        ways += [f"{name} runs {way}"] if way and not problem else []
    return Result("; ".join(ways), tuple(problems))


def _hook(setup: Setup, path: Path, name: str) -> tuple[Problem | None, str]:
    command, _, lost = HOOKS[name]
    if not path.is_file():
        return Problem(f"no {name} hook in {setup.shown(path.parent)}: {lost}", INSTALL), ""
    if not os.access(path, os.X_OK):
        return Problem(
            f"{setup.shown(path)} is not executable, so git skips it", f"chmod +x {path}"
        ), ""
    text = path.read_text(encoding="utf-8", errors="replace")
    if 'GATE="${GATE:-' in text:
        return _ours(setup, path, text), "gatekeeper's script"
    if "INSTALL_PYTHON" in text:
        return _pre_commit_managed(setup, path, text, name), "pre-commit"
    chained = _chained_text(setup, text, name)
    if command in chained:
        why = _gate_fails(setup, "gate")
        fix = "install gatekeeper where the hook runs (pip install gatekeeper-release)"
        return (
            Problem(f"{setup.shown(path)} calls `gate`, which {why}", fix) if why else None
        ), command
    call = f'{command} "$@"' if name == "pre-push" else command
    return Problem(
        f"{setup.shown(path)} does not run `{command}`: {lost}", f"add `{call} || exit 1` to it"
    ), ""


def _ours(setup: Setup, path: Path, text: str) -> Problem | None:
    """gatekeeper's hook: GATE, else the gate that installed it, else `gate` on PATH."""
    match = re.search(r'GATE="\$\{GATE:-([^}]*)\}"', text)
    baked = os.environ.get("GATE") or (match.group(1) if match else "gate")
    # What the script does: `[ -x "$GATE" ] || GATE=gate` (a bare name is looked up on PATH).
    gate = baked if "/" in baked and os.access(baked, os.X_OK) else "gate"
    why = _gate_fails(setup, gate)
    if why is None:
        return None
    return Problem(
        f"{setup.shown(path)} calls {gate}, which {why}: every commit or push fails",
        f"reinstall from where gate is installed: rm {path.parent}/pre-commit "
        f"{path.parent}/pre-push && gate init --hooks",
    )


def _gate_fails(setup: Setup, gate: str) -> str | None:
    """Why `gate --version` does not work, or None when it does (asked once per gate)."""
    if gate not in setup.answers:
        setup.answers[gate] = _run_gate(gate)
    return setup.answers[gate]


def _run_gate(gate: str) -> str | None:
    found = gate if "/" in gate else shutil.which(gate)
    if not found:
        return "is not on PATH"
    try:
        proc = subprocess.run([found, "--version"], capture_output=True, timeout=60, check=False)
    except OSError as exc:
        return f"cannot start ({exc.strerror or exc})"
    except subprocess.TimeoutExpired:
        return "did not answer within 60 s"
    if proc.returncode != 0 or b"gate" not in proc.stdout:
        said = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
        return f"does not run ({said[-1] if said else f'exit {proc.returncode}'})"
    return None


def _pre_commit_managed(setup: Setup, path: Path, text: str, name: str) -> Problem | None:
    """A hook pre-commit wrote (its `text`): pre-commit must run, and its config list our
    hook."""
    hook_id = HOOKS[name][1]
    match = re.search(r"^INSTALL_PYTHON=(.*)$", text, re.M)
    python = match.group(1).strip().strip("'\"") if match else ""
    if not os.access(python, os.X_OK) and not shutil.which("pre-commit"):
        return Problem(
            f"{setup.shown(path)} runs pre-commit, which is not installed any more",
            "pip install pre-commit, then pre-commit install --hook-type pre-commit "
            "--hook-type pre-push",
        )
    ids = {hook for repo in _gatekeeper_repos(_config(setup)[0]) for hook in _ids(repo)}
    if hook_id in ids:
        return None
    return Problem(
        f"the {name} hook runs pre-commit, but {CONFIG} has no `{hook_id}` hook",
        f"add `- id: {hook_id}` under gatekeeper's repo in {CONFIG}",
    )


def _chained_text(setup: Setup, text: str, name: str) -> str:
    """The hook's text and, for husky and lefthook, the files it hands over to."""
    extra = []
    if "lefthook" in text:
        extra = [".lefthook.yml", "lefthook.yml", "lefthook.yaml", ".lefthook.yaml"]
    if "husky" in text:
        extra = [f".husky/{name}"]
    more = [
        (setup.root / rel).read_text(encoding="utf-8", errors="replace")
        for rel in extra
        if (setup.root / rel).is_file()
    ]
    return "\n".join([text, *more])


def pre_commit_config(setup: Setup) -> Result:
    """5. .pre-commit-config.yaml runs gatekeeper from a pinned commit."""
    doc, problem = _config(setup)
    if problem:
        return Result(problems=(problem,))
    if doc is None:
        return Result(f"no {CONFIG} (plain git hooks, or none: see hooks)", skipped=True)
    repos = _gatekeeper_repos(doc)
    if not repos:
        return Result(f"{CONFIG} does not use gatekeeper", skipped=True)
    problems = []
    for repo in repos:
        url, rev = str(repo.get("repo", "")), str(repo.get("rev", ""))
        if url not in {"local", "meta"} and not SHA.match(rev):
            problems.append(
                Problem(
                    f"{CONFIG}: {url} is pinned to '{rev}', a tag or branch that can be moved "
                    "to code nobody reviewed",
                    f"pin a commit: pre-commit autoupdate --freeze --repo {url}",
                )
            )
        if "gate-pre-push" not in _ids(repo):
            problems.append(
                Problem(
                    f"{CONFIG}: {url} has no gate-pre-push hook: {HOOKS['pre-push'][2]}",
                    "add `- id: gate-pre-push`, then pre-commit install --hook-type pre-push",
                )
            )
    return Result(f"{CONFIG} runs gatekeeper pinned to a commit", tuple(problems))


def _config(setup: Setup) -> tuple[dict[str, Any] | None, Problem | None]:
    doc, problem = setup.yaml(setup.root / CONFIG)
    if problem:
        return None, Problem(problem.problem, "pre-commit validate-config says where")
    return doc, None


def _gatekeeper_repos(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    repos = (doc or {}).get("repos")
    return [
        repo
        for repo in (repos if isinstance(repos, list) else [])
        if isinstance(repo, dict)
        and (
            {"gate-validate", "gate-pre-push"} & _ids(repo) or "gatekeeper" in str(repo.get("repo"))
        )
    ]


def _ids(repo: dict[str, Any]) -> set[str]:
    hooks = repo.get("hooks")
    return {
        str(h.get("id")) for h in (hooks if isinstance(hooks, list) else []) if isinstance(h, dict)
    }
