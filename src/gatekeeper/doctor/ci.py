"""The CI gate: a workflow (GitHub, Forgejo/Gitea Actions) or GitLab pipeline runs the gate
on tag pushes and on a schedule, with full history, from actions pinned to commits, under
the trusted policy, failing the job when the check fails.

Hooks can be skipped; CI is the check a tag cannot dodge. It judges from history, so a
shallow checkout fails every release; and an action or component followed by tag runs
whatever that tag points at tomorrow, with the token that may delete release tags.
GitLab's part is doctor.gitlab; what makes a verdict count, doctor.verdict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem, Result

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

ACTIONS_DIRS = (".github/workflows", ".forgejo/workflows", ".gitea/workflows")
SHA = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})$")
JOB_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # GitHub refuses a workflow with another
NO_CI = Problem(
    "no CI workflow runs the gate: a tag pushed with --no-verify, or from a clone without "
    "hooks, is never checked",
    "copy gatekeeper's docs/workflows/release-gate.yml to .github/workflows/ (GitLab: include "
    "its release-gate component)",
)


def workflows(setup: Setup) -> Result:
    """6. A CI workflow runs the gate, with full history, pinned actions and a re-check."""
    from gatekeeper.doctor.gitlab import gitlab

    found, problems = _actions(setup)
    more_found, more = gitlab(setup)
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


def steps_of(job: Any) -> list[dict[str, Any]]:
    steps = job.get("steps") if isinstance(job, dict) else None
    return [s for s in (steps if isinstance(steps, list) else []) if isinstance(s, dict)]


def jobs_of(doc: dict[str, Any]) -> dict[str, Any]:
    jobs = doc.get("jobs")
    return jobs if isinstance(jobs, dict) else {}


def listed(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def text(mapping: dict[str, Any], key: str) -> str:
    """A string field, or "" (a list or mapping there is no command or action name)."""
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _runs_gate(step: dict[str, Any]) -> bool:
    uses, run = text(step, "uses"), text(step, "run")
    return "gatekeeper" in uses.lower() or bool(re.search(r"\bgate\s+check\b", run))


def _gate_jobs(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], int]]:
    """Jobs that run the gate (id, job, the index of the first step that does)."""
    found = []
    for name, job in jobs_of(doc).items():
        at = next((i for i, s in enumerate(steps_of(job)) if _runs_gate(s)), None)
        if at is not None:
            found.append((str(name), job, at))
    return found


def _actions_problems(rel: str, doc: dict[str, Any]) -> list[Problem]:
    problems = [
        Problem(
            f"{rel}: job id '{name}' is not valid (a letter or `_`, then letters, digits, `-` "
            "or `_`): GitHub refuses the workflow, so the gate never runs",
            f"rename the job, e.g. to job-{name}",
        )
        for name in map(str, jobs_of(doc))
        if not JOB_ID.match(name)
    ]
    for name, job, at in _gate_jobs(doc):
        problems += _depth_problems(rel, name, steps_of(job)[:at])
        problems += _verdict_problems(rel, name, job)
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


def _depth_problems(rel: str, job: str, before: list[dict[str, Any]]) -> list[Problem]:
    checkout = [s for s in before if "checkout@" in text(s, "uses")]
    given = checkout[-1].get("with") if checkout else None
    if given is not None and not isinstance(given, dict):
        said = "a checkout whose `with:` is not a mapping (so fetch-depth 1)"
    else:
        depth = (given or {}).get("fetch-depth")
        if str(depth) == "0":
            return []
        said = f"fetch-depth {depth or 1}" if checkout else "nothing"
    return [
        Problem(
            f"{rel}: job '{job}' checks out {said} before the gate; gate refuses a shallow "
            "clone, so every release fails",
            "add an actions/checkout step with `with: fetch-depth: 0` before the gate",
        )
    ]


def _verdict_problems(rel: str, name: str, job: dict[str, Any]) -> list[Problem]:
    """The gate job judges under the trusted policy, and its failure fails the job."""
    from gatekeeper.doctor.verdict import command_problems, ignored_failure, policy_ref_problems

    key = "continue-on-error"
    problems = ignored_failure(f"{rel}: job '{name}'", key, job.get(key))
    for i, step in enumerate(steps_of(job)):
        if not _runs_gate(step):
            continue
        where = f"{rel}: jobs.{name}.steps[{i}]"
        given = step.get("with")
        problems += ignored_failure(where, key, step.get(key))
        problems += command_problems(where, text(step, "run"))
        if isinstance(given, dict) and "gatekeeper" in text(step, "uses").lower():
            problems += policy_ref_problems(where, given.get("policy-ref"))
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
    # With a branch filter and no tag filter, GitHub starts the workflow for no tag at all.
    branches_only = (
        isinstance(push, dict)
        and not {"tags", "tags-ignore"} & set(push)
        and bool({"branches", "branches-ignore"} & set(push))
    )
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
