"""The commands that write records: request, approve/reject/revoke, attach.

Every check runs before the first byte is written; the files are then written
and committed as one commit, or removed again if git refuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper import tagname
from gatekeeper.errors import IdentityError, InputError, RecordError

if TYPE_CHECKING:
    from gatekeeper.models.base import Strict
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
    from gatekeeper.policyfile import LoadedPolicy
    from gatekeeper.release import ReleaseRecords
    from gatekeeper.repo import GitRepo
    from gatekeeper.signing import SigningKey

MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Written:
    """What a writing command wrote and the commit it made (None with --no-commit)."""

    paths: tuple[str, ...]
    commit: str | None
    message: str


@dataclass(frozen=True)
class RequestFields:
    """`gate request` options."""

    title: str
    kind: str = "release"
    risk: str = "normal"
    component: str = ""
    planned_at: datetime | None = None
    candidate: str | None = None
    summary: str = ""
    rollback_plan: str = ""


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
    def releases(self) -> str:
        """The policy's release folder."""
        return self.loaded.policy.releases


def open_session(repo: GitRepo, tag: str, key: Path | None = None) -> Session:
    """Resolve HEAD, the policy, who is acting and their key; exit 2 when any is missing."""
    from gatekeeper.policyfile import load_policy

    tagname.check_syntax(tag)
    head = repo.head()
    if head is None:
        raise InputError(f"{repo.root}: no commits yet", hint="commit your code and policy first")
    loaded = load_policy(repo, head)
    tagname.check_policy(tag, loaded.policy)
    email = repo.author().email
    person = loaded.policy.person_by_email(email)
    if person is None:
        raise IdentityError(
            f"{email}: not a person in the policy (people.*.email)",
            hint="add yourself under [people.<id>] in the policy, or set git's user.email",
        )
    signing = (
        _signing_key(repo, loaded.policy, person, key)
        if loaded.policy.signatures == "ssh"
        else None
    )
    return Session(repo, head, loaded, person, signing)


def _signing_key(repo: GitRepo, policy: Policy, person: str, given: Path | None) -> SigningKey:
    """`--key`, else GATE_SIGNING_KEY, else `git config user.signingkey`; listed for `person`."""
    import os

    from gatekeeper.signing import SigningKey, key_material

    where = given or os.environ.get("GATE_SIGNING_KEY") or repo.config("user.signingkey")
    if not where:
        raise IdentityError(
            f'{person}: no signing key (the policy has signatures = "ssh")',
            hint="pass --key ~/.ssh/id_ed25519, or set GATE_SIGNING_KEY or user.signingkey",
        )
    key = SigningKey(Path(str(where)).expanduser())
    if not key.path.exists():
        raise IdentityError(f"--key {key.path}: no such file", hint="give the path of your SSH key")
    listed = {key_material(k) for k in policy.people[person].keys}
    if key.public() not in listed:
        raise IdentityError(
            f"--key {key.path}: this key is not listed for '{person}' in the policy",
            hint=f"add its public key to people.{person}.keys (`ssh-keygen -y -f KEY`)",
        )
    return key


def file_request(s: Session, tag: str, fields: RequestFields, *, commit: bool = True) -> Written:
    """Write `releases/<tag>/request.toml` for the candidate commit."""
    from gatekeeper.models.records import Request

    path = f"{s.releases}/{tag}/request.toml"
    if path in s.repo.paths(s.head, f"{s.releases}/{tag}") or (s.repo.root / path).exists():
        raise InputError(
            f"{path}: release '{tag}' is already requested",
            hint="requests are append-only; file a new release tag instead",
        )
    candidate = s.repo.resolve_commit(fields.candidate or "HEAD", "--candidate")
    doc = {
        "schema": 1,
        "release": tag,
        "title": fields.title,
        "kind": fields.kind,
        "risk": fields.risk,
        "component": fields.component,
        "planned_at": fields.planned_at,
        "candidate": candidate,
        "summary": fields.summary,
        "rollback_plan": fields.rollback_plan,
        "requester": s.person,
        "requested_at": s.now,
    }
    data = _dump(Request, doc, path, s.key, strict=False)
    message = f"gate: request {tag}: {fields.title}"
    return _write(s, {path: data}, message, commit)


def sign_off(
    s: Session, tag: str, role: str, decision: str, comment: str = "", *, commit: bool = True
) -> Written:
    """Write one approve/reject/revoke record for the acting person in `role`."""
    from gatekeeper.models.records import Signoff
    from gatekeeper.tomlfile import did_you_mean

    policy = s.loaded.policy
    if role not in policy.roles:
        raise InputError(
            f"--role: unknown role '{role}'" + did_you_mean(role, policy.roles),
            hint=f"roles in the policy: {', '.join(policy.roles)}",
        )
    if s.person not in policy.roles[role].members:
        raise IdentityError(
            f"--role {role}: {s.person} is not a member of role '{role}'",
            hint=f"members: {', '.join(policy.roles[role].members) or 'none'}",
        )
    records, request = _requested(s, tag)
    stamp = _stamp(s.now)
    path = _free(s, f"{records.folder}/approvals/{stamp}-{s.person}-{role}-{decision}", ".toml")
    doc = {
        "schema": 1,
        "release": tag,
        "role": role,
        "decision": decision,
        "person": s.person,
        "candidate": request.candidate,
        "request_sha256": records.request_sha256,
        "at": s.now,
        "comment": comment,
    }
    data = _dump(Signoff, doc, path, s.key)
    verb = {"approve": "approves", "reject": "rejects", "revoke": "revokes"}[decision]
    return _write(s, {path: data}, f"gate: {s.person} {verb} {tag} as {role}", commit)


