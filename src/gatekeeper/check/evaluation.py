"""`gate check`: may this release be tagged? A numbered checklist of small steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.check.preconditions import refuse_shallow, report_warnings
from gatekeeper.check.report import GateResult, Report
from gatekeeper.errors import InputError
from gatekeeper.policy import tagname

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.policy.loading import LoadedPolicy
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo
    from gatekeeper.trust.facts import Facts
    from gatekeeper.trust.identity import Signer


@dataclass(frozen=True)
class CheckOptions:
    """What the caller asked for; `None` means the default."""

    rev: str | None = None
    policy_ref: str | None = None
    stage: str = "pre-tag"
    now: datetime | None = None  # the clock (tests and `--at DATE` set it)
    at: str | None = None  # "now" | "tag": what TTLs and ages are judged against
    tag_info: TagInfo | None = None  # already read (the audit reads every tag in one call)
    # post-release: read the records here, not at HEAD; before the tag, where earlier
    # releases' records are read; for a tag naming no commit, the revision judged (status:
    # the HEAD it started from, never HEAD read again)
    records_at: str | None = None
    obligations: bool = True  # False: earlier releases are not looked at (no recursion)
    # False: every path-limited gate applies; no previous release is looked for (no recursion)
    previous: bool = True
    # post-release: the trusted line whose policies judge records made after the tag
    # (default: the --policy-ref commit, else where the records are read)
    line: str | None = None


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
    """The report and the facts behind it, as a numbered checklist."""
    from gatekeeper.check.unreadable import listed, unreadable
    from gatekeeper.clock import wall_clock
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.records.reading import read_release

    opts = opts or CheckOptions()
    now = opts.now or wall_clock()
    tagname.check_syntax(tag)  # 1. nothing hostile reaches git
    refuse_shallow(repo)  # 2. history is the evidence
    info = (opts.tag_info or repo.tag(tag)) if opts.rev is None else None
    revision = _revision(repo, info, opts.rev or opts.records_at)  # 3. what is released
    loaded = policy_in_force(repo, revision, opts.policy_ref)  # 4. the trusted policy
    tagname.check_policy(tag, loaded.policy)
    # 5. the records, from objects; post-release records are committed after the tag
    records_at = revision
    if opts.stage == "post-release" and info is not None and opts.rev is None:
        records_at = opts.records_at or repo.resolve_commit("HEAD")
    try:
        records = read_release(repo, records_at, loaded.policy.releases, tag)
    except InputError as exc:  # committed (append-only): a fact about the release, exit 1
        held = listed(repo, records_at, loaded.policy.releases, tag)
        return unreadable(tag, loaded, info=info, revision=revision, opts=opts, exc=exc, held=held)
    return _judge(repo, records, loaded, info=info, revision=revision, opts=opts, now=now)


def _judge(
    repo: GitRepo,
    records: ReleaseRecords,
    loaded: LoadedPolicy,
    *,
    info: TagInfo | None,
    revision: str,
    opts: CheckOptions,
    now: datetime,
) -> Evaluation:
    from gatekeeper.check.timing import earliest, reference_time
    from gatekeeper.records.lineage import lineage
    from gatekeeper.trust.identity import identify

    policy = loaded.policy
    reference = reference_time(opts, info, now)
    present = {f.path: f.blob for f in records.files}
    lin = lineage(repo, records.commit, records.layout, present)  # 6. append-only, from history
    head = _tag_and_records(repo, records, loaded, lin, info, reference=reference, now=now)  # 7
    signers = identify(repo, policy, records, lin)  # 8. who signed what
    if opts.stage == "post-release" and info is not None:  # 8'. made after the tag
        from gatekeeper.check.tagged import after_tag

        line = opts.line or (loaded.commit if opts.policy_ref else records.commit)
        signers = after_tag(repo, records, info, loaded, line=line, lin=lin, signers=signers)
    facts, gates = _request_and_gates(  # 9-12
        repo,
        records,
        policy,
        lin,
        signers,
        revision=revision,
        reference=reference,
        now=now,
        info=info,
        opts=opts,
        trusted=loaded.commit if opts.policy_ref else opts.records_at,
    )
    if opts.stage == "post-release" and facts is not None and info is not None:
        from gatekeeper.check.retro import retro_gates

        gates += retro_gates(repo, records, facts, info, opts, now=now)  # 13. after an emergency
    elif opts.at == "now" and info is not None and opts.obligations:  # not the tag's re-run
        from gatekeeper.check.retro import waived_as_tagged

        gates = waived_as_tagged(repo, records, info, opts, gates)  # 13'. as CI judges a push
    report = Report(
        release=records.tag,
        candidate=records.request.candidate if records.request else None,
        tag_commit=info.commit if info else None,
        revision=revision,
        policy_ref=loaded.commit,
        signatures=policy.signatures,
        stage=opts.stage,
        gates=tuple(head + gates),
        warnings=tuple(report_warnings(repo, policy.signatures, policy.releases, opts.rev, info)),
        at=reference,
        earliest_tag=earliest(loaded.policy, facts, gates),
    )
    return Evaluation(report, facts, records, signers, loaded)


def _request_and_gates(
    repo: GitRepo,
    records: ReleaseRecords,
    policy: Policy,
    lin: Lineage,
    signers: dict[str, Signer],
    *,
    revision: str,
    reference: datetime,
    now: datetime,
    info: TagInfo | None,
    opts: CheckOptions,
    trusted: str | None,
) -> tuple[Facts | None, list[GateResult]]:
    """9. the request and its revisions, 10. binding, 11. what counts, 12. the gates
    (`trusted`: the trusted ref's commit, where earlier releases' records are read)."""
    from gatekeeper.check import builtin
    from gatekeeper.check.applies import changed_since, filed_as_applies, uses_paths
    from gatekeeper.check.binding import stale_paths
    from gatekeeper.check.earlier import overdue_elsewhere
    from gatekeeper.check.running import run_gate
    from gatekeeper.check.tagged import at_tag, shipped_paths
    from gatekeeper.check.timing import has_obligations, tag_dated
    from gatekeeper.records.lineage import request_chain
    from gatekeeper.trust.facts import build_facts

    if records.request is None:
        from gatekeeper.records.reading import missing_request

        said = missing_request(repo, records.commit, records.layout)
        return None, [builtin.request_gate(records, policy, None, None, said)]
    current = repo.blob_at(records.commit, records.request_path)
    chain = request_chain(repo, lin.request_versions, current)
    request = builtin.request_gate(records, policy, chain, signers.get(records.request_path))
    changed = (
        changed_since(repo, policy, records, opts.policy_ref, now=now, revision=revision)
        if opts.previous and uses_paths(policy)
        else None
    )
    facts = build_facts(
        policy,
        records.request,
        records,
        signers=signers,
        stale=stale_paths(repo, records.request.candidate, revision, policy),
        reference_time=reference,
        tag_dated=tag_dated(opts, info, now),
        requesters=chain.requesters | _committers(policy, lin, records),
        filed_at=chain.filed_at,
        lead_filed=filed_as_applies(policy, chain.filings, changed),
        revisions=chain.digests,
        changed_since=changed,
        overdue=overdue_elsewhere(
            repo,
            policy,
            records.tag,
            reference,
            trusted,
            component=records.request.component,
            revision=revision,
        )
        if opts.stage == "pre-tag" and opts.obligations and has_obligations(policy)
        else (),
    )
    post = opts.stage == "post-release"
    tagged = at_tag(repo, records, info) if post else None
    shipped = shipped_paths(repo, records, info) if post else frozenset()
    gates = [
        run_gate(
            gate,
            facts,
            opts.stage,
            info,
            now,
            path=records.request_path,
            shipped=shipped,
            as_tagged=tagged.request if tagged else None,
        )
        for gate in policy.all_gates()
    ]
    return facts, [request, *gates]


def _tag_and_records(
    repo: GitRepo,
    records: ReleaseRecords,
    loaded: LoadedPolicy,
    lin: Lineage,
    info: TagInfo | None,
    *,
    reference: datetime,
    now: datetime,
) -> list[GateResult]:
    """7. The tag and when it claims to have been made; the records append-only, and none
    that the trusted ref holds for this release left out."""
    from gatekeeper.check import builtin
    from gatekeeper.check.tagged import tagged_records
    from gatekeeper.records.left_behind import left_behind

    trusted = loaded.commit
    chain = frozenset(c.blob for c in lin.request_versions)
    left = (
        [] if trusted == records.commit else left_behind(repo, trusted, records, reference, chain)
    )
    gates = [builtin.records_gate(lin, left)]
    if info is not None:
        revision = info.commit or records.commit
        commit = repo.commit_info(info.commit) if info.commit else None
        try:
            tagged = (
                records if records.commit == revision else tagged_records(repo, records, revision)
            )
        except InputError as exc:  # what the tag points at cannot be read: it fails
            why = f"the release folder at the tagged commit cannot be read: {exc.message}"
            gates.insert(0, GateResult("tag", "The release tag is well-formed", False, (why,)))
            return gates
        gates.insert(0, builtin.tag_gate(records.tag, info, commit, tagged, now))
    return gates


def _committers(policy: Policy, lin: Lineage, records: ReleaseRecords) -> frozenset[str]:
    """Whoever committed the request's current version (they may not approve it either)."""
    change = lin.added.get(records.request_path)
    if change is None:
        return frozenset()
    person = policy.person_by_email(change.author_email)
    return frozenset({person} if person else ())


def _revision(repo: GitRepo, info: TagInfo | None, rev: str | None) -> str:
    """The commit being released: the tag's, `--rev` (or where the records are read: a
    tag that names no commit), or HEAD."""
    if info is not None and info.commit is not None:
        return info.commit
    return repo.resolve_commit(rev or "HEAD", "--rev")
