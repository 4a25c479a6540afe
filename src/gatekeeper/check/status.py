"""`gate status`: every release and its stage, derived from files and tags, never stored;
and for each, what is missing, who it waits on, whether it is stale, what to type next and
which post-release obligations are due — the release manager's morning view."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.check.evaluation import CheckOptions, Evaluation
    from gatekeeper.check.explain import PersonRole, Step
    from gatekeeper.check.report import GateResult, Report
    from gatekeeper.clock import Window
    from gatekeeper.repo import GitRepo, TagInfo
    from gatekeeper.trust.facts import Facts


@dataclass(frozen=True)
class Missing:
    """A failing gate and, in one line, why."""

    gate: str
    why: str


@dataclass(frozen=True)
class Obligation:
    """A post-release gate of a tagged release: when it is due and where it stands."""

    gate: str
    due: datetime | None  # None when the tag has no date to count from
    overdue: bool
    pending: bool  # not done, not yet due
    done: bool


@dataclass(frozen=True)
class ReleaseStatus:
    """One release in `gate status`."""

    release: str
    stage: str
    passed: bool
    title: str
    failing: tuple[str, ...]
    missing: tuple[Missing, ...] = ()
    waiting_on: tuple[PersonRole, ...] = ()
    stale: tuple[str, ...] | None = None  # the paths that differ from the candidate
    next: tuple[Step, ...] = ()
    obligations: tuple[Obligation, ...] = ()

    @property
    def done(self) -> bool:
        """Nothing is missing, awaited, stale or due: one line is enough."""
        open_duty = any(not o.done for o in self.obligations)
        return not (self.missing or self.waiting_on or self.stale or self.next or open_duty)

    def to_json(self) -> dict[str, Any]:
        """The shape documented in docs/json.md."""
        from gatekeeper.check.explain import people_json

        return {
            "release": self.release,
            "stage": self.stage,
            "passed": self.passed,
            "title": self.title,
            "failing": list(self.failing),
            "missing": [{"gate": m.gate, "why": m.why} for m in self.missing],
            "waiting_on": people_json(self.waiting_on),
            "stale": list(self.stale) if self.stale is not None else None,
            "next": [step.command for step in self.next],
            "obligations": [_obligation_json(o) for o in self.obligations],
        }


def _obligation_json(o: Obligation) -> dict[str, Any]:
    due = o.due.isoformat() if o.due else None
    return {"gate": o.gate, "due": due, "overdue": o.overdue, "pending": o.pending, "done": o.done}


def derive_stage(report: Report, facts: Facts | None, tagged: bool) -> str:
    """requested → approved → tagged → launched → verified, or rolled back / rejected /
    withdrawn; `emergency` while a waiver is open, `overdue` once an obligation is late."""
    if facts is None:
        return "requested"
    if facts.request.withdrawn is not None:
        return "withdrawn"
    from gatekeeper.check.retro import PREFIX
    from gatekeeper.evidence import kind_named

    marks = {kind_named(item.manifest.kind).marks for item in facts.evidence}
    if "rolled back" in marks:
        return "rolled back"
    if tagged and any(g.stage == "post-release" and not g.passed for g in report.gates):
        return "overdue"
    retro_open = any(g.id.startswith(PREFIX) and g.pending for g in report.gates)
    if retro_open or any(g.waived for g in report.gates):
        return "emergency"
    if any(s.decision == "reject" for s in facts.standing):
        return "rejected"
    if not tagged:
        return "approved" if report.passed else "requested"
    for stage in ("verified", "launched"):
        if stage in marks:
            return stage
    return "tagged"


def statuses(
    repo: GitRepo,
    opts: CheckOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ReleaseStatus]:
    """The status of every release folder at HEAD, judged by `opts`' clock (default now);
    `progress(done, total)` is told as each release is judged. Rows an earlier run kept
    for the same HEAD, refs, settings and code are used while their judgement holds
    (check/kept_status.py)."""
    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.check.kept_status import kept_status
    from gatekeeper.check.preconditions import refuse_shallow
    from gatekeeper.check.workers import gate_jobs
    from gatekeeper.errors import InputError

    gate_jobs()  # a bad GATE_JOBS is refused even when every row is kept
    refuse_shallow(repo)  # before any history is read, or kept
    head = repo.head()
    if head is None:
        raise InputError(f"{repo.root}: no commits yet", hint="run `gate init` and commit")
    opts = opts or CheckOptions()
    now = opts.now or datetime.now(UTC)
    kept = kept_status(repo, head, opts)
    if kept.moved_from is not None:  # kept before refs moved: what still holds
        kept.settle()
    names = kept.names if kept.names is not None else _release_names(repo, head)
    rows = {tag: row for tag in names if (row := kept.row(tag, now)) is not None}
    todo = [t for t in names if t not in rows]
    if todo and kept.names is not None and not _releases_here(repo, head, todo):
        names = _release_names(repo, head)  # a kept list that names no release here
        rows = {tag: row for tag in names if (row := kept.row(tag, now)) is not None}
        todo = [t for t in names if t not in rows]
    traced = kept.path is not None
    judged = _judge_all(repo, head, todo, opts, now=now, progress=progress, traced=traced)
    if judged or kept.names is None or kept.moved_from:  # else the file holds every row
        kept.save(names, judged, kept.releases or _releases(repo, head), again=rows)
    rows.update((tag, row) for tag, (_, row, _) in judged.items())
    return [rows[tag] for tag in names]


def _releases(repo: GitRepo, head: str) -> str:
    from gatekeeper.policy.loading import policy_in_force

    return policy_in_force(repo, head, None).policy.releases


def _releases_here(repo: GitRepo, head: str, names: list[str]) -> bool:
    """Whether each of `names` (from a kept file, to be judged now) is a release row at
    HEAD: a release tag of the policy there whose request HEAD holds (a hand-edited kept
    file must not have status judge, and refuse, a name that is none)."""
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.records.layout import ReleaseLayout

    policy = policy_in_force(repo, head, None).policy
    if not all(is_release_tag(name, policy) for name in names):
        return False
    held = repo.holds([(head, ReleaseLayout(policy.releases, n).request) for n in names])
    return all(held)


def _release_names(repo: GitRepo, head: str) -> list[str]:
    """The release folders at HEAD, as the policy in force there names them (folders it
    would not call a release, `releases/lib/`, are no release rows)."""
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.records.reading import release_tags

    policy = policy_in_force(repo, head, None).policy
    return [t for t in release_tags(repo, head, policy.releases) if is_release_tag(t, policy)]


def _judge_all(
    repo: GitRepo,
    head: str,
    names: list[str],
    opts: CheckOptions,
    *,
    now: datetime,
    progress: Callable[[int, int], None] | None,
    traced: bool = False,
) -> dict[str, tuple[Window, ReleaseStatus, dict[str, Any] | None]]:
    """Each release in `names` judged at `now`, with the window its row holds for and,
    `traced`, whether it may outlive commits on top of HEAD (check/kept_reads.py)."""
    from gatekeeper.check.kept_reads import Reads, TracedRepo, reading
    from gatekeeper.check.workers import judged
    from gatekeeper.clock import Moment, judging
    from gatekeeper.policy.loading import POLICY_DIR
    from gatekeeper.records.history_cache import shared_index
    from gatekeeper.records.reading import read_ahead

    if not names:
        return {}
    releases = _releases(repo, head)
    tags = repo.tags()  # one for-each-ref for every release
    tagged = [(info.commit, t) for t in names if (info := tags.get(t)) and info.commit]
    folders = [(head, t) for t in names] + tagged
    # One history pass for every release; while git walks, the release folders are read.
    index = shared_index(repo, head, releases, lambda _: read_ahead(repo, releases, folders))
    commits = frozenset(info.commit for info in tags.values() if info.commit)
    seen = cast("GitRepo", TracedRepo(repo)) if traced else None

    def judge(tag: str) -> tuple[Window, ReleaseStatus, dict[str, Any] | None]:
        moment = Moment(now)  # a clock of its own: what this row was compared with
        info = tags.get(tag)
        # Judged at the HEAD the run started from (an untagged release as `--rev HEAD`),
        # never HEAD read again: a branch switched meanwhile must not mix in its rows.
        at = replace(opts, records_at=head, now=moment, rev=None if info else head)
        reads = Reads(head, (releases, POLICY_DIR), index, commits)
        with judging(moment.window), reading(reads):
            row = _status(seen or repo, tag, at, info)
        if reads.volatile:  # which objects exist decided it: it holds this moment only
            moment.window.read = True
        # A row whose tag points at HEAD itself is kept for this HEAD only (its records at
        # HEAD and at the tag are one read).
        held = seen and info and info.commit != head and reads.across
        return moment.window, row, reads.kept() if held else None

    # Each row is judged on its own: on every core, when there are many (check/workers.py).
    return dict(zip(names, judged(repo, names, judge, progress), strict=True))


def _status(repo: GitRepo, tag: str, base: CheckOptions, info: TagInfo | None) -> ReleaseStatus:
    """`failing` are pre-tag gates, or once tagged, overdue post-release obligations."""
    from gatekeeper.check.evaluation import evaluate
    from gatekeeper.check.explain import ended, explain

    # Once tagged, what matters is the post-release records, committed after the tag.
    stage = "post-release" if info is not None else "pre-tag"
    result = evaluate(repo, tag, replace(base, stage=stage, tag_info=info))
    report, facts = result.report, result.facts
    told = explain(result)
    return ReleaseStatus(
        release=tag,
        stage=derive_stage(report, facts, info is not None),
        passed=report.passed,
        title=told.title,
        failing=tuple(g.id for g in report.gates if not g.passed),
        missing=() if ended(facts) else tuple(_missing(report)),
        waiting_on=told.waiting_on,
        stale=told.stale or None,
        next=told.steps,
        obligations=tuple(_obligations(result, info)),
    )


def _missing(report: Report) -> list[Missing]:
    """The failing gates that are not post-release obligations (those are listed apart)."""
    return [
        Missing(gate=g.id, why=why(g))
        for g in report.gates
        if not g.passed and g.stage != "post-release"
    ]


_NOT_WHY = ("approved by ", "next: ", "waiting on: ")


def why(gate: GateResult) -> str:
    """A failing gate's first reason that says what is wrong (not who approved, not what to
    do), cut to one line: the stale paths are listed apart."""
    reason = next((r for r in gate.reasons if not r.startswith(_NOT_WHY)), "failed")
    if reason.startswith("stale: "):
        reason = reason.split(" in: ")[0]
    return reason


def _obligations(result: Evaluation, info: TagInfo | None) -> list[Obligation]:
    """The post-release gates that apply to a tagged release (a retro-approval after an
    emergency among them), each with its due time."""
    if info is None:
        return []
    return [
        Obligation(
            gate=g.id,
            due=g.due,
            overdue=not g.passed,
            pending=g.pending,
            done=g.passed and not g.pending,
        )
        for g in result.report.gates
        if g.stage == "post-release" and g.applies
    ]
