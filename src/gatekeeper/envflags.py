"""Yes/no settings read from the environment, and whether gate runs on a CI runner."""

from __future__ import annotations

import os
from collections.abc import Mapping

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})

# Runners that do not set CI=true, by a variable each of them always sets.
RUNNERS = ("JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION")


def flag(value: str | None) -> bool:
    """An environment variable's yes: 1, true, yes or on, in any case."""
    return (value or "").strip().lower() in TRUE


def yes_or_no(env: Mapping[str, str], name: str, hint: str) -> bool:
    """A setting that guards something (a connection's TLS): a known yes or no, else exit
    2 with `hint` (a typo must not read as "no")."""
    from gatekeeper.errors import InputError

    value = env.get(name, "").strip().lower()
    if value and value not in TRUE | FALSE:
        raise InputError(
            f"{name}={env[name]!r}: expected yes or no (1/true/yes/on or 0/false/no/off)",
            hint=hint,
        )
    return value in TRUE


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """On a CI runner: `CI` set to yes (GitHub Actions, GitLab CI, Forgejo/Gitea Actions,
    Buildkite, CircleCI, Bitbucket), or Jenkins, Azure Pipelines or TeamCity."""
    env = os.environ if env is None else env
    return flag(env.get("CI")) or any(env.get(name) for name in RUNNERS)
