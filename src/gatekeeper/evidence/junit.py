"""Reading one JUnit XML report as a careful person would.

Outcomes come from the `<testcase>` elements, not from summary attributes:

- a case ran unless it has `<skipped>` or a `status`/`result` saying it did not
  (ctest `status="disabled"|"notrun"`, googletest `status="notrun" result="suppressed"`);
- `<error>` beats `<failure>` beats a skip; Surefire's `rerunFailure`/`rerunError`
  (every rerun failed) count as failed, `flakyFailure`/`flakyError` (passed on a
  rerun) as passed but flaky;
- every `<testcase>` entry is a test: two rows of jest's `test.each` under one name are
  two tests, and two failures when both fail (pytest-rerunfailures writes each attempt,
  the earlier ones without their failure: a test that passed on a rerun reads as passed,
  its attempts each a test);
- an `<error>`/`<failure>` of a suite itself (a suite that failed to load, a crashed
  `TestMain`, a Jenkins nested report), or a suite declaring more failures and errors
  than its cases show (rspec's failing `after(:context)` hook), fails the report.

defusedxml parses (the bytes are untrusted); junitparser (its xunit2 flavour, which knows
Surefire's rerun/flaky results) models the tree it is handed: suites, cases, results.
The `status`/`result` spellings, the precedence, a suite's own results and declared
counts are not in its model, so they are kept here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from gatekeeper.errors import RecordError

SUITES = frozenset({"testsuite", "testsuites"})
_NOT_RUN = frozenset({"disabled", "notrun", "not run", "suppressed", "skipped", "skip"})
_FAILED_STATUS = frozenset({"fail", "failed", "failure"})
_ERROR_STATUS = frozenset({"error", "errored"})
# Names tools write on the root element by default; anything else names no tool.
_TOOL_NAMES = {
    "pytest tests": "pytest",
    "pytest": "pytest",
    "jest tests": "jest",
    "mocha tests": "mocha",
    "vitest tests": "vitest",
    "alltests": "googletest",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class JunitCounts:
    """Outcomes of the distinct tests of one report (or of several, added up)."""

    tests: int
    failures: int
    errors: int
    skipped: int  # did not run, whatever the reason (disabled ones included)
    disabled: int = 0
    flaky: int = 0
    suite_errors: tuple[str, ...] = ()
    tool: str | None = None
    # Each case that ran: (classname, name, whether it failed or errored), in order.
    cases: tuple[tuple[str, str, bool], ...] = ()

    @property
    def ran(self) -> int:
        """Tests that really ran."""
        return self.tests - self.skipped

    @property
    def failed(self) -> int:
        """Tests that failed or errored."""
        return self.failures + self.errors

    def __add__(self, other: JunitCounts) -> JunitCounts:
        summed = {f: getattr(self, f) + getattr(other, f) for f in _SUMMED}
        return replace(JunitCounts(**summed), tool=self.tool if self.tool == other.tool else None)

    def describe(self) -> str:
        """`3 tests, 0 failed, 1 skipped (pytest)`: facts, the tool only when the XML says."""
        parts = [_n(self.tests, "test"), f"{self.failures} failed"]
        if self.errors:
            parts.append(_n(self.errors, "error"))
        skipped = f"{self.skipped} skipped"
        parts.append(skipped + (f" ({self.disabled} disabled)" if self.disabled else ""))
        if self.flaky:
            parts.append(f"{self.flaky} flaky (passed on a rerun)")
        if self.suite_errors:
            parts.append(_n(len(self.suite_errors), "suite error"))
        return ", ".join(parts) + (f" ({self.tool})" if self.tool else "")


_SUMMED = ("tests", "failures", "errors", "skipped", "disabled", "flaky", "suite_errors", "cases")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


MAX_DEPTH = 64  # real reports nest suites a few levels; Python's recursion stops at ~1000


def parse_junit(data: bytes, path: str) -> JunitCounts:
    """Count what a JUnit XML document says ran, failed and was skipped (exit 2 when it is
    not JUnit XML, declares a DTD, or is in an encoding Python cannot decode). The last few
    reports read are kept: a check reads a release's reports to judge and to describe."""
    return _parsed(data, path)


@lru_cache(maxsize=8)
def _parsed(data: bytes, path: str) -> JunitCounts:
    from junitparser import xunit2

    root = _root(data, path)
    # defusedxml parsed the bytes; junitparser only models the tree it is handed.
    report = xunit2.JUnitXml.fromroot(root)
    cases = [case for part in _tree(report) for case in part.iterchildren(xunit2.TestCase)]
    outcomes = [_outcome(case) for case in cases]
    outside = sum(1 for e in root.iter("testcase")) - len(outcomes)
    if outside:  # a case the suites do not reach would be a failure no one counts
        raise RecordError(
            f"{path}: {_n(outside, 'test case')} outside the report's suites; expected "
            "every <testcase> in a <testsuite> under <testsuites> or the root",
            hint="attach the file the test tool wrote, unchanged",
        )
    return JunitCounts(
        tests=len(outcomes),
        failures=outcomes.count("failed"),
        errors=outcomes.count("error"),
        skipped=outcomes.count("skipped") + outcomes.count("disabled"),
        disabled=outcomes.count("disabled"),
        flaky=outcomes.count("flaky"),
        suite_errors=tuple(_suite_errors(report)),
        tool=_tool(root, report),
        cases=tuple(
            (_clean(case.classname or ""), _clean(case.name or ""), outcome in {"failed", "error"})
            for case, outcome in zip(cases, outcomes, strict=True)
            if outcome not in {"skipped", "disabled"}
        ),
    )


