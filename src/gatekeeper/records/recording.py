"""The commands that write records: request, approve/reject/revoke, attach.

Every check runs before the first byte is written; the files are then written
and committed as one commit, or removed again if git refuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import IdentityError, InputError
from gatekeeper.policy.tagname import component_problem, tag_component
from gatekeeper.records.layout import ReleaseLayout
from gatekeeper.records.refusals import refuse_signoff
from gatekeeper.records.session import Session, open_session, requested
from gatekeeper.records.writing import Written, dump, free_path, stamp, write
from gatekeeper.render import one_line

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request


__all__ = [
    "RequestFields",
    "Session",
    "Written",
    "file_request",
    "open_session",
    "sign_off",
]


@dataclass(frozen=True)
class RequestFields:
    """`gate request` options; None means "not given" (a revision keeps the old value)."""

    title: str | None = None
    kind: str | None = None
    risk: str | None = None
    component: str | None = None
    planned_at: datetime | None = None
    candidate: str | None = None
    summary: str | None = None
    rollback_plan: str | None = None
    withdrawn: str | None = None  # the reason, when the release will not ship

    def given(self) -> dict[str, Any]:
        """The fields given, by record key (the candidate is resolved separately)."""
        return {k: v for k, v in asdict(self).items() if v is not None and k != "candidate"}


_NEW_REQUEST = {
    "kind": "release",
    "risk": "normal",
    "component": "",
    "summary": "",
    "rollback_plan": "",
}


def file_request(
    s: Session, tag: str, fields: RequestFields, *, revise: bool = False, commit: bool = True
) -> Written:
    """Write `releases/<tag>/request.toml` for the candidate commit, or, with `revise`,
    its next revision: `revision = N+1`, `supersedes` = sha256 of revision N."""
    from gatekeeper.models.records import Request

    layout = ReleaseLayout(s.releases, tag)
    previous = _previous_request(s, layout, revise=revise)
    if previous is None:
        if fields.title is None:
            raise InputError(
                "--title: required for a new request", hint=f"gate request {tag} --title ..."
            )
        doc: dict[str, Any] = {"schema": 1, "release": tag, **_NEW_REQUEST, "revision": 1}
        doc["component"] = tag_component(tag, s.loaded.policy) or ""  # billing's release
    else:
        request, data = previous
        doc = request.model_dump(mode="python", by_alias=True, exclude={"signature"})
        doc |= {"revision": request.revision + 1, "supersedes": hashlib.sha256(data).hexdigest()}
    doc |= fields.given()
    if fields.candidate or previous is None:
        doc["candidate"] = s.repo.resolve_commit(fields.candidate or "HEAD", "--candidate")
    doc |= {"requester": s.person, "requested_at": s.now}
    undeclared = s.loaded.policy.undeclared(doc["kind"], doc["component"])
    mismatch = component_problem(tag, doc["component"], s.loaded.policy)
    undeclared += [mismatch] if mismatch else []
    if undeclared:
        raise InputError(
            f"{layout.request}: {undeclared[0]}",
            lines=[f"{layout.request}: {line}" for line in undeclared],
            hint="use a kind / component the policy declares in `kinds` / `components`, "
            "and for a tag like billing/v2.3.1 its component (billing)",
        )
    data = dump(Request, doc, layout.request, s.record_key, strict=False)
    verb = f"revise {tag} (revision {doc['revision']})" if previous else f"request {tag}"
    # One line: a title's line breaks would start the message's body and its trailers.
    message = f"gate: {verb}: {one_line(doc['title'])}"
    return write(s.repo, {layout.request: data}, message, commit=commit, signing_key=s.commit_key)


def _previous_request(
    s: Session, layout: ReleaseLayout, *, revise: bool
) -> tuple[Request, bytes] | None:
    """The committed request a revision supersedes (None for a new request)."""
    from gatekeeper.records.reading import read_release

    records = read_release(s.repo, s.head, s.releases, layout.tag)
    on_disk = s.repo.root / layout.request
    if not revise:
        if records.request is not None or on_disk.exists():
            raise InputError(
                f"{layout.request}: release '{layout.tag}' is already requested",
                hint=f"change it with `gate request {layout.tag} --revise --title ...` "
                "(approvals must then be given again)",
            )
        return None
    if records.request is None:
        raise InputError(
            f"{layout.request}: release '{layout.tag}' has no committed request to revise",
            hint=f"file it first: gate request {layout.tag} --title ...",
        )
    if records.request.withdrawn is not None:
        raise InputError(
            f"{layout.request}: release '{layout.tag}' was withdrawn "
            f"({records.request.withdrawn}); a withdrawn release stays ended",
            hint="request the work again under a new tag",
        )
    if s.repo.tag(layout.tag) is not None:
        raise InputError(
            f"{layout.request}: release '{layout.tag}' is tagged: its request is what "
            "shipped, and says what it still owes",
            hint="a change after the release is a new release: gate request NEW_TAG --title ...",
        )
    data = s.repo.blob_at(s.head, layout.request)
    if not on_disk.is_file() or on_disk.read_bytes() != data:
        raise InputError(
            f"{layout.request}: differs from the committed version",
            hint=f"restore it (`git restore {layout.request}`); revise only with --revise",
        )
    return records.request, data


def sign_off(
    s: Session, tag: str, role: str, decision: str, comment: str = "", *, commit: bool = True
) -> Written:
    """Write one approve/reject/revoke record for the acting person in `role`."""
    from gatekeeper.models.records import Signoff
    from gatekeeper.models.tomlfile import did_you_mean

    policy = s.loaded.policy
    role = _role_named(policy, role)
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
    records, request = requested(s, tag)
    refuse_signoff(s, tag, role, decision)
    when = stamp(s.now)
    name = f"{when}-{s.person}-{role}-{decision}"
    path = free_path(s, records.layout.record("approval", name), ".toml")
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
    data = dump(Signoff, doc, path, s.record_key)
    verb = {"approve": "approves", "reject": "rejects", "revoke": "revokes"}[decision]
    message = f"gate: {s.person} {verb} {tag} as {role}"
    return write(s.repo, {path: data}, message, commit=commit, signing_key=s.commit_key)


def _role_named(policy: Policy, given: str) -> str:
    """A role by its id, or by its title as people read it everywhere (`产品部负责人`, or
    one side of a bilingual `产品经理 / Product manager`)."""
    if given in policy.roles:
        return given
    wanted = given.strip().casefold()
    for name, role in policy.roles.items():
        titles = [role.title, *role.title.split("/")]
        if wanted and wanted in {t.strip().casefold() for t in titles}:
            return name
    return given


def declare_emergency(
    s: Session, tag: str, reason: str, ticket: str = "", *, commit: bool = True
) -> Written:
    """紧急上线: a signed declaration that `tag` ships before every gate passes."""
    from gatekeeper.models.records import EmergencyDeclaration

    emergency = s.loaded.policy.emergency
    if emergency is None:
        raise InputError(f"{tag}: the policy has no [emergency] table", hint="add one (see README)")
    if not s.loaded.policy.roles_of(s.person) & set(emergency.roles):
        raise IdentityError(
            f"{s.person} holds none of the emergency roles ({', '.join(emergency.roles)})",
            hint="nothing was written: only those roles may declare an emergency",
        )
    records, request = requested(s, tag)
    if s.person == request.requester and not s.loaded.policy.allow_self_approval:
        raise IdentityError(
            f"{s.person} requested {tag} and may not declare its emergency (that waives the "
            "sign-offs of their own release)",
            hint="nothing was written: another holder of an emergency role declares it",
        )
    path = free_path(s, records.layout.record("emergency", f"{stamp(s.now)}-{s.person}"), ".toml")
    doc = {
        "schema": 1,
        "release": tag,
        "person": s.person,
        "reason": reason,
        "ticket": ticket,
        "candidate": request.candidate,
        "request_sha256": records.request_sha256,
        "at": s.now,
    }
    data = dump(EmergencyDeclaration, doc, path, s.record_key)
    message = f"gate: {s.person} declares an emergency for {tag}: {one_line(reason)[:60]}"
    return write(s.repo, {path: data}, message, commit=commit, signing_key=s.commit_key)
