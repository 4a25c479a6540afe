"""Who made each record, per the policy's `signatures` mode.

- `ssh`: the record's detached signature verifies against the keys the trusted
  policy lists for the person the record names.
- `commit`: a commit that added exactly this content carries an SSH signature that
  verifies, against the keys the trusted policy lists, as that person. Keys are never
  looked up in this machine's keyrings; GPG and X.509 signatures never count.
- `none`: the adding commit's author email is taken at its word (unverified).

Whatever the mode, a record changed after the commit that added it counts for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.models.base import Strict
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo
    from gatekeeper.trust.signing import Verifier


@dataclass(frozen=True)
class Signer:
    """Who a record is attributed to, whether that is proven, or why it counts for nothing."""

    person: str | None
    verified: bool
    problem: str | None = None
    # The roles the signer holds under the policy that decides this record, when that is
    # not the check's: a record made after the tag (trust/later.py). None: the check's.
    roles: frozenset[str] | None = None
    # Whether the policy that decides this record names its person (a rejection made
    # after the tag stands only when that day's policy does).
    known: bool = True


@dataclass(frozen=True)
class Claim:
    """A record, the person it says made it, and the commits that added its content."""

    person: str
    record: Strict
    signature: str | None
    adders: tuple[str, ...] = ()  # commits that added exactly this content, oldest first


Verify = Callable[["GitRepo", "Policy", dict[str, Claim]], dict[str, "Signer"]]


def identify(
    repo: GitRepo, policy: Policy, records: ReleaseRecords, lin: Lineage
) -> dict[str, Signer]:
    """A signer for every record (request, sign-offs, evidence manifests) by path."""
    claims = {
        path: Claim(c.person, c.record, c.signature, lin.adders.get(path, ()))
        for path, c in claims_of(records).items()
    }
    signers = attribute(repo, policy, claims)
    for path in claims:
        if problem := lineage_problem(lin, path):
            signers[path] = Signer(person=None, verified=False, problem=problem)
    return signers


def lineage_problem(lin: Lineage, path: str) -> str | None:
    """Why the record at `path` counts for nothing whoever signed it: changed since the
    commit that added it (the last such finding), or never committed."""
    changed = [v for v in lin.violations if v.path == path]
    if changed:
        return changed[-1].reason()
    return None if path in lin.added else "not found in history (uncommitted?)"


def attribute(repo: GitRepo, policy: Policy, claims: dict[str, Claim]) -> dict[str, Signer]:
    """Attribute each claim per the policy's mode (claims without adders are skipped in
    `commit` and `none` modes)."""
    return _MODES[policy.signatures](repo, policy, claims)


def claims_of(records: ReleaseRecords) -> dict[str, Claim]:
    """Record path -> the person it names and the record itself."""
    out = {path: Claim(s.person, s, s.signature) for path, s in records.signoffs}
    out.update(
        {
            e.path: Claim(e.manifest.person, e.manifest, e.manifest.signature)
            for e in records.evidence
        }
    )
    out.update({path: Claim(e.person, e, e.signature) for path, e in records.emergencies})
    if records.request:
        req = records.request
        out[records.request_path] = Claim(req.requester, req, req.signature)
    return out


def _by_author_email(repo: GitRepo, policy: Policy, claims: dict[str, Claim]) -> dict[str, Signer]:
    signers = {}
    repo.read_commits([claim.adders[0] for claim in claims.values() if claim.adders])
    for path, claim in claims.items():
        if not claim.adders:
            continue
        email = repo.commit_info(claim.adders[0]).author_email
        person = policy.person_by_email(email)
        if person is None:
            problem = f"committed by {email}, who is not a person in the policy"
            signers[path] = Signer(person=None, verified=False, problem=problem)
        elif person != claim.person:
            problem = f"names '{claim.person}' but was committed by {email} ({person})"
            signers[path] = Signer(person=None, verified=False, problem=problem)
        else:
            signers[path] = Signer(person=person, verified=False)
    return signers


def _by_ssh_signature(repo: GitRepo, policy: Policy, claims: dict[str, Claim]) -> dict[str, Signer]:
    from gatekeeper.trust.signing import Verifier

    signers = {}
    with Verifier(policy) as verifier:
        for path, claim in claims.items():
            problem = verifier.problem(claim.person, claim.record, claim.signature)
            signers[path] = Signer(
                person=None if problem else claim.person, verified=problem is None, problem=problem
            )
    return signers


def _by_commit_signature(
    repo: GitRepo, policy: Policy, claims: dict[str, Claim]
) -> dict[str, Signer]:
    from gatekeeper.trust.signing import Verifier

    signers = {}
    repo.read_commits([sha for claim in claims.values() for sha in claim.adders])
    with Verifier(policy, namespace="git") as verifier:
        for path, claim in claims.items():
            problems = [_commit_problem(repo, verifier, claim, sha) for sha in claim.adders]
            if claim.adders and None in problems:
                signers[path] = Signer(person=claim.person, verified=True)
            elif claim.adders:
                signers[path] = Signer(
                    person=None, verified=False, problem=next(p for p in problems if p)
                )
    return signers


def _commit_problem(repo: GitRepo, verifier: Verifier, claim: Claim, sha: str) -> str | None:
    commit = repo.commit_info(sha)
    if commit.signature is None:
        return f"commit {sha[:12]} that added it is not signed"
    problem = verifier.data_problem(claim.person, commit.payload, commit.signature)
    return f"commit {sha[:12]} that added it: {problem}" if problem else None


_MODES: dict[str, Verify] = {
    "none": _by_author_email,
    "ssh": _by_ssh_signature,
    "commit": _by_commit_signature,
}
