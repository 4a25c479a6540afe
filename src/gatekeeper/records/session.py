"""Who is writing, with which key, against which policy: resolved before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import IdentityError, InputError
from gatekeeper.policy import tagname

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
    from gatekeeper.policy.loading import LoadedPolicy
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo
    from gatekeeper.trust.signing import SigningKey


@dataclass(frozen=True)
class Session:
    """A repository, its policy at HEAD and the acting person, resolved before writing."""

    repo: GitRepo
    head: str
    loaded: LoadedPolicy
    person: str
    key: SigningKey | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def record_key(self) -> SigningKey | None:
        """The key that signs the record itself (`ssh` mode only)."""
        return self.key if self.loaded.policy.signatures == "ssh" else None

    @property
    def commit_key(self) -> str | None:
        """The key that signs the commit (`commit` mode only), as git's user.signingKey."""
        return (
            self.key.git_value if self.loaded.policy.signatures == "commit" and self.key else None
        )

    @property
    def releases(self) -> str:
        """The policy's release folder."""
        return self.loaded.policy.releases


def open_session(repo: GitRepo, tag: str, key: str | Path | None = None) -> Session:
    """Resolve HEAD, the policy, who is acting and their key; exit 2 when any is missing."""
    from gatekeeper.policy.loading import policy_in_force

    tagname.check_syntax(tag)
    head = repo.head()
    if head is None:
        raise InputError(f"{repo.root}: no commits yet", hint="commit your code and policy first")
    refuse_unfinished(repo)
    loaded = policy_in_force(repo, head, None)
    tagname.check_policy(tag, loaded.policy)
    email = repo.author().email
    person = loaded.policy.person_by_email(email)
    if person is None:
        raise IdentityError(
            f"{email}: not a person in the policy (people.*.email)",
            hint="add yourself under [people.<id>] in the policy, or set git's user.email",
        )
    # In both signed modes the key must be one the policy lists for the acting person:
    # `ssh` signs the record with it, `commit` signs the commit with exactly it.
    signing = (
        _signing_key(repo, loaded.policy, person, key)
        if loaded.policy.signatures != "none"
        else None
    )
    return Session(repo, head, loaded, person, signing)


# What git leaves in its directory while an operation waits for the user: a record
# committed then would go into it (git refuses a partial commit during a merge anyway).
_UNFINISHED = (
    ("MERGE_HEAD", "a merge", "`git merge --abort`"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "`git cherry-pick --abort`"),
    ("REVERT_HEAD", "a revert", "`git revert --abort`"),
    ("rebase-merge", "a rebase", "`git rebase --abort`"),
    ("rebase-apply", "a rebase or `git am`", "`git rebase --abort` or `git am --abort`"),
)


def refuse_unfinished(repo: GitRepo) -> None:
    """Exit 2 while a merge, cherry-pick, revert or rebase is in progress (nothing written)."""
    args = [arg for name, _, _ in _UNFINISHED for arg in ("--git-path", name)]
    paths = repo.run("rev-parse", *args).splitlines()
    for path, (name, what, abort) in zip(paths, _UNFINISHED, strict=True):
        if (repo.root / path).exists():  # relative to the work tree's top, or absolute
            raise InputError(
                f"{repo.root}: {what} is in progress ({name}); expected a finished one, "
                "so the record is committed on its own",
                hint=f"finish it (resolve, `git add`, `git commit` or `--continue`) or "
                f"abort it ({abort}), then run the command again",
            )


def _key_hint(policy: Policy, person: str, public: str, source: str) -> str:
    """Whose key it is, when it is somebody else's; else how to register it."""
    from gatekeeper.trust.keys import key_material

    owner = next(
        (pid for pid, p in policy.people.items() for k in p.keys if key_material(k) == public),
        None,
    )
    if owner:
        return (
            f"that key is {owner}'s in the policy (found via {source}); you act as {person}: "
            "pass your own with --key or GATE_SIGNING_KEY"
        )
    return f"add its public key to people.{person}.keys (`ssh-keygen -y -f KEY`)"


def _signing_key(
    repo: GitRepo, policy: Policy, person: str, given: str | Path | None
) -> SigningKey:
    """`--key`, else GATE_SIGNING_KEY, else `git config user.signingkey`; listed for `person`."""
    import os

    from gatekeeper.trust.keys import key_material
    from gatekeeper.trust.signing import SigningKey

    sources = (
        ("--key", given),
        ("GATE_SIGNING_KEY", os.environ.get("GATE_SIGNING_KEY")),
        ("git config user.signingkey", repo.config("user.signingkey")),
    )
    source, where = next(((name, value) for name, value in sources if value), ("", None))
    if not where:
        raise IdentityError(
            f'{person}: no signing key (the policy has signatures = "{policy.signatures}")',
            hint="pass --key ~/.ssh/id_ed25519, or set GATE_SIGNING_KEY or user.signingkey",
        )
    key = SigningKey.from_setting(str(where))
    if not key.exists():
        raise IdentityError(
            f"{source} {key.path}: no such file", hint="give the path of your SSH key"
        )
    public = key.public()
    if public not in {key_material(k) for k in policy.people[person].keys}:
        raise IdentityError(
            f"{source} {key.git_value}: this key is not listed for '{person}' in the policy",
            hint=_key_hint(policy, person, public, source),
        )
    return key


def requested(s: Session, tag: str) -> tuple[ReleaseRecords, Request]:
    """The release's records at HEAD; refused when it has no request."""
    from gatekeeper.records.reading import missing_request, read_release

    records = read_release(s.repo, s.head, s.releases, tag)
    if records.request is None:
        raise InputError(
            missing_request(s.repo, s.head, records.layout),
            hint=f"the requester files it first: gate request {tag} --title ...",
        )
    return records, records.request
