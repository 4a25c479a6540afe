"""Release tag names: checked before anything touches git."""

from __future__ import annotations

import fnmatch
import functools
import re
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import InputError
from gatekeeper.records.layout import RESERVED

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*(/[A-Za-z0-9][A-Za-z0-9._+-]*)*$")
HINT = "release tags look like v1.4.0 or billing/v2.3.1 (ASCII letters, digits, . _ + - /)"


def check_syntax(tag: str) -> str:
    """Refuse anything that could be hostile to git, a shell or a path: exit 2."""
    if not tag.isascii():
        raise InputError(f"tag {tag!r}: not ASCII; expected an ASCII tag name", hint=HINT)
    if any(ord(c) < 32 or ord(c) == 127 for c in tag):
        raise InputError(f"tag {tag!r}: contains control characters", hint=HINT)
    if tag.startswith("-"):
        raise InputError(f"tag {tag!r}: starts with '-'; expected a name, not an option", hint=HINT)
    if ".." in tag or tag.endswith((".lock", ".")) or len(tag) > 128 or not _SAFE.match(tag):
        raise InputError(f"tag {tag!r}: not a valid release tag name", hint=HINT)
    reserved = next((s for s in tag.split("/")[1:] if s in RESERVED), None)
    if reserved:
        raise InputError(
            f"tag {tag!r}: '{reserved}' names a part of a release folder; expected another "
            "name for this segment",
            hint=HINT,
        )
    return tag


def check_policy(tag: str, policy: Policy) -> str:
    """The tag must match one of the policy's `tags` globs and its `tag_regex`."""
    check_syntax(tag)
    problem = _mismatch(tag, policy)
    if problem:
        lower = tag.lower()
        better = f" (did you mean '{lower}'?)" if not _mismatch(lower, policy) else ""
        raise InputError(
            f"tag '{tag}': {problem}{better}",
            hint="release tags look like v1.4.0 or billing/v2.3.1 (the policy's `tags` and "
            "`tag_regex` say exactly which)",
        )
    return tag


def _mismatch(tag: str, policy: Policy) -> str | None:
    if not any(fnmatch.fnmatchcase(tag, glob) for glob in policy.tags):
        return f"matches none of the policy's tags {policy.tags}"
    if policy.tag_regex and not compile_tag_regex(policy.tag_regex).match(tag):
        return f"does not match the policy's tag_regex {policy.tag_regex!r}"
    return None


@functools.cache
def compile_tag_regex(pattern: str) -> Any:
    """The policy's `tag_regex` in RE2, which matches in time linear in the tag: Python's
    `re` backtracks exponentially on nested repeats such as `^(v|\\w+)+$`, and a policy
    (or a policy change under review) would stall every check of a long tag. RE2 has no
    backreferences or lookaround; a pattern that needs them is refused (ValueError)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own complaint on stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args else "invalid"
        raise ValueError(
            f"{reason} (tag_regex is RE2 syntax: no backreferences or lookaround)"
        ) from None


def component_problem(tag: str, component: str, policy: Policy) -> str | None:
    """A component-prefixed tag (`billing/v2.3.1`) is that component's release: a request
    naming another component, or none where the prefix is a declared component, would
    dodge the gates `when = { component = [...] }` holds for it, while `obligations` and
    `when.paths` already read it as that component's."""
    prefix = tag_component(tag, policy)
    if prefix is None:
        known = components_of(policy)
        near = next((p for p in _prefixes(tag) for k in known if p.lower() == k.lower()), None)
        if near is not None:
            return f"the tag's prefix '{near}/' differs from a component only in case"
        return None  # `release/v1.0`: a naming convention, not a component
    if component != prefix:
        said = f"component '{component}'" if component else "no component"
        return f"{said}, but the tag names component '{prefix}' (`--component {prefix}`)"
    return None


def tag_component(tag: str, policy: Policy) -> str | None:
    """The component a tag names: its longest leading run of segments the policy knows as
    a component (`billing/hotfix/v2.3.2` is billing's), else None."""
    known = components_of(policy)
    return next((p for p in _prefixes(tag) if p in known), None)


def component_of(tag: str, policy: Policy) -> str:
    """The component a release tag is of: the declared component its prefix names, else
    the product's (""): an undeclared prefix (`release/v1.0`) is a naming convention, and
    a release under it owes what the product's releases owe."""
    return tag_component(tag, policy) or ""


def _prefixes(tag: str) -> list[str]:
    segments = tag.split("/")[:-1]
    return ["/".join(segments[:n]) for n in range(len(segments), 0, -1)]


def components_of(policy: Policy) -> frozenset[str]:
    """The components a policy knows: those it declares, else those its gates' `when`
    name."""
    if policy.components is not None:
        return frozenset(policy.components)
    return frozenset(
        name for gate in policy.all_gates() if gate.when for name in gate.when.component or []
    )


def is_release_tag(tag: str, policy: Policy) -> bool:
    """Whether `tag` names a release under this policy (no error)."""
    try:
        check_policy(tag, policy)
    except InputError:
        return False
    return True
