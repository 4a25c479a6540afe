"""`gate check`: may this release be tagged? A numbered checklist of small steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gatekeeper import tagname
from gatekeeper.errors import InputError
from gatekeeper.policyfile import POLICY_DIR
from gatekeeper.report import GateResult, Report

if TYPE_CHECKING:
    from gatekeeper.facts import Facts
    from gatekeeper.identity import Signer
    from gatekeeper.models.gates import GateBase
    from gatekeeper.models.records import Request
    from gatekeeper.policyfile import LoadedPolicy
    from gatekeeper.release import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo


@dataclass(frozen=True)
class CheckOptions:
    """What the caller asked for; `None` means the default."""

    rev: str | None = None
    policy_ref: str | None = None
    stage: str = "pre-tag"
    now: datetime | None = None
    tag_info: TagInfo | None = None  # already read (the audit reads every tag in one call)


@dataclass(frozen=True)
class Evaluation:
    """A check's report and everything behind it (for status, receipts and audits)."""

    report: Report
    facts: Facts | None
    records: ReleaseRecords
    signers: dict[str, Signer]
    policy: LoadedPolicy


def check_release(repo: GitRepo, tag: str, opts: CheckOptions | None = None) -> Report:
    """Evaluate every gate of the policy for `tag`."""
    return evaluate(repo, tag, opts).report


def evaluate(repo: GitRepo, tag: str, opts: CheckOptions | None = None) -> Evaluation:
    """The report and the facts behind it (1: name, 2: history, 3: revision, ...)."""
    from gatekeeper.facts import build_facts
    from gatekeeper.identity import identify
    from gatekeeper.policyfile import load_policy
    from gatekeeper.release import read_release

    opts = opts or CheckOptions()
    now = opts.now or datetime.now(UTC)
    tagname.check_syntax(tag)  # 1. nothing hostile reaches git
    refuse_shallow(repo)  # 2. history is the evidence
    info = (opts.tag_info or repo.tag(tag)) if opts.rev is None else None
    revision, tag_result = _revision(repo, tag, info, opts.rev)  # 3. what is being released
    policy_commit = (
        repo.resolve_commit(opts.policy_ref, "--policy-ref") if opts.policy_ref else revision
    )
    loaded = load_policy(repo, policy_commit)  # 4. the policy, from the trusted ref if given
    policy = loaded.policy
    tagname.check_policy(tag, policy)
    # 5. the records, from objects; post-release records are committed after the tag
    records_at = revision
    if opts.stage == "post-release" and info is not None and opts.rev is None:
        records_at = repo.resolve_commit("HEAD")
    records = read_release(repo, records_at, policy.releases, tag)
    warnings = _warnings(repo, policy.signatures, policy.releases, opts.rev, info)
    head: list[GateResult] = [tag_result] if tag_result else []

    def report(candidate: str | None, gates: list[GateResult]) -> Report:
        return Report(
            release=tag,
            candidate=candidate,
            tag_commit=info.commit if info else None,
            revision=revision,
            policy_ref=loaded.commit,
            signatures=policy.signatures,
            stage=opts.stage,
            gates=tuple(head + gates),
            warnings=tuple(warnings),
        )

    if records.request is None:
        missing = GateResult(
            "request",
            "Release request",
            False,
            (f"{records.request_path} not found at {revision[:12]}",),
            path=records.request_path,
        )
        return Evaluation(report(None, [missing]), None, records, {}, loaded)
    stale = stale_paths(repo, records.request.candidate, revision, policy.releases)  # 6. binding
    signers = identify(repo, policy, records)  # 7. who signed what
    reference = info.tagged_at if info and info.tagged_at else now
    facts = build_facts(
        policy, records.request, records, signers=signers, stale=stale, reference_time=reference
    )  # 8. what counts
    results = [  # 9. gates
        _run(gate, facts, opts.stage, info, now, path=records.request_path)
        for gate in policy.all_gates()
    ]
    return Evaluation(report(records.request.candidate, results), facts, records, signers, loaded)


