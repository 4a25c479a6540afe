"""`test-report`: a JUnit XML file, re-parsed at check time (DTDs refused)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gatekeeper.errors import RecordError
from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, NoDetails, newest
from gatekeeper.models.base import Count
from gatekeeper.models.gates import EvidenceGate


class TestReportGate(EvidenceGate):
    """Tests must have run, with at most `max_failures` failed or errored cases."""

    kind: Literal["test-report"]
    max_failures: Count = 0
    min_tests: Count = 1


@dataclass(frozen=True)
class JunitCounts:
    """Outcomes counted from `<testcase>` elements, not from summary attributes."""

    tests: int
    failures: int
    errors: int
    skipped: int

    def describe(self) -> str:
        """`12 tests, 0 failures, 0 errors, 1 skipped`."""
        return (
            f"{self.tests} tests, {self.failures} failures, "
            f"{self.errors} errors, {self.skipped} skipped"
        )


def parse_junit(data: bytes, path: str) -> JunitCounts:
    """Count test case outcomes in a JUnit XML document; XML with a DTD is refused."""
    import defusedxml
    from defusedxml import ElementTree
    from junitparser import Error, Failure, Skipped, TestCase

    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise RecordError(
            f"{path}: XML declares a DTD or entities; expected plain JUnit XML",
            hint="produce the report with pytest --junitxml (no DOCTYPE)",
        ) from None
    except ElementTree.ParseError as exc:
        raise RecordError(
            f"{path}: not well-formed XML ({exc})", hint="attach a JUnit XML report"
        ) from None
    if root.tag not in {"testsuites", "testsuite"}:
        raise RecordError(
            f"{path}: root element is <{root.tag}>; expected <testsuites> or <testsuite>",
            hint="attach a JUnit XML report",
        )
    tests = failures = errors = skipped = 0
    for elem in root.iter("testcase"):
        results = TestCase.fromelem(elem).result  # type: ignore[no-untyped-call]
        tests += 1
        if any(isinstance(r, Error) for r in results):
            errors += 1
        elif any(isinstance(r, Failure) for r in results):
            failures += 1
        elif any(isinstance(r, Skipped) for r in results):
            skipped += 1
    return JunitCounts(tests, failures, errors, skipped)


def check(gate: TestReportGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The newest report must meet `min_tests` and `max_failures`."""
    item = newest(items)
    reasons = []
    for name, data in item.attachments.items():
        counts = parse_junit(data, f"{item.path}: {name}")
        bad = counts.failures + counts.errors
        if counts.tests - counts.skipped < gate.min_tests:
            reasons.append(f"{name}: {counts.describe()}; expected at least {gate.min_tests} run")
        if bad > gate.max_failures:
            reasons.append(f"{name}: {counts.describe()}; at most {gate.max_failures} may fail")
    if not item.attachments:
        reasons.append(f"{item.path}: no JUnit XML attached")
    return reasons


KIND = EvidenceKind(
    name="test-report",
    gate_model=TestReportGate,
    details_model=NoDetails,
    check=check,
    attachment_suffix=".xml",
)
