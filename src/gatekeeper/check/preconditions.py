"""What a check says before its gates and beside them: history must be whole, and what
the verdict does not cover (unverified signers, uncommitted changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError
from gatekeeper.policy.loading import POLICY_DIR

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo, TagInfo


def refuse_shallow(repo: GitRepo) -> None:
    """A shallow clone hides the history that proves who added what."""
    if repo.is_shallow():
        raise InputError(
            f"{repo.root}: shallow clone; gatekeeper reads history as evidence",
            hint="fetch full history: `git fetch --unshallow` (actions/checkout: fetch-depth: 0)",
        )


def report_warnings(
    repo: GitRepo, signatures: str, releases: str, rev: str | None, info: TagInfo | None
) -> list[str]:
    out = []
    if signatures == "none":
        out.append(
            'signatures = "none": sign-offs are attributed by commit author email, NOT verified'
        )
    if rev is None and info is None:
        dirty = repo.dirty([releases, POLICY_DIR])
        policies = [p for p in dirty if p.startswith(f"{POLICY_DIR}/")]
        records = [p for p in dirty if p not in policies]
        if policies:
            out.append(
                f"{', '.join(policies[:5])} has uncommitted changes; gate reads the committed "
                "policy (commit it to have it count)"
            )
        if records:
            out.append(f"uncommitted changes are not read: {', '.join(records[:5])}")
    return out
