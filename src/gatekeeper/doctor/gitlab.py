"""GitLab (`.gitlab-ci.yml`): gatekeeper's components pinned to a commit and the scheduled
re-check included; every job that runs the gate does so on full history, under the
trusted policy, and fails when the check fails."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem
from gatekeeper.doctor.ci import SHA, listed

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

GITLAB = ".gitlab-ci.yml"
COMPONENT_JOBS = ("release-gate", "release-gate-recheck")  # a job of that name merges in


def gitlab(setup: Setup) -> tuple[list[str], list[Problem]]:
    """[.gitlab-ci.yml] when it runs the gate, and its problems."""
    doc, problem = setup.yaml(setup.root / GITLAB)
    if doc is None or not (_components(doc) or _script_jobs(doc)):
        return [], [problem] if problem else []
    return [GITLAB], _gitlab_problems(doc)


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _components(doc: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """gatekeeper's includes as (what is included, its version, how to write it pinned,
    its inputs): `component: HOST/PATH/release-gate@REF`, or `project: ..., ref: REF,
    file: ...`."""
    found = []
    for item in listed(doc.get("include")):
        if not isinstance(item, dict):
            continue
        component, file = str(item.get("component", "")), str(item.get("file", ""))
        inputs = _table(item, "inputs")
        if re.search(r"gatekeeper|release-gate", component):
            name, _, ref = component.partition("@")
            found.append((name, ref, f"component: {name}@<40-hex sha>", inputs))
        elif "release-gate" in file and item.get("project"):
            ref = str(item.get("ref", ""))
            found.append((f"{item['project']}{file}", ref, "ref: <40-hex sha>", inputs))
    return found


def _script(job: dict[str, Any]) -> list[str]:
    """A job's script lines (GitLab flattens nested lists; anything else is no command)."""
    lines, stack = [], listed(job.get("script"))[::-1]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack += item[::-1]
        elif isinstance(item, str):
            lines.append(item)
    return lines


def _script_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(name): job
        for name, job in doc.items()
        if isinstance(job, dict) and re.search(r"\bgate\s+check\b", "\n".join(_script(job)))
    }


def _gitlab_problems(doc: dict[str, Any]) -> list[Problem]:
    from gatekeeper.doctor.verdict import policy_ref_problems

    components = _components(doc)
    problems = [
        Problem(
            f"{GITLAB}: {name}: '{ref or 'no version'}' can be moved to other code, which "
            "then runs with the token that may delete release tags",
            f"pin the commit: {pinned}",
        )
        for name, ref, pinned, _ in components
        if not SHA.match(ref)
    ]
    for name, _, _, inputs in components:
        problems += policy_ref_problems(f"{GITLAB}: {name}", inputs.get("policy-ref"))
    if not any("release-gate-scheduled" in name for name, *_ in components):
        problems.append(
            Problem(
                f"{GITLAB}: no scheduled re-check: a tag pipeline runs the tagged commit's "
                ".gitlab-ci.yml, which whoever tags controls",
                "include the release-gate-scheduled component and add a pipeline schedule on "
                "the default branch (docs/gitlab.md)",
            )
        )
    return problems + _job_problems(doc)


def _job_problems(doc: dict[str, Any]) -> list[Problem]:
    """Jobs that run the gate: full history, the trusted policy, a failure that counts."""
    from gatekeeper.doctor.verdict import command_problems, ignored_failure

    problems = []
    jobs = {n: doc[n] for n in COMPONENT_JOBS if isinstance(doc.get(n), dict)}
    for name, job in {**jobs, **_script_jobs(doc)}.items():
        problems += ignored_failure(
            f"{GITLAB}: job '{name}'", "allow_failure", job.get("allow_failure")
        )
    for name, job in _script_jobs(doc).items():
        depth = str({**_table(doc, "variables"), **_table(job, "variables")}.get("GIT_DEPTH", ""))
        if depth != "0":
            problems.append(
                Problem(
                    f"{GITLAB}: job '{name}' runs the gate on a shallow clone (GIT_DEPTH "
                    f"{depth or 'unset: the project default, 20'}); gate refuses it",
                    f"set `variables: GIT_DEPTH: \"0\"` on job '{name}'",
                )
            )
        for line in _script(job):
            problems += command_problems(f"{GITLAB}: job '{name}'", line)
    return problems
