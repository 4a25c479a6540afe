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


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """On a CI runner: `CI` set to yes (GitHub Actions, GitLab CI, Forgejo/Gitea Actions,
    Buildkite, CircleCI, Bitbucket), or Jenkins, Azure Pipelines or TeamCity."""
    env = os.environ if env is None else env
    return flag(env.get("CI")) or any(env.get(name) for name in RUNNERS)
