"""`test-report`: JUnit XML files, re-parsed at check time (DTDs refused).

One record holds one or several reports (Surefire and Gradle write one file per test
class), judged together. The newest record counts; older ones are superseded, and the
reasons say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import reduce
from typing import Annotated, Any, Literal, cast

from pydantic import Field

from gatekeeper.errors import RecordError
from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, newest
from gatekeeper.evidence.junit import JunitCounts, parse_junit
from gatekeeper.models.base import Count, Strict
from gatekeeper.models.gates import EvidenceGate

__all__ = ["KIND", "JunitCounts", "TestReportDetails", "TestReportGate", "parse_junit"]

SHOWN_FILES = 20  # per-file lines beyond these are summed up (failing files always show)
# The name a report had when attached: printable, one line.
FileLabel = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]{1,255}$")]


class TestReportGate(EvidenceGate):
    """Tests must have run, with at most `max_failures` failed or errored cases."""

    kind: Literal["test-report"]
    max_failures: Count = 0
    min_tests: Count = 1


class TestReportDetails(Strict):
    """`files = { "<attachment>" = "<name it was attached as>" }`, for the reasons."""

    files: dict[str, FileLabel] = {}


@dataclass(frozen=True)
class FileResult:
    """One attached report: its label and counts, or why it cannot be read."""

    label: str
    counts: JunitCounts | None
    unreadable: str = ""
    same_as: str = ""  # an earlier file of the record with the same bytes: counted once

    def line(self) -> str:
        """`TEST-Foo.xml: 3 tests, 0 failed, 0 skipped`."""
        if self.same_as:
            return f"{self.label}: the same report as {self.same_as}, counted once"
        return f"{self.label}: {self.unreadable or cast(JunitCounts, self.counts).describe()}"

    @property
    def bad(self) -> bool:
        """Whether this file alone is a reason to fail."""
        c = self.counts
        return c is None or c.failed > 0 or bool(c.suite_errors)


def check(gate: TestReportGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The newest record's reports, taken together, meet `min_tests` and `max_failures`;
    none is unreadable and no suite failed by itself."""
    item = newest(items)
    results = read_reports(item)
    problems = _problems(gate, results) + _still_failing(items, item, results)
    if not item.attachments:
        problems.append(f"{item.path}: no JUnit XML attached")
    if not problems:
        return []
    return [*_which_counts(item, items), *_fact_lines(results), *problems]


