"""Reading one JUnit XML report as a careful person would.

Outcomes come from the `<testcase>` elements, not from summary attributes:

- a case ran unless it has `<skipped>` or a `status`/`result` saying it did not
  (ctest `status="disabled"|"notrun"`, googletest `status="notrun" result="suppressed"`);
- `<error>` beats `<failure>` beats a skip; Surefire's `rerunFailure`/`rerunError`
  (every rerun failed) count as failed, `flakyFailure`/`flakyError` (passed on a
  rerun) as passed but flaky;
- one test reported several times in one suite (pytest-rerunfailures writes each
  attempt) counts once, with its worst outcome;
- an `<error>`/`<failure>` of a suite itself (a suite that failed to load, a crashed
  `TestMain`, a Jenkins nested report), or a suite declaring failures none of its cases
  shows, fails the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from gatekeeper.errors import RecordError

SUITES = frozenset({"testsuite", "testsuites"})
_RANK = {"disabled": 0, "skipped": 1, "passed": 2, "flaky": 3, "failed": 4, "error": 5}
_NOT_RUN = frozenset({"disabled", "notrun", "not run", "suppressed", "skipped", "skip"})
_FAILED_STATUS = frozenset({"fail", "failed", "failure"})
_ERROR_STATUS = frozenset({"error", "errored"})
_BAD_TAGS = frozenset({"failure", "error", "rerunFailure", "rerunError"})
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
    merged: int = 0  # repeated entries of one test, counted once
    suite_errors: tuple[str, ...] = ()
    tool: str | None = None

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
        if self.merged:
            parts.append(f"{_n(self.merged, 'repeated entry', 'repeated entries')} merged")
        return ", ".join(parts) + (f" ({self.tool})" if self.tool else "")


_SUMMED = ("tests", "failures", "errors", "skipped", "disabled", "flaky", "merged", "suite_errors")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def parse_junit(data: bytes, path: str) -> JunitCounts:
    """Count what a JUnit XML document says ran, failed and was skipped (exit 2 when it is
    not JUnit XML, declares a DTD, or is in an encoding Python cannot decode)."""
    root = _root(data, path)
    outcomes: dict[tuple[int, str, str], str] = {}
    entries = 0
    for parent in root.iter():
        for case in parent:
            if _local(case.tag) == "testcase":
                key = (id(parent), case.get("classname", ""), case.get("name", ""))
                outcome = _outcome(case)
                old = outcomes.get(key, outcome)
                outcomes[key] = max(old, outcome, key=_RANK.__getitem__)
                entries += 1
    found = list(outcomes.values())
    return JunitCounts(
        tests=len(found),
        failures=found.count("failed"),
        errors=found.count("error"),
        skipped=found.count("skipped") + found.count("disabled"),
        disabled=found.count("disabled"),
        flaky=found.count("flaky"),
        merged=entries - len(found),
        suite_errors=tuple(_suite_errors(root)),
        tool=_tool(root),
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
    if _local(root.tag) not in SUITES:
        raise RecordError(
            f"{path}: root element is <{_clean(_local(root.tag))}>; expected <testsuites> or "
            "<testsuite>",
            hint="attach a JUnit XML report",
        )
    return root


def _local(tag: object) -> str:
    """The tag without a namespace (`{ns}testcase` -> `testcase`); comments have none."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _outcome(case: Any) -> str:
    tags = {_local(child.tag) for child in case}
    status = {case.get(a, "").strip().lower() for a in ("status", "result")}
    if "error" in tags or (status & _ERROR_STATUS and "failure" not in tags):
        return "error"
    if "failure" in tags or status & _FAILED_STATUS:
        return "failed"
    if "rerunError" in tags:
        return "error"
    if "rerunFailure" in tags:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    if status & _NOT_RUN:
        return "disabled" if status & (_NOT_RUN - {"skipped", "skip"}) else "skipped"
    return "flaky" if tags & {"flakyFailure", "flakyError"} else "passed"


def _suites(root: Any) -> Iterator[Any]:
    return (elem for elem in root.iter() if _local(elem.tag) in SUITES)


def _suite_errors(root: Any) -> Iterator[str]:
    """Failures of suites themselves, and suites declaring failures no case shows."""
    for suite in _suites(root):
        name = _clean(suite.get("name", "")) or "(unnamed)"
        for child in suite:
            if _local(child.tag) in {"error", "failure"}:
                yield f"suite '{name}': {_local(child.tag)}: {_message(child)}"
        declared = sum(_int(suite.get(a)) for a in ("failures", "errors"))
        if declared and not _shows_failure(suite):
            yield (
                f"suite '{name}' declares {declared} failures or errors, but none of its "
                "cases shows one"
            )


def _shows_failure(suite: Any) -> bool:
    for elem in suite.iter():
        tag = _local(elem.tag)
        if tag in _BAD_TAGS or (tag == "testcase" and _outcome(elem) in {"failed", "error"}):
            return True
    return False


def _message(elem: Any) -> str:
    text = elem.get("message") or elem.get("type") or (elem.text or "").strip() or "no message"
    return _clean(text.strip().splitlines()[0] if text.strip() else text)[:160]


def _clean(text: str) -> str:
    """Text from the report, safe for one line of output."""
    return _CONTROL.sub(" ", text).strip()


def _int(value: str | None) -> int:
    try:
        return max(int(value or "0"), 0)
    except ValueError:
        return 0


def _tool(root: Any) -> str | None:
    """The tool, only where the XML says it reliably (a default root name, Surefire's
    schema); None otherwise."""
    names = [root.get("name", "")]
    children = [c for c in root if _local(c.tag) == "testsuite"]
    if _local(root.tag) == "testsuites" and len(children) == 1:
        names.append(children[0].get("name", ""))
    for name in names:
        if name.strip().lower() in _TOOL_NAMES:
            return _TOOL_NAMES[name.strip().lower()]
    schema = " ".join(v for k, v in root.attrib.items() if k.endswith("SchemaLocation"))
    return "Surefire" if "surefire" in schema.lower() else None
