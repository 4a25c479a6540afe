"""`gate explain`: every rule that decided a release, each record that did not count and
why, who could unblock it and the exact commands that would.

`gate status` asks the same questions of every release, so its `next` and `waiting on`
come from here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.check.report import GateResult, Report
    from gatekeeper.models.policy import Gate
    from gatekeeper.trust.facts import Facts, Ignored

PersonRole = tuple[str, str]


@dataclass(frozen=True)
class Step:
    """A command that would move the release on, and who may run it (anyone when empty)."""

    command: str
    by: tuple[PersonRole, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A check's report, and what it means for the people who have to act on it."""

    report: Report
    title: str
    not_counted: tuple[Ignored, ...]
    stale: tuple[str, ...]
    waiting_on: tuple[PersonRole, ...]
    steps: tuple[Step, ...]

    @property
    def passed(self) -> bool:
        """True when every gate that applies passed."""
        return self.report.passed

    def to_json(self) -> dict[str, Any]:
        """`gate check`'s JSON and the explanation's keys."""
        return self.report.to_json() | {
            "title": self.title,
            "not_counted": [
                {"path": i.path, "role_or_kind": i.role_or_kind, "reason": i.reason}
                for i in self.not_counted
            ],
            "stale": list(self.stale) or None,
            "waiting_on": people_json(self.waiting_on),
            "unblock": [
                {"person": p, "role": r, "command": s.command} for s in self.steps for p, r in s.by
            ],
            "next": [s.command for s in self.steps],
        }


def people_json(people: tuple[PersonRole, ...]) -> list[dict[str, str]]:
    """(person, role) pairs as `{"person", "role"}` objects, as `gate check` writes them."""
    return [{"person": person, "role": role} for person, role in people]


def explain(evaluation: Evaluation) -> Explanation:
    """What decided the release, what did not count, and what would unblock it."""
    facts = evaluation.facts
    return Explanation(
        report=evaluation.report,
        title=facts.request.title if facts else "",
        not_counted=facts.ignored if facts else (),
        stale=facts.stale if facts else (),
        waiting_on=() if ended(facts) else waiting_on(evaluation.report),
        steps=tuple(steps(evaluation)),
    )


def ended(facts: Facts | None) -> bool:
    """A withdrawn release waits on no one: it will not ship."""
    return facts is not None and facts.request.withdrawn is not None


def waiting_on(report: Report) -> tuple[PersonRole, ...]:
    """Everyone a failing gate waits on, once each, in gate order."""
    return tuple(dict.fromkeys(p for g in report.gates if not g.passed for p in g.waiting_on))


def steps(evaluation: Evaluation) -> list[Step]:
    """The commands that would unblock the release (or tag it, once it passes)."""
    report, facts = evaluation.report, evaluation.facts
    if facts is None:  # no request (the reason says why), or records it cannot read
        return _unreadable(report)
    if ended(facts):
        return []
    if facts.stale:
        return [] if report.tag_commit else _after_revision(evaluation, facts)
    out = [
        step
        for gate in report.gates
        if not gate.passed or gate.pending
        for step in _gate_steps(gate, facts)
    ]
    if report.passed and report.tag_commit is None and report.stage == "pre-tag":
        out.append(Step(f"gate tag {report.release}"))
    return _merged(out)


def _unreadable(report: Report) -> list[Step]:
    """A committed record that cannot be read stays as it is (append-only), and gate
    writes nothing more into its folder: the release goes on under a new tag."""
    from gatekeeper.check.builtin import UNREADABLE
    from gatekeeper.records.reading import new_tag_command

    if not any(g.title == UNREADABLE and not g.passed for g in report.gates):
        return []
    return [Step(new_tag_command(report.release))]


def _gate_steps(gate: GateResult, facts: Facts) -> list[Step]:
    """A failing gate's own `next:` line, then an approve (or, for a standing rejection, a
    revoke) per role it waits on."""
    out = [Step(command) for command in gate.next]
    rejects = {(s.person, s.role) for s in facts.standing if s.decision == "reject"}
    for person, role in gate.waiting_on:
        verb = "revoke" if (person, role) in rejects else "approve"
        out.append(Step(f"gate {verb} {facts.request.release} --role {role}", ((person, role),)))
    return out


def _after_revision(evaluation: Evaluation, facts: Facts) -> list[Step]:
    """A stale release: the requester revises the request for the new candidate, then every
    failing gate is satisfied again (sign-offs and evidence are bound to the request)."""
    tag = facts.request.release
    revise = Step(
        f"gate request {tag} --revise --candidate HEAD", ((facts.request.requester, "requester"),)
    )
    failing = {g.id for g in evaluation.report.gates if not g.passed}
    again = [
        step
        for gate in evaluation.policy.policy.all_gates()
        if gate.id in failing
        for step in _redo(gate, facts)
    ]
    return _merged([revise, *again])


def _redo(gate: Gate, facts: Facts) -> list[Step]:
    from gatekeeper.models.gates import ApprovalGate

    tag = facts.request.release
    if isinstance(gate, ApprovalGate):
        people = facts.waiting_on(list(gate.roles), set())
        return [Step(f"gate approve {tag} --role {role}", ((p, role),)) for p, role in people]
    from gatekeeper.models.gates import EvidenceGate

    if not isinstance(gate, EvidenceGate):
        return []
    from gatekeeper.evidence.base import attach_commands

    return [Step(command) for command in attach_commands(tag, gate)]


def _merged(found: list[Step]) -> list[Step]:
    """One step per command, with everyone who may run it."""
    by: dict[str, list[PersonRole]] = {}
    for step in found:
        people = by.setdefault(step.command, [])
        people += [p for p in step.by if p not in people]
    return [Step(command, tuple(people)) for command, people in by.items()]
