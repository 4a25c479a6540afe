"""JUnit XML: the verdict as a test report, one <testcase> per gate, for any CI viewer
(GitLab's pipeline Tests tab, Jenkins, Azure DevOps).

One <testsuite> per release; every testcase's classname is the release tag (GitLab shows
classname as the suite), its name the gate id and title. A failing gate carries <failure>
(message: the reasons on one line; text: one reason a line, then the commands that would
unblock it); a gate that does not apply is <skipped>; a waived or pending gate
passes and says so in <system-out>. The XML is built with ElementTree, never by string
concatenation, and every string is first made printable and XML-legal: policy titles and
record paths are data, and a control character or lone surrogate would make the report
unparseable (an unreadable report shows nothing, which is worse than a failing one).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gatekeeper.render import one_line, printable

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from gatekeeper.check.report import GateResult, Report

# printable() escapes C0 controls and surrogates; XML 1.0 also forbids U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(text))


def _line(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", one_line(text))


def check(report: Report) -> str:
    """One release as a JUnit document."""
    return checks([report])


def checks(reports: list[Report]) -> str:
    """Every release as one JUnit document: <testsuites> holding a <testsuite> each."""
    from xml.etree.ElementTree import Element, indent, tostring

    root = Element("testsuites", name="gate check")
    suites = [_suite(report) for report in reports]
    root.extend(suites)
    _count(root, suites)
    indent(root)
    return tostring(root, encoding="unicode", xml_declaration=True)


def _count(element: Element, children: list[Element]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(sum(int(child.get(key, "0")) for child in children)))
    element.set("time", "0")


def _suite(report: Report) -> Element:
    from xml.etree.ElementTree import Element, SubElement

    suite = Element("testsuite", name=_line(report.release))
    if report.at:
        suite.set("timestamp", report.at.isoformat())
    properties = SubElement(suite, "properties")
    for name, value in _properties(report):
        SubElement(properties, "property", name=name, value=_line(value))
    cases = [_case(report.release, gate) for gate in report.gates]
    suite.extend(cases)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for g in report.gates if g.applies and not g.passed)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for g in report.gates if not g.applies)))
    suite.set("time", "0")
    if report.warnings:  # e.g. signatures = "none": signers not verified
        SubElement(suite, "system-out").text = _clean("\n".join(report.warnings))
    return suite


def _properties(report: Report) -> list[tuple[str, str]]:
    return [
        ("passed", "true" if report.passed else "false"),
        ("stage", report.stage),
        ("candidate", report.candidate or ""),
        ("tag_commit", report.tag_commit or ""),
        ("revision", report.revision),
        ("policy_ref", report.policy_ref),
        ("signatures", report.signatures),
        ("at", report.at.isoformat() if report.at else ""),
    ]


def _case(release: str, gate: GateResult) -> Element:
    from xml.etree.ElementTree import Element, SubElement

    case = Element("testcase", classname=_line(release), name=_line(f"{gate.id}: {gate.title}"))
    if gate.path:
        case.set("file", _line(gate.path))
    case.set("time", "0")
    if not gate.applies:
        skipped = SubElement(case, "skipped", message=_line(_summary(gate, "does not apply")))
        skipped.text = _clean("\n".join(gate.reasons)) or None
    elif not gate.passed:
        failure = SubElement(case, "failure", type="gate-failed")
        failure.set("message", _line(_summary(gate, "failed")))
        failure.text = _clean("\n".join(_details(gate)))
    notes = _notes(gate)
    if notes:
        SubElement(case, "system-out").text = _clean("\n".join(notes))
    return case


def _summary(gate: GateResult, fallback: str) -> str:
    return "; ".join(gate.reasons) or fallback


def _details(gate: GateResult) -> list[str]:
    """The reasons (they name whom the gate waits on), then the commands that would help."""
    return [*(gate.reasons or ("failed",)), *(f"next: {command}" for command in gate.next)]


def _notes(gate: GateResult) -> list[str]:
    """What a passing result would hide: a waiver, or an obligation not yet due."""
    if gate.waived:
        return ["WAIVED: passes only through an emergency declaration", *gate.reasons]
    if gate.pending:
        return ["PENDING: a post-release obligation, not yet due", *gate.reasons]
    return []
