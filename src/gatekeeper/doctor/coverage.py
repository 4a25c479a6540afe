"""Whether the CI workflows that run the gate ever judge a release: a `push: tags:`
filter that no release tag matches, or a scheduled run that re-checks no tag, runs
green and checks nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem
from gatekeeper.doctor.ci import jobs_of, listed, steps_of, triggers_of

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup


def coverage_problems(setup: Setup, where: str, docs: list[dict[str, Any]]) -> list[Problem]:
    """Problems of the workflows in `docs` (shown together as `where`)."""
    problems = []
    filters = [f for doc in docs for f in _tag_filters(doc)]
    missed = [tag for tag in _release_examples(setup) if filters and not _caught(filters, tag)]
    if missed:
        problems.append(
            Problem(
                f"{where}: `push: tags:` ({', '.join(filters)}) matches no release tag such "
                f"as {missed[0]}, so pushing a release tag runs no check",
                'list the policy\'s tag globs under `push: tags:` (e.g. "v*")',
            )
        )
    scheduled = [doc for doc in docs if "schedule" in triggers_of(doc)]
    if scheduled and not any(_rechecks_all(doc) for doc in scheduled):
        problems.append(
            Problem(
                f'{where}: the scheduled run checks no release tag (no `all-tags: "true"`, '
                "no `gate check --all-tags`)",
                'give the scheduled job\'s gate step `with: all-tags: "true"`',
            )
        )
    return problems


def _tag_filters(doc: dict[Any, Any]) -> list[str]:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    push = on.get("push") if isinstance(on, dict) else None
    tags = push.get("tags") if isinstance(push, dict) else None
    return [str(t) for t in listed(tags) if not str(t).startswith("!")]


def _caught(filters: list[str], tag: str) -> bool:
    """Whether one of GitHub's filter patterns matches `tag`: `*` stops at `/`, `**` does
    not, and `?` `+` `[...]` act as in a regular expression."""
    for pattern in filters:
        parts = re.split(r"(\*\*|\*|\[[^\]]*\]|[?+])", pattern)  # a [...] set stays whole
        regex = "".join(
            ".*"
            if p == "**"
            else "[^/]*"
            if p == "*"
            else p
            if p in ("?", "+") or (p.startswith("[") and p.endswith("]"))
            else re.escape(p)
            for p in parts
        )
        try:
            if re.fullmatch(regex, tag):
                return True
        except re.error:
            return True  # a filter this cannot read is not called wrong
    return False


def _release_examples(setup: Setup) -> list[str]:
    """A name each of the policy's tag globs accepts (`v*` -> v1.0.0)."""
    from gatekeeper.policy.tagname import is_release_tag

    policy = setup.policy
    if policy is None:
        return []
    names = [glob.replace("*", "1.0.0").replace("?", "1") for glob in policy.tags]
    return [name for name in names if is_release_tag(name, policy)]


def _rechecks_all(doc: dict[str, Any]) -> bool:
    """A gate step with `all-tags: "true"` (or an expression, which only the run knows),
    or a `gate check ... --all-tags` command (continued over lines or not)."""
    for job in jobs_of(doc).values():
        for step in steps_of(job):
            given = step.get("with")
            value = str(given.get("all-tags", "")) if isinstance(given, dict) else ""
            if value.lower() == "true" or "${{" in value:
                return True
            run = re.sub(r"\\\r?\n", " ", str(step.get("run", "")))
            if re.search(r"\bgate\s+check\b[^\n]*--all-tags", run):
                return True
    return False
