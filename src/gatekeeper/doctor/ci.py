"""The CI gate: a workflow (GitHub, Forgejo/Gitea Actions) or GitLab pipeline runs the gate
on tag pushes and on a schedule, with full history, from actions pinned to commits.

Hooks can be skipped; CI is the check a tag cannot dodge. It judges from history, so a
shallow checkout fails every release; and an action or component followed by tag runs
whatever that tag points at tomorrow, with the token that may delete release tags.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem, Result

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

ACTIONS_DIRS = (".github/workflows", ".forgejo/workflows", ".gitea/workflows")
GITLAB = ".gitlab-ci.yml"
SHA = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
NO_CI = Problem(
    "no CI workflow runs the gate: a tag pushed with --no-verify, or from a clone without "
    "hooks, is never checked",
    "copy gatekeeper's docs/workflows/release-gate.yml to .github/workflows/ (GitLab: include "
    "its release-gate component)",
)


def workflows(setup: Setup) -> Result:
    """6. A CI workflow runs the gate, with full history, pinned actions and a re-check."""
    found, problems = _actions(setup)
    more_found, more = _gitlab(setup)
    found, problems = found + more_found, problems + more
    if not found:
        return Result(problems=(NO_CI, *problems))
    return Result(f"the gate runs in {', '.join(found)}", tuple(problems))


def _actions(setup: Setup) -> tuple[list[str], list[Problem]]:
    """GitHub / Forgejo / Gitea workflows that run the gate, and their problems."""
    problems: list[Problem] = []
    found, triggers, docs = [], set(), []
    for folder in ACTIONS_DIRS:
        for path in sorted((setup.root / folder).glob("*.y*ml")):
            doc, problem = setup.yaml(path)
            problems += [problem] if problem else []
            if doc is not None and _gate_jobs(doc):
                found.append(setup.shown(path))
                docs.append(doc)
                triggers |= triggers_of(doc)
                problems += _actions_problems(setup.shown(path), doc)
    if found:
        from gatekeeper.doctor.coverage import coverage_problems

        problems += _trigger_problems(", ".join(found), triggers)
        problems += coverage_problems(setup, ", ".join(found), docs)
    return found, problems


def _gitlab(setup: Setup) -> tuple[list[str], list[Problem]]:
    doc, problem = setup.yaml(setup.root / GITLAB)
    if doc is None or not (_components(doc) or _script_jobs(doc)):
        return [], [problem] if problem else []
    return [GITLAB], _gitlab_problems(doc)


def steps_of(job: Any) -> list[dict[str, Any]]:
    steps = job.get("steps") if isinstance(job, dict) else None
    return [s for s in (steps if isinstance(steps, list) else []) if isinstance(s, dict)]


def jobs_of(doc: dict[str, Any]) -> dict[str, Any]:
    jobs = doc.get("jobs")
    return jobs if isinstance(jobs, dict) else {}


def _runs_gate(step: dict[str, Any]) -> bool:
    uses, run = str(step.get("uses", "")), str(step.get("run", ""))
    return "gatekeeper" in uses.lower() or bool(re.search(r"\bgate\s+check\b", run))


def _gate_jobs(doc: dict[str, Any]) -> dict[str, int]:
    """Jobs that run the gate, and the index of the step that does."""
    return {
        str(name): next(i for i, s in enumerate(steps_of(job)) if _runs_gate(s))
        for name, job in jobs_of(doc).items()
        if any(_runs_gate(s) for s in steps_of(job))
    }


def _actions_problems(rel: str, doc: dict[str, Any]) -> list[Problem]:
    problems = []
    for job, at in _gate_jobs(doc).items():
        checkout = [
            s for s in steps_of(jobs_of(doc)[job])[:at] if "checkout@" in str(s.get("uses"))
        ]
        depth = (checkout[-1].get("with") or {}).get("fetch-depth") if checkout else None
        if str(depth) != "0":
            problems.append(
                Problem(
                    f"{rel}: job '{job}' checks out "
                    + (f"fetch-depth {depth or 1}" if checkout else "nothing")
                    + " before the gate; gate refuses a shallow clone, so every release fails",
                    "add an actions/checkout step with `with: fetch-depth: 0` before the gate",
                )
            )
    for where, uses in _uses(doc):
        name, _, ref = uses.partition("@")
        if uses.startswith(("./", "docker://")) or SHA.match(ref):
            continue
        problems.append(
            Problem(
                f"{rel}: {where} uses {uses}: '{ref or 'no ref'}' can be moved to other code, "
                "which then runs with this job's token",
                f"pin the commit: uses: {name}@<40-hex sha>  # {ref}",
            )
        )
    return problems


def _uses(doc: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for name, job in jobs_of(doc).items():
        if isinstance(job, dict) and isinstance(job.get("uses"), str):  # a reusable workflow
            found.append((f"jobs.{name}", job["uses"]))
        for i, step in enumerate(steps_of(job)):
            if isinstance(step.get("uses"), str):
                found.append((f"jobs.{name}.steps[{i}]", step["uses"]))
    return found


def triggers_of(doc: dict[Any, Any]) -> set[str]:
    """`tag-push` and `schedule`, when the workflow runs on them."""
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    events = on if isinstance(on, dict) else {str(e): None for e in listed(on)}
    push = events.get("push", False)
    branches_only = isinstance(push, dict) and "branches" in push and "tags" not in push
    found = {"schedule"} if "schedule" in events else set()
    return found | ({"tag-push"} if push is not False and not branches_only else set())


def _trigger_problems(where: str, triggers: set[str]) -> list[Problem]:
    """On a tag push, and on a schedule (a tag push runs the tagged commit's workflow, and
    none starts when more than three tags are pushed at once)."""
    problems = []
    if "tag-push" not in triggers:
        problems.append(
            Problem(
                f"{where}: runs on no tag push, so a release tag is not checked when pushed",
                'add `push: tags: ["v*"]` under `on:`',
            )
        )
    if "schedule" not in triggers:
        problems.append(
            Problem(
                f"{where}: no scheduled re-check: a tag push runs the tagged commit's workflow "
                "file, and none runs when more than three tags are pushed at once",
                'add `schedule:` and a job with `all-tags: "true"` (see '
                "docs/workflows/release-gate.yml)",
            )
        )
    return problems


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def listed(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _components(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """gatekeeper's includes as (what is included, its version, how to write it pinned):
    `component: HOST/PATH/release-gate@REF`, or `project: ..., ref: REF, file: ...`."""
    found = []
    for item in listed(doc.get("include")):
        if not isinstance(item, dict):
            continue
        component, file = str(item.get("component", "")), str(item.get("file", ""))
        if re.search(r"gatekeeper|release-gate", component):
            name, _, ref = component.partition("@")
            found.append((name, ref, f"component: {name}@<40-hex sha>"))
        elif "release-gate" in file and item.get("project"):
            ref = str(item.get("ref", ""))
            found.append((f"{item['project']}{file}", ref, "ref: <40-hex sha>"))
    return found


def _script_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(name): job
        for name, job in doc.items()
        if isinstance(job, dict)
        and re.search(r"\bgate\s+check\b", " ".join(map(str, listed(job.get("script")))))
    }


def _gitlab_problems(doc: dict[str, Any]) -> list[Problem]:
    problems = [
        Problem(
            f"{GITLAB}: {name}: '{ref or 'no version'}' can be moved to other code, which "
            "then runs with the token that may delete release tags",
            f"pin the commit: {pinned}",
        )
        for name, ref, pinned in _components(doc)
        if not SHA.match(ref)
    ]
    if not any("release-gate-scheduled" in name for name, _, _ in _components(doc)):
        problems.append(
            Problem(
                f"{GITLAB}: no scheduled re-check: a tag pipeline runs the tagged commit's "
                ".gitlab-ci.yml, which whoever tags controls",
                "include the release-gate-scheduled component and add a pipeline schedule on "
                "the default branch (docs/gitlab.md)",
            )
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
    return problems
