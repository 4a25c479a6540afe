"""Evidence gates: dispatch to the evidence kind's own check."""

from __future__ import annotations

from gatekeeper.evidence import kind_named
from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, attach_commands
from gatekeeper.gates.verdict import Verdict
from gatekeeper.models.gates import EvidenceGate
from gatekeeper.trust.facts import Facts


def evaluate(gate: EvidenceGate, facts: Facts) -> Verdict:
    """Valid items of the gate's kind must exist and pass the kind's check; a failure says
    the command that would attach what is missing."""
    if facts.stale:
        return Verdict(False, (facts.stale_reason(),))
    items = [item for item in facts.evidence if item.manifest.kind == gate.kind]
    ignored = [
        f"{i.path}: not counted: {i.reason}" for i in facts.ignored if i.role_or_kind == gate.kind
    ]
    spec = kind_named(gate.kind)
    tag = facts.request.release
    if not items:
        commands = attach_commands(tag, gate)
        return Verdict(
            False,
            (f"no valid {gate.kind} evidence", *_next(commands), *ignored),
            next=tuple(commands),
        )
    ctx = CheckContext(facts.reference_time, facts.policy.roles_of)
    problems = spec.check(gate, items, ctx)  # anyone's record that fails it fails it
    if not problems and gate.by_roles:  # ...and only the roles' records satisfy it
        everyone = items
        items = [i for i in items if ctx.holds(i) & set(gate.by_roles)]
        problems = spec.check(gate, items, ctx) if items else by_roles_reasons(gate, facts)
        if not problems:
            problems = _failing_since(spec, gate, everyone, items, ctx)
    if problems:
        commands = attach_commands(tag, gate, problems)
        return Verdict(False, (*problems, *_next(commands), *ignored), next=tuple(commands))
    mark = facts.mark()
    if spec.describe is not None:  # the kind says which record counts, and what it shows
        first, *rest = spec.describe(gate, items, ctx)
        return Verdict(True, (first + mark, *rest, *ignored))
    return Verdict(True, (*(f"{i.path} by {i.person}{mark}" for i in items), *ignored))


def _next(commands: list[str]) -> list[str]:
    return [f"next: {command}" for command in commands]


def by_roles_reasons(gate: EvidenceGate, facts: Facts) -> list[str]:
    people = sorted({i.person for i in facts.evidence if i.manifest.kind == gate.kind})
    return [
        f"recorded by {', '.join(people)}, but only holders of {', '.join(gate.by_roles)} "
        f"may record {gate.kind}"
    ]


def _failing_since(
    spec: EvidenceKind,
    gate: EvidenceGate,
    everyone: list[EvidenceItem],
    theirs: list[EvidenceItem],
    ctx: CheckContext,
) -> list[str]:
    """What fails in the records made after the roles' newest by anyone else: only the
    roles' own records supersede one that fails (a newer passing report of someone outside
    `by_roles` hides no failure). Each is judged by the kind's own check, as anyone's."""
    newest = max(i.manifest.at for i in theirs)
    anyone = gate.model_copy(update={"by_roles": []})
    return [
        problem
        for item in everyone
        if item not in theirs and item.manifest.at > newest
        for problem in spec.check(anyone, [item], ctx)
    ]
