"""`gate tag`: create the annotated release tag, with its receipt, only if the check passes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.check.report import Report
    from gatekeeper.repo import GitRepo


def create_release_tag(
    repo: GitRepo, name: str, rev: str, policy_ref: str | None, *, sign: bool
) -> tuple[Report, bool]:
    """Check `rev` for release `name`; tag it (receipt in the message) when every gate passes."""
    from gatekeeper.check import receipt
    from gatekeeper.check.evaluation import CheckOptions, evaluate

    if repo.tag(name) is not None:
        raise InputError(f"tag '{name}' already exists", hint="release tags are never moved")
    result = evaluate(repo, name, CheckOptions(rev=rev, policy_ref=policy_ref))
    report = result.report
    if not report.passed:
        return report, False
    passed = ", ".join(g.id for g in report.gates if g.applies)
    message = f"Release {name}\n\ngate check passed: {passed}\npolicy: {report.policy_ref}\n"
    repo.create_tag(name, report.revision, receipt.embed(message, receipt.build(result)), sign=sign)
    return report, True
