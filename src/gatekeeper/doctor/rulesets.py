"""Which release tags a repository's rulesets protect, judged from the bodies GitHub's REST
API returns (`GET /repos/{owner}/{repo}/rulesets/{id}`): pure, so every case is tested
without a network.

A release tag is protected when an *active* ruleset targeting tags covers its name and,
between them, the covering rulesets restrict creation (only the gate's path makes
one), update (a checked tag is never moved) and deletion (nor removed and re-made),
with nobody allowed to bypass them but the actors the team names.
"""

from __future__ import annotations

import re
from typing import Any

from gatekeeper.doctor import Problem

NEEDED = {
    "creation": (
        "Restrict creations",
        "anyone with write access can push a new release tag; the gate only judges it after",
    ),
    "update": ("Restrict updates", "a checked release tag can be moved to another commit"),
    "deletion": ("Restrict deletions", "a release tag can be deleted and pushed again"),
}
SETTINGS = "Settings → Rules → Rulesets"


def covers(ruleset: dict[str, Any], ref: str) -> bool:
    """Whether the ruleset's `conditions.ref_name` includes `ref` and does not exclude it."""
    conditions = ruleset.get("conditions") or {}
    names = conditions.get("ref_name") or {} if isinstance(conditions, dict) else {}
    include, exclude = names.get("include") or [], names.get("exclude") or []
    included = any(p == "~ALL" or fnmatch_ref(str(p), ref) for p in include)
    return included and not any(fnmatch_ref(str(p), ref) for p in exclude)


def misshapen(ruleset: dict[str, Any]) -> str | None:
    """The field of a ruleset body not in the shape GitHub documents (and this module
    reads), said with what was expected; None when every field read is."""
    for field in ("rules", "bypass_actors"):
        value = ruleset.get(field)
        if value is not None and not _all(value, dict):
            return f"{field} is not a list of objects"
    conditions = ruleset.get("conditions")
    names = conditions.get("ref_name") if isinstance(conditions, dict) else None
    if conditions is not None and not isinstance(conditions, dict):
        return "conditions is not an object"
    if names is not None and not isinstance(names, dict):
        return "conditions.ref_name is not an object"
    for key in ("include", "exclude"):
        value = (names or {}).get(key)
        if value is not None and not _all(value, str):
            return f"conditions.ref_name.{key} is not a list of patterns"
    return None


def _all(value: Any, kind: type) -> bool:
    return isinstance(value, list) and all(isinstance(v, kind) for v in value)


def fnmatch_ref(pattern: str, ref: str) -> bool:
    """GitHub's fnmatch for ref names: `*` stops at `/`, `**` does not, `?` is one char."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 1)) > i:
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.fullmatch("".join(out), ref) is not None


def tag_problems(
    rulesets: list[dict[str, Any]],
    globs: list[str],
    names: dict[str, list[str]],
    allowed: frozenset[str],
) -> list[Problem]:
    """What leaves the tags the policy's `globs` name unprotected. A ruleset covers a glob
    when it covers every one of the glob's concrete `names` (the release tags that exist
    and the next ones, from doctor.names): never the glob's text, which is no tag name."""
    tags = [r for r in rulesets if r.get("target") == "tag"]
    problems: list[Problem] = []
    for glob in globs:
        refs = [f"refs/tags/{name}" for name in names.get(glob) or [glob]]
        covering = [r for r in tags if all(covers(r, ref) for ref in refs)]
        unguarded = next(
            (ref for ref in refs if not any(_active(r) and covers(r, ref) for r in tags)), None
        )
        problems += _for_glob(glob, unguarded, covering, allowed)
    return problems


def _active(ruleset: dict[str, Any]) -> bool:
    return ruleset.get("enforcement") == "active"


def _for_glob(
    glob: str, unguarded: str | None, covering: list[dict[str, Any]], allowed: frozenset[str]
) -> list[Problem]:
    ref = f"refs/tags/{glob}"
    problems = [
        Problem(
            f"ruleset '{r.get('name')}' covers {ref} but its enforcement is "
            f"'{r.get('enforcement')}': it blocks nothing",
            f"set its enforcement to Active ({SETTINGS} → {r.get('name')})",
        )
        for r in covering
        if not _active(r)
    ]
    active = [r for r in covering if _active(r)]
    if not active:
        which = (
            f"{unguarded.removeprefix('refs/tags/')} is in none"
            if unguarded
            else "no one ruleset covers every release tag"
        )
        return [
            *problems,
            Problem(
                f"no active tag ruleset covers {ref} ({which}): anyone with write access can "
                "create, move or delete a release tag",
                f"{SETTINGS} → New tag ruleset: target {github_pattern(glob)}, Active, with "
                + ", ".join(label for label, _ in NEEDED.values()),
            ),
        ]
    rules = {str(rule.get("type")) for r in active for rule in r.get("rules") or []}
    problems += [
        Problem(
            f"no active ruleset on {ref} has the '{kind}' rule: {why}",
            f"tick '{label}' in ruleset '{active[0].get('name')}' ({SETTINGS})",
        )
        for kind, (label, why) in NEEDED.items()
        if kind not in rules
    ]
    for ruleset in active:
        problems += _bypass_problems(ruleset, ref, allowed)
    return problems


def github_pattern(glob: str) -> str:
    """The ruleset pattern naming what the policy's `glob` names: fnmatch's `*` crosses `/`,
    so it is GitHub's `**` (a tag_regex without `/` lets `*` stay `*`)."""
    return "refs/tags/" + re.sub(r"\*+", "**", glob)


def _bypass_problems(ruleset: dict[str, Any], ref: str, allowed: frozenset[str]) -> list[Problem]:
    name = ruleset.get("name")
    actors = ruleset.get("bypass_actors")
    if actors is None:  # GitHub shows them only to those who may edit the ruleset
        return [
            Problem(
                f"ruleset '{name}': GitHub did not say who may bypass it (the token cannot "
                "edit rulesets), so bypasses are unchecked",
                "run with a GITHUB_TOKEN of a repository admin (fine-grained: Administration: "
                "read and write)",
            )
        ]
    problems = []
    for actor in actors if isinstance(actors, list) else []:
        who = actor_id(actor)
        if who in allowed or actor.get("bypass_mode") == "pull_request":
            continue  # named by the team, or bypassing only through pull requests
        problems.append(
            Problem(
                f"ruleset '{name}' lets {who} bypass it ({actor.get('bypass_mode', 'always')}): "
                f"they can create, move or delete {ref} without the gate",
                f"remove the bypass ({SETTINGS} → {name}), or, if {who} is the release "
                f"automation that runs gate check first, pass --allow-bypass {who}",
            )
        )
    return problems


def actor_id(actor: dict[str, Any]) -> str:
    """`TYPE:ID` as --allow-bypass takes it, e.g. `Team:234` or `Integration:15368`."""
    return f"{actor.get('actor_type')}:{actor.get('actor_id')}"