def _root(data: bytes, path: str) -> Any:
    import defusedxml
    from defusedxml import ElementTree

    from gatekeeper.evidence.xmltext import utf8_document

    try:
        root = ElementTree.fromstring(utf8_document(data, path), forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise RecordError(
            f"{path}: XML declares a DTD or entities; expected plain JUnit XML",
            hint="produce the report with the test tool's JUnit option (no DOCTYPE)",
        ) from None
    except ElementTree.ParseError as exc:
        raise RecordError(
            f"{path}: not well-formed XML ({exc}); expected a JUnit XML report",
            hint="attach the file the test tool wrote, unchanged",
        ) from None
    depth = _depth(root)
    if depth > MAX_DEPTH:  # the suites are walked recursively: refused, never a crash
        raise RecordError(
            f"{path}: elements nested {depth} deep; expected at most {MAX_DEPTH}",
            hint="attach the file the test tool wrote, unchanged",
        )
    for elem in root.iter():
        elem.tag = _local(elem.tag)  # junitparser finds `testcase`, never `{ns}testcase`
    if root.tag not in SUITES:
        raise RecordError(
            f"{path}: root element is <{_clean(root.tag)}>; expected <testsuites> or <testsuite>",
            hint="attach a JUnit XML report",
        )
    return root


def _depth(root: Any) -> int:
    """How deep the elements nest (counted without recursion)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in elem)
    return deepest


def _local(tag: object) -> str:
    """The tag without a namespace (`{ns}testcase` -> `testcase`); comments have none."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(model: Any, name: str) -> str:
    """An attribute as written, where junitparser has no field for it (ctest's and
    googletest's `status`/`result`) or would recompute it (its `IntAttr` counts fill a
    missing `failures` from the cases, writing them into the tree, and raise on junk)."""
    return str(model._elem.get(name) or "")


def _outcome(case: Any) -> str:
    """junitparser sorts the children (`<error>`, `<failure>`, `<skipped>`, Surefire's
    rerun/flaky ones); the precedence and the `status`/`result` spellings are ours."""
    status = {_attr(case, a).strip().lower() for a in ("status", "result")}
    if case.is_error or (status & _ERROR_STATUS and not case.is_failure):
        return "error"
    if case.is_failure or status & _FAILED_STATUS:
        return "failed"
    if case.rerun_errors():
        return "error"
    if case.rerun_failures():
        return "failed"
    if case.is_skipped:
        return "skipped"
    if status & _NOT_RUN:
        return "disabled" if status & (_NOT_RUN - {"skipped", "skip"}) else "skipped"
    return "flaky" if case.is_flaky else "passed"


def _tree(parent: Any) -> Iterator[Any]:
    """`parent` (the report or a suite) and every suite under it, nested ones (Jenkins)
    included, and the suites of a `<testsuites>` nested anywhere (reports merged by
    hand), in document order."""
    from junitparser import xunit2

    kinds: dict[str, Any] = {"testsuite": xunit2.TestSuite, "testsuites": xunit2.JUnitXml}
    yield parent
    for child in parent._elem:
        if child.tag in kinds:
            yield from _tree(kinds[child.tag].fromelem(child))


def _suite_errors(report: Any) -> Iterator[str]:
    """Failures of suites themselves, and suites declaring failures no case shows."""
    for suite in _tree(report):
        name = _clean(suite.name or "") or "(unnamed)"
        for result in _suite_results(suite):
            yield f"suite '{name}': {result._tag}: {_message(result)}"
        declared = sum(_int(_attr(suite, a)) for a in ("failures", "errors"))
        shown = _failures_shown(suite) if declared else 0
        if declared > shown:
            yield (
                f"suite '{name}' declares {declared} failures or errors, but its cases show "
                f"{shown or 'none'}"
            )


def _suite_results(suite: Any) -> Iterator[Any]:
    """A suite's own `<error>`/`<failure>`, in order (junitparser models them on cases only)."""
    from junitparser import Error, Failure

    kinds: dict[str, Any] = {"error": Error, "failure": Failure}
    for child in suite._elem:
        if child.tag in kinds:
            yield kinds[child.tag].fromelem(child)


def _failures_shown(suite: Any) -> int:
    """The failures and errors the suite and those nested in it show: their own results,
    and their cases that failed or errored."""
    from junitparser import xunit2

    shown = 0
    for part in _tree(suite):
        shown += sum(1 for _ in _suite_results(part))
        cases = part.iterchildren(xunit2.TestCase)
        shown += sum(_outcome(c) in {"failed", "error"} for c in cases)
    return shown


def _message(result: Any) -> str:
    text = result.message or result.type or (result.text or "").strip() or "no message"
    return _clean(text.strip().splitlines()[0] if text.strip() else text)[:160]


def _clean(text: str) -> str:
    """Text from the report, safe for one line of output."""
    return _CONTROL.sub(" ", text).strip()


def _int(value: str | None) -> int:
    try:
        return max(int(value or "0"), 0)
    except ValueError:
        return 0


def _tool(root: Any, report: Any) -> str | None:
    """The tool, only where the XML says it reliably (a default root name, Surefire's
    schema); None otherwise."""
    suites = list(report)  # a lone `<testsuite>` root is junitparser's one suite
    names = [report.name or ""] + ([suites[0].name or ""] if len(suites) == 1 else [])
    for name in names:
        if name.strip().lower() in _TOOL_NAMES:
            return _TOOL_NAMES[name.strip().lower()]
    schema = " ".join(v for k, v in root.attrib.items() if k.endswith("SchemaLocation"))
    return "Surefire" if "surefire" in schema.lower() else None
