"""`gate status`: every release and its stage, derived from files and tags, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.check.report import Report
    from gatekeeper.repo import GitRepo
    from gatekeeper.trust.facts import Facts


@dataclass(frozen=True)
class ReleaseStatus:
    """One line of `gate status`."""

    release: str
    stage: str
    passed: bool
    title: str
    failing: tuple[str, ...]


def derive_stage(report: Report, facts: Facts | None, tagged: bool) -> str:
    """requested → approved → tagged → launched → verified, or rolled back / rejected."""
    if facts is None:
        return "requested"
    if facts.request.withdrawn is not None:
        return "withdrawn"
    from gatekeeper.evidence import kind_named

    marks = {kind_named(item.manifest.kind).marks for item in facts.evidence}
    if "rolled back" in marks:
        return "rolled back"
    if any(s.decision == "reject" for s in facts.standing):
        return "rejected"
    if not tagged:
        return "approved" if report.passed else "requested"
    for stage in ("verified", "launched"):
        if stage in marks:
            return stage
    return "tagged"


def statuses(repo: GitRepo) -> list[ReleaseStatus]:
    """The stage of every release folder at HEAD; `failing` are pre-tag gates, or once
    tagged, overdue post-release obligations."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import InputError
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.records.reading import release_tags

    head = repo.head()
    if head is None:
        raise InputError(f"{repo.root}: no commits yet", hint="run `gate init` and commit")
    policy = policy_in_force(repo, head, None).policy
    out = []
    for tag in release_tags(repo, head, policy.releases):
        tagged = repo.tag(tag) is not None
        # Once tagged, what matters is the post-release records, committed after the tag.
        stage = "post-release" if tagged else "pre-tag"
        result = evaluate(repo, tag, CheckOptions(stage=stage))
        report, facts = result.report, result.facts
        out.append(
            ReleaseStatus(
                release=tag,
                stage=derive_stage(report, facts, tagged),
                passed=report.passed,
                title=facts.request.title if facts else "",
                failing=tuple(g.id for g in report.gates if not g.passed),
            )
        )
    return out
