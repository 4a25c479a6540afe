"""Records made after the tag answer to the trusted line's policy of the day they landed.

A shipped release owes what the policy that bound it says (check/earlier.py): which gates,
in which roles. Who may settle that after the tag is not that policy's to say: someone
taken out of a role, or whose key was removed, must not settle a retro-approval or a
post-release gate with a record made afterwards (removing them is how a team stops them
signing), and whoever holds the role now must be able to. Dates are claims, so "the day
it landed" is read from the line: the policy just before the line commit that took the
record's commit in (the merge, or the commit itself), the nearest readable one before
that. A record not in the tagged commit is attributed under that policy, and the roles
its signer holds there are the ones it counts in (trust/rules.py, evidence `by_roles`).

Each commit that added exactly a record's content is judged under its own day's policy,
and the record counts if one of them is accepted (in `commit` mode the signed commit is
the one that must land while its signer is trusted). What was settled while someone held
the role stays settled after they leave: changing who may sign re-judges nothing signed
before. Records in the tagged commit stay judged under the binding policy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.trust.identity import Signer, attribute, claims_of

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo

PolicyFor = Callable[[str], "Policy"]


def hold_to_line(
    repo: GitRepo,
    policy_for: PolicyFor,
    records: ReleaseRecords,
    *,
    binding: Policy,
    lin: Lineage,
    signers: dict[str, Signer],
    shipped: frozenset[str],
) -> dict[str, Signer]:
    """`signers`, with every record made after the tag (not in `shipped`, the folder's
    paths at the tagged commit) attributed under the policy of the day each commit that
    added it landed (`policy_for`), with the roles its signer holds there (`roles`, never
    None for such a record), and `known` whether that day's policy names its person."""
    out = dict(signers)
    changed = {v.path for v in lin.violations} | (set(claims_of(records)) - set(lin.added))
    for path, claim in claims_of(records).items():
        adders = lin.adders.get(path, ())
        if path in shipped or not adders or path in changed:
            continue  # in the tagged commit, never committed, or changed since (records)
        problem, known = None, False
        for commit in adders:
            policy = policy_for(commit)
            known = known or claim.person in policy.people
            signer = attribute(repo, policy, {path: replace(claim, adders=(commit,))})[path]
            person = signer.person
            if person is not None and (was := _renamed(binding, policy, person)):
                signer = Signer(
                    None, False, f"{person} is '{was}' of the release's policy, renamed since"
                )
            if signer.person is not None:
                out[path] = replace(signer, roles=policy.roles_of(signer.person))
                break
            problem = problem or signer.problem
        else:
            why = f"made after the tag, and the policy when it landed refuses it: {problem}"
            out[path] = Signer(None, False, why, roles=frozenset(), known=known)
    return out


def _renamed(binding: Policy, day: Policy, person: str) -> str | None:
    """The release's (binding) policy's name for `person` of the day's policy, when that
    is another name (the same email, or a key in common): a rename must not make the
    requester, or someone who acted in another role, a stranger to the rules."""
    from gatekeeper.trust.keys import parse_key

    them = day.people.get(person)
    if them is None:
        return None
    keys = {parse_key(k).material for k in them.keys}
    for name, other in binding.people.items():
        same_mail = other.email.lower() == them.email.lower()
        if name != person and (same_mail or keys & {parse_key(k).material for k in other.keys}):
            return name
    return None


def line_policies(repo: GitRepo, head: str, fallback: Policy) -> PolicyFor:
    """For a commit, the policy of `head`'s first-parent line just before the line commit
    that took it in, or the nearest readable one before that; `fallback` when the line
    never took it in or no policy before it can be read."""
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import load_policy

    found: dict[int, Policy | None] = {}
    line_of = functools.cache(lambda: _line(repo, head))  # asked only for a later record

    def before(at: int) -> Policy:
        line = line_of()[0]
        for depth in range(at - 1, -1, -1):
            if depth not in found:
                try:
                    found[depth] = load_policy(repo, line[depth]).policy
                except GateError:
                    found[depth] = None  # unreadable there: the one before decides
            if (policy := found[depth]) is not None:
                return policy
        return fallback

    def policy_for(commit: str) -> Policy:
        at = line_of()[1](commit)
        return fallback if at is None else before(at)

    return policy_for


def _line(repo: GitRepo, head: str) -> tuple[list[str], Callable[[str], int | None]]:
    """`head`'s first-parent line (root first) and where on it a commit was taken in:
    from the history index when this process has it for `head`, else from the graph alone
    (no diffs: two `rev-list` passes, once a process)."""
    from gatekeeper.records.history_cache import current_index
    from gatekeeper.records.index import graph_of

    index = current_index(repo)
    if index is None or index.head != head:
        key = ("graph-of", head)
        if key not in repo.memo:
            repo.memo[key] = graph_of(repo, head)
        index = repo.memo[key]
    entry = index.entry
    return index.line, lambda commit: entry[commit][0] if commit in entry else None
