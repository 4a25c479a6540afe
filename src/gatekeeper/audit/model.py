"""What an audit finds: per release, a timeline of events and the anomalies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.repo import TagInfo


@dataclass(frozen=True)
class Event:
    """One thing that happened to a release, from history."""

    time: datetime
    kind: str  # request | signoff | evidence | post-release | rollback | policy | tag
    path: str
    commit: str
    person: str | None
    detail: str
    verified: bool | None = None
    seq: int = 0  # order in history (bigger is newer): breaks ties between equal times
    comment: str = ""
    facts: tuple[str, ...] = ()  # what an evidence record states (its details)
    counted: bool | None = None  # by the check at the tag (or now); None: not judged
    not_counted: str | None = None  # why not, when it did not count


@dataclass(frozen=True)
class AuditEntry:
    """A sign-off as history shows it, verified under the policy in force when it was added."""

    path: str
    role: str
    person: str
    decision: str
    commit: str
    author: str
    time: str
    verified: bool
    problem: str | None
    comment: str = ""
    counted: bool | None = None  # by the check at the tag (or now); None: not judged
    not_counted: str | None = None


@dataclass(frozen=True)
class GateVerdict:
    """One gate as the audit's check judged it."""

    id: str
    title: str
    passed: bool
    applies: bool
    stage: str
    reasons: tuple[str, ...]
    pending: bool = False  # a post-release obligation not yet due: passes for now
    waived: bool = False  # failed, passed by an emergency declaration


@dataclass(frozen=True)
class CheckSummary:
    """The check the audit ran: at the tagged commit, or at the audited revision if untagged."""

    commit: str
    at: str  # "tag" | "revision"
    passed: bool
    gates: tuple[GateVerdict, ...] = ()
    error: str | None = None  # the check could not run

    def failing(self) -> list[str]:
        """Ids of the gates that apply and fail."""
        return [g.id for g in self.gates if g.applies and not g.passed]

    def to_json(self) -> dict[str, Any]:
        """The shape documented in docs/json.md."""
        return _flat(self) | {"gates": [_flat(g) for g in self.gates]}


@dataclass(frozen=True)
class Anomaly:
    """Something an auditor must look at."""

    kind: str
    path: str
    commit: str
    message: str


@dataclass(frozen=True)
class Declarer:
    """One person who declared the emergency, why, and the incident ticket."""

    person: str
    reason: str
    ticket: str


@dataclass(frozen=True)
class AuditException:
    """An emergency (紧急上线): what it waived, who declared it, and whether the waived gates
    were approved after the fact by their deadline.

    `retro`: "in time" | "late" | "pending" (not settled, not yet due) | "overdue" |
    "not tagged" | "nothing waived"."""

    kind: str
    declarers: tuple[Declarer, ...]
    waived: tuple[str, ...]
    due: datetime | None
    retro: str

    def summary(self) -> str:
        """One line for every format: who, why, what was waived, the retro-approval."""
        who = "; ".join(
            f"{d.person}: {d.reason}" + (f" ({d.ticket})" if d.ticket else "")
            for d in self.declarers
        )
        waived = ", ".join(self.waived) or "nothing"
        due = f" (due {self.due:%Y-%m-%d %H:%M %Z})" if self.due else ""
        return f"{self.kind} declared by {who}; waived: {waived}; retro-approval {self.retro}{due}"

    def to_json(self) -> dict[str, Any]:
        """The shape documented in docs/json.md."""
        return asdict(self) | {
            "declarers": [asdict(d) for d in self.declarers],
            "waived": list(self.waived),
            "due": self.due.isoformat() if self.due else None,
        }


