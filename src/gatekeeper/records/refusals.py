"""Records that could never count, refused before a byte is written (exit 2).

The writing commands ask the same rules the check applies (trust/rules.py) against the
release as it stands at HEAD, so `gate approve` never writes what `gate check` ignores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import GateError, InputError

if TYPE_CHECKING:
    from gatekeeper.evidence.base import EvidenceItem, EvidenceKind
    from gatekeeper.records.session import Session
    from gatekeeper.trust.facts import Facts


def refuse_signoff(s: Session, tag: str, role: str, decision: str) -> None:
    """A self-approval, a second role, a duplicate, or a revoke of nothing."""
    from gatekeeper.trust.rules import verify_not_requester, verify_one_role

    facts = _facts_at_head(s, tag)
    if facts is None:
        return  # the release cannot be judged now; writing a record may be how to fix it
    mine = {(x.role, x.decision) for x in facts.standing if x.person == s.person}
    held = facts.holders.get(s.person)
    problem = None
    if decision == "approve":
        problem = verify_not_requester(facts.policy, s.person, facts.requesters) or (
            verify_one_role(dict(facts.holders), s.person, role)
        )
        if problem and held and held != role:
            problem += f"; to act as '{role}', first `gate revoke {tag} --role {held}`"
    if decision in {"approve", "reject"} and (role, decision) in mine:
        problem = f"{s.person} already {decision}s {tag} as '{role}'; it still stands"
    if decision == "revoke" and not {r for r, _ in mine} & {role}:
        problem = f"{s.person} has no standing approval or rejection as '{role}' to revoke"
    if problem:
        raise InputError(f"{decision} {tag} --role {role}: {problem}", hint=_hint(decision))


def _hint(decision: str) -> str:
    if decision == "revoke":
        return "`gate check TAG` lists what stands"
    return "nothing was written: this record would not count (`gate check TAG` says why)"


def refuse_kind(s: Session, kind: str) -> None:
    """An evidence kind neither gatekeeper nor the policy knows (a typo, most likely)."""
    from gatekeeper.evidence import KINDS
    from gatekeeper.models.gates import EvidenceGate
    from gatekeeper.models.tomlfile import did_you_mean

    gates = [g for g in s.loaded.policy.all_gates() if isinstance(g, EvidenceGate)]
    known = set(KINDS) | {g.kind for g in gates}
    if kind not in known:
        # The name `gate check` shows (a gate's id or title: `notice`, 上线通告) says which
        # kind that gate takes; a near kind name would send the user elsewhere.
        named = next(
            (g for g in gates if kind.casefold() in {g.id.casefold(), *_titles(g.title)}), None
        )
        near = (
            f" (gate '{named.id}' takes kind '{named.kind}')"
            if named
            else did_you_mean(kind, sorted(known))
        )
        raise InputError(
            f"unknown evidence kind '{kind}'{near}", hint=f"kinds: {', '.join(sorted(known))}"
        )


def _titles(title: str | None) -> set[str]:
    """A gate's title and each of its parts (`上线通告 / Launch notice`), compared folded."""
    if not title:
        return set()
    return {title.casefold(), *(part.strip().casefold() for part in title.split("/"))}


def vet_evidence(s: Session, spec: EvidenceKind, item: EvidenceItem) -> list[str]:
    """Why `item` would fail each of the policy's gates of its kind (empty: it would pass)."""
    from gatekeeper.evidence.base import CheckContext

    if spec.vet is None:
        return []
    ctx = CheckContext(s.now, s.loaded.policy.roles_of)
    return [
        f"gate '{gate.id}': {problem}"
        for gate in s.loaded.policy.all_gates()
        if getattr(gate, "kind", None) == spec.name
        for problem in spec.vet(gate, [item], ctx)
    ]


def _facts_at_head(s: Session, tag: str) -> Facts | None:
    from gatekeeper.check.evaluation import CheckOptions, evaluate

    try:
        return evaluate(s.repo, tag, CheckOptions(rev=s.head, now=s.now)).facts
    except GateError:
        return None
