"""Records made after the tag are held to the trusted line's policy of their day too.

A shipped release owes what the policy that bound it says (check/earlier.py), but who
may settle that after the tag is not that policy's to say. Someone taken out of a role,
or whose key was removed, must not settle a retro-approval or a post-release gate with
a record made afterwards: removing them is how a team stops them signing. Dates are
claims, so "afterwards" is read from the trusted line: the policy in force just before
the line commit that took the record in (the merge, or the commit itself). A record not
in the tagged commit counts only when that policy also attributes it to the same person,
and they still hold what they act in there: the role a sign-off is made in, and for
evidence every `by_roles` role they held under the binding policy (a person who lost one
may no longer publish what it restricts; a record does not say which gate it is for).

Records in the tagged commit stay judged under the binding policy only, and a record
taken in while its signer was trusted keeps counting after they leave: changing who may
sign does not re-judge what was signed before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.trust.identity import Signer, attribute, claims_of

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo
    from gatekeeper.trust.identity import Claim


def hold_to_line(
    repo: GitRepo,
    policy_for: Callable[[str], Policy],
    binding: Policy,
    records: ReleaseRecords,
    *,
    lin: Lineage,
    signers: dict[str, Signer],
    shipped: frozenset[str],
) -> dict[str, Signer]:
    """`signers`, with every record made after the tag (not in `shipped`, the folder's
    paths at the tagged commit) that the policy in force when it was taken in
    (`policy_for(commit)`, for the commit that added it) refuses counting for nothing."""
    later = {
        path: replace(claim, adders=lin.adders.get(path, ()))
        for path, claim in claims_of(records).items()
        if path not in shipped and signers.get(path, Signer(None, False)).person is not None
    }
    by_policy: dict[int, tuple[Policy, dict[str, Claim]]] = {}
    for path, claim in later.items():
        policy = policy_for(claim.adders[0]) if claim.adders else binding
        by_policy.setdefault(id(policy), (policy, {}))[1][path] = claim
    out = dict(signers)
    for policy, claims in by_policy.values():
        again = attribute(repo, policy, claims)
        for path, claim in claims.items():
            problem = _problem(policy, binding, claim, again.get(path))
            if problem:
                why = (
                    f"made after the tag, and refused by the policy when it was taken in: {problem}"
                )
                out[path] = Signer(person=None, verified=False, problem=why)
    return out


def _problem(then: Policy, binding: Policy, claim: Claim, signer: Signer | None) -> str | None:
    from gatekeeper.models.records import EvidenceManifest, Signoff
    from gatekeeper.trust.rules import verify_role

    if signer is None or signer.person is None:
        return signer.problem if signer else f"'{claim.person}' is not attributed"
    if isinstance(claim.record, Signoff):
        return verify_role(then, signer.person, claim.record.role)
    if isinstance(claim.record, EvidenceManifest):
        restricting = {r for g in binding.all_gates() for r in getattr(g, "by_roles", [])}
        lost = (binding.roles_of(signer.person) - then.roles_of(signer.person)) & restricting
        if lost:
            return f"{signer.person} no longer holds {', '.join(sorted(lost))}"
    return None
