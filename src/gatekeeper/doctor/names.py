"""Concrete release tag names to judge a pattern by (a CI filter, a ruleset): the release
tags that exist, and a few the policy would accept next.

A pattern's own text is no tag name (GitHub's `v?` matches the text `v*`, and no
release), and the tags so far are not the next one (`v1.*` covers every v1.x and no
v2.0.0). The policy's globs are fnmatch, whose `*` crosses `/`; GitHub's does not.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

SAMPLES = ("0.0.1", "1.0.0", "2.0.0", "10.0.0")
ACROSS = "2.0.0/hotfix"  # what the policy's `*` matches and GitHub's `*` does not
_PART = re.compile(r"(\*+|\?|\[!?\]?[^\]]*\])")  # a wildcard, or a [...] set kept whole


def release_names(setup: Setup, glob: str, *, across: bool = False) -> list[str]:
    """The release tags `glob` names here, then made-up ones the policy accepts (with
    `across`, also one whose `*` spans a `/`); never empty."""
    from gatekeeper.policy.tagname import is_release_tag

    policy = setup.policy
    samples = (*SAMPLES, ACROSS) if across else SAMPLES
    made = [n for n in (_fill(glob, s) for s in samples) if fnmatch.fnmatchcase(n, glob)]
    if policy is None:
        return made or [glob]
    existing = [
        n for n in setup.tag_names if fnmatch.fnmatchcase(n, glob) and is_release_tag(n, policy)
    ]
    # When the policy's tag_regex refuses every made-up name, asking for them is stricter.
    accepted = [n for n in made if is_release_tag(n, policy)] or made
    return list(dict.fromkeys([*existing, *accepted])) or [glob]


def _fill(glob: str, sample: str) -> str:
    """`glob` with `sample` for each `*`, `1` for `?` and a character of each [...] set."""
    out = []
    for part in _PART.split(glob):
        if part.startswith("*"):
            out.append(sample)
        elif part == "?":
            out.append("1")
        elif part.startswith("[") and len(part) > 2:
            out.append(next((c for c in "1av0._-" if fnmatch.fnmatchcase(c, part)), part))
        else:
            out.append(part)
    return "".join(out)
