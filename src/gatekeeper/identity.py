"""Who made each record, per the policy's `signatures` mode.

- `ssh`: the record's detached signature verifies against the keys the trusted
  policy lists for the person the record names.
- `commit`: the commit that added the record carries a good git signature (`%G?` =
  `G`) whose principal, from allowed signers generated from the trusted policy, is
  that person.
- `none`: the adding commit's author email is taken at its word (unverified).

Whatever the mode, a record edited after the commit that added it counts for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.models.base import Strict
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


@dataclass(frozen=True)
class Claim:
    """A record, and the person it says made it."""

    person: str
    record: Strict
    signature: str | None


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


Verify = Callable[["GitRepo", "Policy", dict[str, Claim], Provenance], dict[str, "Signer"]]


def identify(repo: GitRepo, policy: Policy, records: ReleaseRecords) -> dict[str, Signer]:
    """A signer for every record (request, sign-offs, evidence manifests) by path."""
    claims = claims_of(records)
    prov = provenance(repo, records.commit, records.folder, set(claims))
    signers = verify_claims(repo, policy, claims, prov)
    for path in claims:
        change = prov.edited.get(path)
        if change is not None:
            problem = f"edited after it was committed (commit {change.commit[:12]})"
            signers[path] = Signer(None, False, problem)
        elif path not in prov.added:
            signers[path] = Signer(None, False, "not found in history (uncommitted?)")
    return signers


def verify_claims(
    repo: GitRepo, policy: Policy, claims: dict[str, Claim], prov: Provenance
) -> dict[str, Signer]:
    """Attribute each claim per the policy's mode (paths missing from `prov.added` are skipped)."""
    return _MODES[policy.signatures](repo, policy, claims, prov)


def claims_of(records: ReleaseRecords) -> dict[str, Claim]:
    """Record path -> the person it names and the record itself."""
    out = {path: Claim(s.person, s, s.signature) for path, s in records.signoffs}
    out.update(
        {
            e.path: Claim(e.manifest.person, e.manifest, e.manifest.signature)
            for e in records.evidence
        }
    )
    if records.request:
        req = records.request
        out[records.request_path] = Claim(req.requester, req, req.signature)
    return out


def _by_author_email(
    repo: GitRepo, policy: Policy, claims: dict[str, Claim], prov: Provenance
) -> dict[str, Signer]:
    signers = {}
    for path, claim in claims.items():
        change = prov.added.get(path)
        if change is None:
            continue
        person = policy.person_by_email(change.author_email)
        if person is None:
            problem = f"committed by {change.author_email}, who is not a person in the policy"
            signers[path] = Signer(None, False, problem)
        elif person != claim.person:
            problem = (
                f"names '{claim.person}' but was committed by {change.author_email} ({person})"
            )
            signers[path] = Signer(None, False, problem)
        else:
            signers[path] = Signer(person, False)
    return signers


def _by_ssh_signature(
    repo: GitRepo, policy: Policy, claims: dict[str, Claim], prov: Provenance
) -> dict[str, Signer]:
    from gatekeeper.signing import Verifier

    signers = {}
    with Verifier(policy) as verifier:
        for path, claim in claims.items():
            problem = verifier.problem(claim.person, claim.record, claim.signature)
            signers[path] = Signer(None if problem else claim.person, problem is None, problem)
    return signers


def _by_commit_signature(
    repo: GitRepo, policy: Policy, claims: dict[str, Claim], prov: Provenance
) -> dict[str, Signer]:
    from gatekeeper.signing import allowed_signers_file

    signers = {}
    with allowed_signers_file(policy, namespace="git") as allowed:
        for path, claim in claims.items():
            change = prov.added.get(path)
            if change is None:
                continue
            status, principal = repo.commit_signature(change.commit, allowed)
            if status != "G":
                problem = (
                    f"commit {change.commit[:12]} that added it has no good signature "
                    f"from a key in the trusted policy (%G? = {status or 'N'})"
                )
                signers[path] = Signer(None, False, problem)
            elif principal != claim.person:
                problem = (
                    f"names '{claim.person}' but commit {change.commit[:12]} is signed "
                    f"by {principal}'s key"
                )
                signers[path] = Signer(None, False, problem)
            else:
                signers[path] = Signer(claim.person, True)
    return signers


_MODES: dict[str, Verify] = {
    "none": _by_author_email,
    "ssh": _by_ssh_signature,
    "commit": _by_commit_signature,
}