def refuse_shallow(repo: GitRepo) -> None:
    """A shallow clone hides the history that proves who added what."""
    if repo.is_shallow():
        raise InputError(
            f"{repo.root}: shallow clone; gatekeeper reads history as evidence",
            hint="fetch full history: `git fetch --unshallow` (actions/checkout: fetch-depth: 0)",
        )


def stale_paths(repo: GitRepo, candidate: str, revision: str, releases: str) -> list[str]:
    """Paths outside the release records where `revision` differs from the candidate."""
    try:
        base = repo.resolve_commit(candidate, "candidate")
    except InputError:
        return [f"(candidate {candidate[:12]} is not in this repository)"]
    return [p for p in repo.changed_paths(base, revision) if not p.startswith(f"{releases}/")]


def _revision(
    repo: GitRepo, tag: str, info: TagInfo | None, rev: str | None
) -> tuple[str, GateResult | None]:
    if info is None:
        return repo.resolve_commit(rev or "HEAD", "--rev"), None
    problems = []
    if not info.annotated:
        problems.append(f"refs/tags/{tag} is a lightweight tag; release tags must be annotated")
    elif info.name_in_object != tag:
        problems.append(f"the tag object is named '{info.name_in_object}', not '{tag}'")
    if info.commit is None:
        problems.append(f"refs/tags/{tag} does not point at a commit")
    revision = info.commit or repo.resolve_commit("HEAD")
    reasons = problems or [
        f"annotated tag on {revision[:12]}" + (", signed" if info.signed else "")
    ]
    return revision, GateResult(
        "tag", "The release tag is well-formed", not problems, tuple(reasons)
    )


def _warnings(
    repo: GitRepo, signatures: str, releases: str, rev: str | None, info: TagInfo | None
) -> list[str]:
    out = []
    if signatures == "none":
        out.append(
            'signatures = "none": sign-offs are attributed by commit author email, NOT verified'
        )
    if rev is None and info is None:
        dirty = repo.dirty([releases, POLICY_DIR])
        if dirty:
            out.append(f"uncommitted changes are not read: {', '.join(dirty[:5])}")
    return out


def not_applicable(gate: GateBase, request: Request, stage: str) -> str | None:
    """Why `gate` does not apply to this request at this stage, or None when it does."""
    if gate.stage != stage:
        return f"{gate.stage} gate; checked with --stage {gate.stage}"
    when = gate.when
    if when is None:
        return None
    for key in ("kind", "risk", "component"):
        allowed = getattr(when, key)
        value = getattr(request, key)
        if allowed is not None and value not in allowed:
            return f"not required: {key} is '{value}', this gate is for {', '.join(allowed)}"
    return None


def _run(
    gate: GateBase, facts: Facts, stage: str, info: TagInfo | None, now: datetime, *, path: str
) -> GateResult:
    from gatekeeper.gates import GATE_TYPES

    title = gate.title or gate.id
    skip = not_applicable(gate, facts.request, stage)
    if skip:
        return GateResult(gate.id, title, True, (skip,), applies=False, stage=gate.stage)
    passed, reasons = GATE_TYPES[gate.type](gate, facts)  # type: ignore[attr-defined]
    if not passed and gate.stage == "post-release":
        passed, reasons = _deadline(gate, info, now, reasons)
    return GateResult(gate.id, title, passed, tuple(reasons), stage=gate.stage, path=path)


def _deadline(
    gate: GateBase, info: TagInfo | None, now: datetime, reasons: list[str]
) -> tuple[bool, list[str]]:
    """A post-release obligation fails only once it is overdue."""
    if info is None or info.tagged_at is None:
        return True, ["pending: the release is not tagged yet", *reasons]
    if gate.due_hours is None:
        return False, reasons
    due = info.tagged_at + timedelta(hours=gate.due_hours)
    if now < due:
        return True, [f"pending: due by {due.isoformat()}", *reasons]
    return False, [f"overdue since {due.isoformat()}", *reasons]
