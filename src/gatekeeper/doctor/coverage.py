"""Whether the CI workflows that run the gate ever judge a release: a `push:` tag filter
that no release tag passes (`tags-ignore`, a later `!pattern`, a literal name), or a
scheduled run that re-checks no tag, runs green and checks nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem
from gatekeeper.doctor.ci import jobs_of, listed, steps_of, text, triggers_of

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup


def coverage_problems(setup: Setup, where: str, docs: list[dict[str, Any]]) -> list[Problem]:
    """Problems of the workflows in `docs` (shown together as `where`)."""
    problems = []
    pushed = [doc for doc in docs if "tag-push" in triggers_of(doc)]
    missed = [
        tag
        for tag in _release_examples(setup)
        if pushed and not any(_runs_for(doc, tag) for doc in pushed)
    ]
    if missed:
        problems.append(
            Problem(
                f"{where}: the `push:` tag filters let no check run for a release tag such "
                f"as {missed[0]}",
                'list the policy\'s tag globs under `push: tags:` (e.g. "v*"), with no `!` '
                "pattern or `tags-ignore` that drops a release tag",
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


def _runs_for(doc: dict[Any, Any], tag: str) -> bool:
    """Whether pushing `tag` starts the workflow, as GitHub reads `push:`: `tags` patterns
    in order (a later `!pattern` takes a tag out again), else `tags-ignore`, else all."""
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    push = on.get("push") if isinstance(on, dict) else None
    if not isinstance(push, dict):
        return True
    if "tags" in push:
        runs = False
        for pattern in map(str, listed(push["tags"])):
            if _caught(pattern.removeprefix("!"), tag):
                runs = not pattern.startswith("!")
        return runs
    return not any(_caught(str(p), tag) for p in listed(push.get("tags-ignore")))


def _caught(pattern: str, tag: str) -> bool:
    """Whether GitHub's filter pattern matches `tag`: `*` stops at `/`, `**` does not, and
    `?` `+` `[...]` act as in a regular expression."""
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
        return re.fullmatch(regex, tag) is not None
    except re.error:
        return True  # a filter this cannot read is not called wrong


def _release_examples(setup: Setup) -> list[str]:
    """The release tags here and a few next ones, per policy glob (`v*` -> v1.0.0, v2.0.0,
    v10.0.0...), not only one name a literal filter could happen to match."""
    from gatekeeper.doctor.names import release_names

    policy = setup.policy
    if policy is None:
        return []
    return list(dict.fromkeys(n for glob in policy.tags for n in release_names(setup, glob)))


def _rechecks_all(doc: dict[str, Any]) -> bool:
    """A gate step with `all-tags: "true"` (or an expression, which only the run knows),
    or a `gate check ... --all-tags` command (continued over lines or not)."""
    for job in jobs_of(doc).values():
        for step in steps_of(job):
            given = step.get("with")
            value = str(given.get("all-tags", "")) if isinstance(given, dict) else ""
            if value.lower() == "true" or "${{" in value:
                return True
            run = re.sub(r"\\\r?\n", " ", text(step, "run"))
            if re.search(r"\bgate\s+check\b[^\n]*--all-tags", run):
                return True
    return False