def vet(gate: TestReportGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """At attach time: why this one record would fail the gate (the failure first)."""
    item = newest(items)
    results = read_reports(item)
    problems = _problems(gate, results)
    return [*problems, *(r.line() for r in results if r.bad)] if problems else []


def describe(gate: TestReportGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The facts of a passing gate: which record counts and what its reports say."""
    item = newest(items)
    return [*_which_counts(item, items), *_fact_lines(read_reports(item))]


def accept(reports: Mapping[str, bytes], labels: Mapping[str, str]) -> dict[str, Any]:
    """At attach time: refuse a report that cannot be read (exit 2 naming it); the details
    that name each attachment by the file it was."""
    for name, data in reports.items():
        parse_junit(data, labels.get(name, name))
    return {"files": {name: labels[name] for name in reports if name in labels}}


def read_reports(item: EvidenceItem) -> list[FileResult]:
    """Each attachment of `item`, parsed, in the order recorded."""
    details = item.details
    labels = details.files if isinstance(details, TestReportDetails) else {}
    results = []
    seen: dict[bytes, str] = {}
    for name, data in item.attachments.items():
        label = labels.get(name, name)
        if data in seen:  # one report attached twice ran its tests once
            results.append(FileResult(label, JunitCounts(0, 0, 0, 0), same_as=seen[data]))
            continue
        seen[data] = label
        try:
            results.append(FileResult(label, parse_junit(data, label)))
        except RecordError as exc:
            why = exc.message.removeprefix(f"{label}: ")
            results.append(FileResult(label, None, f"cannot be read: {why}"))
    return results


def total(results: list[FileResult]) -> JunitCounts:
    """The counts of every readable report added up (naming a tool only when every report
    names the same one)."""
    counts = [r.counts for r in results if r.counts is not None]
    if not counts:
        return JunitCounts(0, 0, 0, 0)
    whole = reduce(JunitCounts.__add__, counts[1:], counts[0])
    return whole if len(counts) == len(results) else replace(whole, tool=None)


def _problems(gate: TestReportGate, results: list[FileResult]) -> list[str]:
    whole = total(results)
    unreadable = sum(r.counts is None for r in results)
    problems = [f"{r.label}: {e}" for r in results if r.counts for e in r.counts.suite_errors]
    if unreadable:
        problems.append(f"{_n(unreadable, 'report')} cannot be read; every one must be")
    if whole.ran < gate.min_tests:
        problems.append(f"{_n(whole.ran, 'test')} ran; expected at least {gate.min_tests}")
    if whole.failed > gate.max_failures:
        what = "failed or errored" if whole.errors else "failed"
        problems.append(f"{whole.failed} {what}; at most {gate.max_failures} may fail")
    return problems


def _still_failing(
    items: list[EvidenceItem], item: EvidenceItem, results: list[FileResult]
) -> list[str]:
    """Tests an older record shows failing that no newer record ran again: a newer record
    supersedes what it runs, not a report of other tests (two CI jobs, each attaching its
    own report; a rerun of part of the suite). A rerun of the failing tests settles them."""
    older = sorted((i for i in items if i is not item), key=lambda i: i.manifest.at)
    last: dict[tuple[str, str], bool] = {}
    for record in older:
        for counts in (r.counts for r in read_reports(record) if r.counts is not None):
            failed = {(c, n) for c, n, bad in counts.cases if bad}
            last.update(((c, n), (c, n) in failed) for c, n, _ in counts.cases)
    shown = {(c, n) for r in results if r.counts for c, n, _ in r.counts.cases}
    standing = sorted(key for key, failed in last.items() if failed and key not in shown)
    if not standing:
        return []
    named = ", ".join(f"{c}.{n}" if c else n for c, n in standing[:5])
    more = f" and {len(standing) - 5} more" if len(standing) > 5 else ""
    return [
        f"{_n(len(standing), 'test')} failed in an older record and ran in no newer one: "
        f"{named}{more} (attach a report that runs them)"
    ]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _which_counts(item: EvidenceItem, items: list[EvidenceItem]) -> list[str]:
    """The record that counts, and how many older ones it supersedes (never named)."""
    older = len(items) - 1
    lines = [f"counts: {item.path} by {item.person}"]
    if older:
        lines.append(f"supersedes {older} older test-report record{'s' if older > 1 else ''}")
    return lines


def _fact_lines(results: list[FileResult]) -> list[str]:
    """Totals (for several files) and one line per file, failing files first."""
    if len(results) <= 1:
        return [r.line() for r in results]
    lines = [f"{len(results)} files: {total(results).describe()}"]
    if any(r.counts is None for r in results):
        lines[0] = f"{len(results)} files, readable ones: {total(results).describe()}"
    bad = [r for r in results if r.bad]
    good = [r for r in results if not r.bad]
    shown = bad + good[: max(SHOWN_FILES - len(bad), 0)]
    lines += [r.line() for r in shown]
    if len(shown) < len(results):
        lines.append(f"... and {len(results) - len(shown)} more file(s), none failing")
    return lines


KIND = EvidenceKind(
    name="test-report",
    gate_model=TestReportGate,
    details_model=TestReportDetails,
    check=check,
    attachment_suffix=".xml",
    describe=describe,
    many=True,
    vet=vet,
    example=lambda gate: "report.xml",  # several files, or a folder of them, make one report
    accept=accept,
    # Failsafe's run summary (`<failsafe-summary>`, written beside its reports in every
    # target/failsafe-reports) and TestNG's own results format.
    not_reports=frozenset({"failsafe-summary.xml", "testng-results.xml"}),
)