def attach(
    s: Session,
    tag: str,
    kind: str,
    source: Path | None,
    sets: dict[str, str],
    *,
    commit: bool = True,
) -> Written:
    """Copy `source` beside a new evidence manifest of `kind`, pinned by sha256."""
    from gatekeeper.evidence import kind_named
    from gatekeeper.models.records import EvidenceManifest

    spec = kind_named(kind)
    records, request = _requested(s, tag)
    details = _details(spec.details_model, spec.details_from_cli(sets), kind)
    stem = _free(s, f"{records.folder}/evidence/{kind}-{_stamp(s.now)}-{s.person}", ".toml")
    files: dict[str, bytes] = {}
    attachments = []
    if spec.attachment_suffix and source is None:
        raise InputError(
            f"{kind}: needs a FILE ({spec.attachment_suffix})",
            hint=f"gate attach {tag} {kind} PATH",
        )
    if source is not None:
        content = _read_source(source, spec.attachment_suffix)
        if kind == "test-report":
            from gatekeeper.evidence.test_report import parse_junit

            parse_junit(content, str(source))  # refuse a bad report now, not at check time
        name = Path(stem).name.removesuffix(".toml") + (spec.attachment_suffix or source.suffix)
        files[f"{Path(stem).parent}/{name}"] = content
        digest = hashlib.sha256(content).hexdigest()
        attachments.append({"path": name, "sha256": digest, "size": len(content)})
    doc = {
        "schema": 1,
        "release": tag,
        "kind": kind,
        "person": s.person,
        "candidate": request.candidate,
        "request_sha256": records.request_sha256,
        "at": s.now,
        "attachments": attachments,
        "details": details,
    }
    files[stem] = _dump(EvidenceManifest, doc, stem, s.key)
    return _write(s, files, f"gate: attach {kind} to {tag}", commit)


def _requested(s: Session, tag: str) -> tuple[ReleaseRecords, Request]:
    from gatekeeper.release import read_release

    records = read_release(s.repo, s.head, s.releases, tag)
    if records.request is None:
        raise InputError(
            f"{records.request_path}: release '{tag}' has no committed request",
            hint=f"gate request {tag} --title ...",
        )
    return records, records.request


def _details(model: type[Strict], given: dict[str, Any], kind: str) -> dict[str, Any]:
    from pydantic import ValidationError

    from gatekeeper.tomlfile import format_loc

    try:
        details = model.model_validate(given, strict=False)
    except ValidationError as exc:
        lines = [f"--set {format_loc(e['loc'])}: {e['msg']} (kind {kind})" for e in exc.errors()]
        raise InputError(
            lines[0], lines=lines, hint=f"`gate schema evidence` lists {kind}'s fields"
        ) from None
    return details.model_dump(mode="python", exclude_defaults=False)


def _read_source(source: Path, suffix: str | None) -> bytes:
    if suffix and source.suffix.lower() != suffix:
        raise InputError(f"{source}: expected a {suffix} file", hint=f"attach a {suffix} file")
    if source.is_symlink() or not source.is_file():
        raise InputError(f"{source}: not a regular file", hint="attach a plain file, not a link")
    size = source.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        raise InputError(
            f"{source}: {size} bytes; expected at most {MAX_ATTACHMENT_BYTES}",
            hint="attach a summary and record the large artefact's digest instead",
        )
    return source.read_bytes()


def _dump(
    model: type[Strict],
    doc: dict[str, Any],
    path: str,
    key: SigningKey | None,
    *,
    strict: bool = True,
) -> bytes:
    """Validate (and sign) before writing: gatekeeper never writes a record it would refuse."""
    import tomli_w
    from pydantic import ValidationError

    from gatekeeper.tomlfile import validation_lines

    clean = {k: v for k, v in doc.items() if v is not None}
    try:
        record = model.model_validate(clean, strict=strict)
    except ValidationError as exc:
        lines = validation_lines(path, exc)
        raise RecordError(lines[0], lines=lines, hint="check the option values") from None
    if key is not None:
        from gatekeeper.signing import payload

        record = record.model_copy(update={"signature": key.sign(payload(record))})
    return tomli_w.dumps(
        record.model_dump(mode="python", by_alias=True, exclude_none=True)
    ).encode()


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _free(s: Session, stem: str, suffix: str) -> str:
    """A path that exists neither at HEAD nor on disk (records are never overwritten)."""
    candidate, n = f"{stem}{suffix}", 1
    while (s.repo.root / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def _write(s: Session, files: dict[str, bytes], message: str, commit: bool) -> Written:
    created: list[Path] = []
    try:
        for rel, data in files.items():
            target = s.repo.root / rel
            for parent in reversed(target.parents):
                if not parent.exists() and s.repo.root in parent.parents:
                    parent.mkdir()
                    created.append(parent)
            with target.open("xb") as fh:
                created.append(target)
                fh.write(data)
        sign = s.loaded.policy.signatures == "commit"
        sha = s.repo.commit_files(list(files), message, commit=commit, sign=sign)
    except BaseException:
        for path in reversed(created):
            path.unlink() if path.is_file() else path.rmdir()
        raise
    return Written(tuple(files), sha, message)
