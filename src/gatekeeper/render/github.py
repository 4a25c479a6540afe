"""GitHub Actions: workflow commands (`::error`) for annotations, Markdown for the job summary."""

from __future__ import annotations

from gatekeeper.check.report import Report
from gatekeeper.render import markdown, text


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def check(report: Report) -> str:
    """The text report for the log, with workflow commands switched off around it (its
    data could hold `::` lines), then one `::error` per failed gate, data escaped."""
    import secrets

    token = secrets.token_hex(16)
    lines = [f"::stop-commands::{token}", text.check(report), f"::{token}::"]
    for gate in report.gates:
        if gate.passed:
            continue
        where = f"file={_prop(gate.path)}," if gate.path else ""
        title = _prop(f"gate {gate.id} failed for {report.release}")
        message = _data(f"{gate.title}: " + "\n".join(gate.reasons))
        lines.append(f"::error {where}title={title}::{message}")
    return "\n".join(lines)


def summary(reports: list[Report]) -> str:
    """What goes into $GITHUB_STEP_SUMMARY: the Markdown table of gates per release."""
    return "\n\n".join(markdown.check(r) for r in reports) + "\n"