def within(moment: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """Whether `moment` lies in [since, until]; with neither bound, anything does (an
    undated moment too)."""
    if since is None and until is None:
        return True
    return (
        moment is not None
        and (since is None or moment >= since)
        and (until is None or moment <= until)
    )


@dataclass
class ReleaseLog:
    """Everything history says about one release."""

    release: str
    requester: str | None = None
    request_commit: str | None = None
    requested_at: datetime | None = None
    candidate: str | None = None
    title: str | None = None
    kind: str | None = None
    risk: str | None = None
    component: str | None = None
    summary: str = ""
    tag: TagInfo | None = None
    check: CheckSummary | None = None
    approvals: list[AuditEntry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    exceptions: list[AuditException] = field(default_factory=list)
    # When a committed record of it was edited, deleted or rewritten (the commits' dates).
    tampered: list[datetime] = field(default_factory=list)

    def in_period(self, since: datetime | None, until: datetime | None) -> bool:
        """Requested, tagged, or a record of it changed after it was committed, within
        [since, until] (an old release whose approval is edited today is in today's
        report)."""
        times = [self.requested_at, self.tag.tagged_at if self.tag else None, *self.tampered]
        return any(within(t, since, until) for t in times)

    def tag_json(self) -> dict[str, Any] | None:
        """The release tag as the audit reports it."""
        if self.tag is None:
            return None
        return {
            "commit": self.tag.commit,
            "tagger": self.tag.tagger_email,
            "signed": self.tag.signed,
            "annotated": self.tag.annotated,
            "time": self.tag.tagged_at.isoformat() if self.tag.tagged_at else None,
        }

    def to_json(self) -> dict[str, Any]:
        """The shape documented in docs/json.md."""
        return {
            "release": self.release,
            "requester": self.requester,
            "request_commit": self.request_commit,
            "requested_at": self.requested_at.isoformat() if self.requested_at else None,
            "candidate": self.candidate,
            "tag": self.tag_json(),
            "approvals": [_flat(a) for a in self.approvals],
            "events": [
                {k: v for k, v in _flat(e).items() if k != "seq"} | {"time": e.time.isoformat()}
                for e in self.events
            ],
            "anomalies": [_flat(a) for a in self.anomalies],
            "exceptions": [x.to_json() for x in self.exceptions],
            "title": self.title,
            "kind": self.kind,
            "risk": self.risk,
            "component": self.component,
            "summary": self.summary,
            "check": self.check.to_json() if self.check else None,
        }


@dataclass
class AuditLog:
    """The whole audit: which history, under which policy mode, and the releases."""

    head: str
    signatures: str
    releases: list[ReleaseLog]
    since: datetime | None = None
    until: datetime | None = None
    anomalies: list[Anomaly] = field(default_factory=list)  # not tied to a release folder
    roles: dict[str, str] = field(default_factory=dict)  # role id -> its title in the policy
    people: dict[str, str] = field(default_factory=dict)  # person id -> their name
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # not in JSON
    # release -> its log's JSON text (UTF-8) as `render.json.placed` writes it, made once:
    # what `gate audit --format json` shows for it; those not in `releases` are only here.
    shown: dict[str, bytes] = field(default_factory=dict)

    def to_json(self, kept: Callable[[bytes], Any] | None = None) -> dict[str, Any]:
        """`{"releases": [...]}` plus what was audited. `kept` makes a release's text in
        `shown` into what is written (without it, a release only there is read back)."""
        made = {r.release: r for r in self.releases}

        def release(name: str) -> Any:
            if name in self.shown and (kept is not None or name not in made):
                return (kept or _read_back)(self.shown[name])
            return made[name].to_json()

        return {
            "head": self.head,
            "signatures": self.signatures,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "releases": [release(name) for name in sorted({*made, *self.shown})],
            "anomalies": [_flat(a) for a in self.anomalies],
            "roles": self.roles,
            "people": self.people,
        }


def _read_back(text: bytes) -> Any:
    import orjson

    return orjson.loads(text)


def _flat(item: Any) -> dict[str, Any]:
    """A dataclass of plain values (strings, numbers, tuples of them) as a dict, in field
    order: what `asdict` gives for these, without its deep copies (an audit has
    thousands)."""
    names = _NAMES.get(type(item))
    if names is None:
        names = _NAMES[type(item)] = tuple(f.name for f in fields(item))
    return {name: getattr(item, name) for name in names}


_NAMES: dict[type, tuple[str, ...]] = {}  # each dataclass's field names, asked once
