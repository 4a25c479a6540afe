"""Whether the gate's verdict in CI stops a release: `gate check` judges under the trusted
policy, and a failing check fails the job.

On a tag push the checked-out commit is the tagger's: a policy read from it is one the
tagger could weaken (docs/threat-model.md, "Weaken the policy"), so `gate check` needs
`--policy-ref` naming the default branch, never the pushed ref or commit. And a failure
that `|| true`, `continue-on-error` or `allow_failure` swallows leaves the job green:
every job that `needs:` it runs, and ships the tag.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from gatekeeper.doctor import Problem

GATE_CHECK = re.compile(r"\bgate\s+check\b")
# The event's own ref or commit, GitHub's and GitLab's: the tag being judged.
SELF_REF = re.compile(
    r"github\.(sha|ref|ref_name|head_ref)\b|\bGITHUB_(SHA|REF|REF_NAME|HEAD_REF)\b"
    r"|\bCI_COMMIT_[A-Z_]+|^HEAD$"
)
# What may follow a command on its line and take its exit status away (or ignore it).
OPERATORS = {"|", "||", "&", "&&", ";", "|&", ";;"}
TRUSTED = 'the default branch: --policy-ref origin/main (GitLab: "origin/$CI_DEFAULT_BRANCH")'


def command_problems(where: str, script: str) -> list[Problem]:
    """Problems of each `gate check` command in a shell script (`\\`-continued lines
    joined): no --policy-ref, one naming the pushed commit, or more on its line."""
    problems = []
    for line in re.sub(r"\\\r?\n", " ", script).splitlines():
        found = GATE_CHECK.search(line)
        if found:
            problems += _command(where, _words(line[found.start() :]))
    return problems


def _command(where: str, words: list[str]) -> list[Problem]:
    end = next((i for i, w in enumerate(words) if w in OPERATORS), len(words))
    ref = _policy_ref(words[:end])
    problems = []
    if ref is None:
        problems.append(
            Problem(
                f"{where}: `gate check` has no --policy-ref, so it judges the release under "
                "the policy of the pushed commit, which whoever tags can weaken",
                f"read the policy from {TRUSTED}",
            )
        )
    else:
        problems += policy_ref_problems(where, ref)
    if end < len(words):
        problems.append(
            Problem(
                f"{where}: `gate check` is followed by `{words[end]}` on its line, so a "
                "failing check need not fail the job",
                "run `gate check ...` as a command of its own, with nothing after it",
            )
        )
    return problems


def policy_ref_problems(where: str, ref: Any) -> list[Problem]:
    """A policy ref (--policy-ref, the action's or component's `policy-ref` input) that
    names the pushed commit itself."""
    if ref is None or not SELF_REF.search(str(ref).strip()):
        return []
    return [
        Problem(
            f"{where}: policy-ref {ref} is the pushed tag's own commit, so whoever tags writes "
            "the policy that judges it",
            f"read the policy from {TRUSTED}, or leave the action's policy-ref empty",
        )
    ]


def ignored_failure(where: str, key: str, value: Any) -> list[Problem]:
    """`continue-on-error` or `allow_failure` set to anything but false (an expression
    may be true; GitLab's `exit_codes` lets a failing check pass)."""
    if value is None or value is False or str(value).strip().lower() == "false":
        return []
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    return [
        Problem(
            f"{where}: `{key}: {shown}`: a failing check leaves the job green, and every job "
            "that `needs:` it runs",
            f"remove `{key}` (or set it to false)",
        )
    ]


def _words(command: str) -> list[str]:
    """The command's words and operators, as a shell splits them; `${{ expr }}` is one."""
    command = re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", command
    )
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # a quote left open: split on spaces
        return command.split()


def _policy_ref(args: list[str]) -> str | None:
    for i, word in enumerate(args):
        if word.startswith("--policy-ref="):
            return word.partition("=")[2]
        if word == "--policy-ref":
            return args[i + 1] if i + 1 < len(args) else ""
    return None
