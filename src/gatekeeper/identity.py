"""Who made each record, per the policy's `signatures` mode.

`none` takes the adding commit's author email at its word (marked unverified);
`ssh` and `commit` plug in here as further verifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gatekeeper.errors import PolicyError

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.release import ReleaseRecords
    from gatekeeper.repo import Change, GitRepo


@dataclass(frozen=True)
class Signer:
    """Who a record is attributed to, whether that is proven, or why it counts for nothing."""

    person: str | None
    verified: bool
    problem: str | None = None


@dataclass(frozen=True)
class Provenance:
    """For each record path: the commit that added it and, if any, a later edit or deletion."""

    added: dict[str, Change]
    edited: dict[str, Change]


def provenance(repo: GitRepo, rev: str, folder: str, paths: set[str]) -> Provenance:
    """Walk history under `folder` newest-first; stop once every path's add is found."""
    added: dict[str, Change] = {}
    edited: dict[str, Change] = {}
    pending = set(paths)
    for change in repo.history(rev, folder):
        if change.path not in pending:
            continue
        if change.status == "A":
            added[change.path] = change
            pending.discard(change.path)
            if not pending:
                break
        else:
            edited.setdefault(change.path, change)
    return Provenance(added, edited)


Verifier = Callable[["Policy", "ReleaseRecords", Provenance], dict[str, Signer]]


def identify(repo: GitRepo, policy: Policy, records: ReleaseRecords) -> dict[str, Signer]:
    """A signer for every record (request, sign-offs, evidence manifests) by path."""
    verifier = _VERIFIERS.get(policy.signatures)
    if verifier is None:
        raise PolicyError(
            f"policy: signatures = '{policy.signatures}' is not supported by this version",
            hint='use signatures = "none" until ssh/commit verification lands',
        )
    paths = _record_paths(records)
    prov = provenance(repo, records.commit, records.folder, set(paths))
    signers = verifier(policy, records, prov)
    for path in paths:  # whatever the mode, an edited record counts for nothing
        if path in prov.edited:
            change = prov.edited[path]
            signers[path] = Signer(
                None, False, f"edited after it was committed (commit {change.commit[:12]})"
            )
    return signers


def _record_paths(records: ReleaseRecords) -> dict[str, str]:
    """Record path -> the person the record names."""
    out = {path: s.person for path, s in records.signoffs}
    out.update({e.path: e.manifest.person for e in records.evidence})
    if records.request:
        out[records.request_path] = records.request.requester
    return out


def _by_author_email(
    policy: Policy, records: ReleaseRecords, prov: Provenance
) -> dict[str, Signer]:
    signers = {}
    for path, named in _record_paths(records).items():
        change = prov.added.get(path)
        if change is None:
            signers[path] = Signer(None, False, "not found in history (uncommitted?)")
            continue
        person = policy.person_by_email(change.author_email)
        if person is None:
            problem = f"committed by {change.author_email}, who is not a person in the policy"
            signers[path] = Signer(None, False, problem)
        elif person != named:
            problem = f"names '{named}' but was committed by {change.author_email} ({person})"
            signers[path] = Signer(None, False, problem)
        else:
            signers[path] = Signer(person, False)
    return signers


_VERIFIERS: dict[str, Verifier] = {"none": _by_author_email}
