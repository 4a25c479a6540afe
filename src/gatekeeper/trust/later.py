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
import itertools
from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.trust.identity import Signer, attribute, claims_of, lineage_problem

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo


def hold_to_line(
    repo: GitRepo,
    line: Line,
    records: ReleaseRecords,
    *,
    binding: Policy,
    since: str,
    lin: Lineage,
    signers: dict[str, Signer],
    shipped: frozenset[str],
) -> dict[str, Signer]:
    """`signers`, with every record made after the tag (not in `shipped`, the folder's
    paths at the tagged commit) attributed under the policy of the day each commit that
    added it landed (`line`), with the roles its signer holds there (`roles`, never None
    for such a record), and `known` whether that day's policy names its person. `since`:
    the commit whose policy bound the release, where a rename is followed back to."""
    out = dict(signers)
    for path, claim in claims_of(records).items():
        adders = lin.adders.get(path, ())
        if path in shipped or not adders or lineage_problem(lin, path):
            continue  # in the tagged commit, never committed, or changed since (records)
        problem, known = None, False
        for commit in adders:
            policy = line.at(commit)
            known = known or claim.person in policy.people
            signer = attribute(repo, policy, {path: replace(claim, adders=(commit,))})[path]
            if signer.person is not None:  # the rules follow who they were when it shipped
                chain = [policy, *line.back_to(commit, since), binding]
                if was := _renamed(chain, signer.person):
                    why = f"{signer.person} is '{was}' of the release's policy, renamed since"
                    signer = Signer(None, False, why)
            if signer.person is not None:
                out[path] = replace(signer, roles=policy.roles_of(signer.person))
                break
            problem = problem or signer.problem
        else:
            why = f"made after the tag, and the policy when it landed refuses it: {problem}"
            out[path] = Signer(None, False, why, roles=frozenset(), known=known)
    return out


def _renamed(chain: list[Policy], person: str) -> str | None:
    """The name `person` of the day's policy (`chain[0]`) had in the release's policy
    (`chain[-1]`), followed back through each policy of the line in between by name, by
    email or by a key in common, when that is another name; None when it is the same or
    they are new somewhere along it. A rename, in one step or in several, must not make
    the requester, or someone who acted in another role, a stranger to the rules."""
    from gatekeeper.trust.keys import parse_key

    names = {person}
    for newer, older in itertools.pairwise(chain):
        following = set()
        for name in names:
            them = newer.people[name]
            keys = {parse_key(k).material for k in them.keys}
            same = {  # by email or key first: a name may have been given to someone else
                other
                for other, was in older.people.items()
                if was.email.lower() == them.email.lower()
                or keys & {parse_key(k).material for k in was.keys}
            }
            following |= same or ({name} & set(older.people))
        if not following:
            return None  # new somewhere along the line
        names = following
    renamed = sorted(names - {person})
    return renamed[0] if renamed else None


class Line:
    """The trusted line's policies: for a commit, the one just before the line commit that
    took it in (the nearest readable one before that); `fallback` when the line never
    took it in or none before it can be read."""

    def __init__(self, repo: GitRepo, head: str, fallback: Policy) -> None:
        self._repo, self._head, self._fallback = repo, head, fallback
        self._found: dict[int, Policy | None] = {}

    @functools.cached_property
    def _graph(self) -> HistoryIndex:
        return _line(self._repo, self._head)  # read only once a record made after the tag asks

    def _depth(self, commit: str) -> int | None:
        """Where on the line `commit` was taken in (None: never)."""
        found = self._graph.entry.get(commit)
        return found[0] if found is not None else None

    def _policy(self, depth: int) -> Policy | None:
        from gatekeeper.errors import GateError
        from gatekeeper.policy.loading import load_policy

        if depth not in self._found:
            try:
                self._found[depth] = load_policy(self._repo, self._graph.line[depth]).policy
            except GateError:
                self._found[depth] = None  # unreadable there: the one before decides
        return self._found[depth]

    def at(self, commit: str) -> Policy:
        taken = self._depth(commit)
        for depth in range(taken - 1, -1, -1) if taken is not None else ():
            if (policy := self._policy(depth)) is not None:
                return policy
        return self._fallback

    def _built_on(self, since: str) -> int | None:
        """Where `since` left the line: itself when on it, else where it forked from the
        line before the commit that took it in (a release branch merged later took the
        renames made on the line meanwhile in with it)."""
        line, depth = self._graph.line, self._depth(since)
        if depth is None or line[depth] == since or depth == 0:
            return depth
        bases = self._repo.merge_bases(since, line[depth - 1])
        depths = [d for b in bases if (d := self._depth(b)) is not None]
        return min(depths) if depths else 0

    def back_to(self, commit: str, since: str) -> list[Policy]:
        """The readable policies of the line from the one `commit` is judged under back to
        where `since` joined it (newest first, each change once); [] when either is off it."""
        taken, start = self._depth(commit), self._built_on(since)
        if taken is None or start is None or start >= taken:
            return []
        chain: list[Policy] = []
        for depth in range(taken - 1, start - 1, -1):
            policy = self._policy(depth)
            if policy is not None and (not chain or chain[-1] is not policy):
                chain.append(policy)
        return chain


def _line(repo: GitRepo, head: str) -> HistoryIndex:
    """`head`'s first-parent line and where on it each commit was taken in: the history
    index when this process has it for `head`, else the graph alone (no diffs: two
    `rev-list` passes, once a process)."""
    from gatekeeper.records.history_cache import current_index
    from gatekeeper.records.index_walk import graph_of

    index = current_index(repo)
    if index is not None and index.head == head:
        return index
    key = ("graph-of", head)
    if key not in repo.memo:
        repo.memo[key] = graph_of(repo, head)
    graph: HistoryIndex = repo.memo[key]
    return graph
