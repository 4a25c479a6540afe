"""`gate doctor`'s output: one line per check or finding (text), JSON, or Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.doctor import Diagnosis

MARKS = {"ok": "[ok  ]", "skip": "[skip]", "fail": "[FAIL]"}


def text(diagnosis: Diagnosis) -> str:
    """A line per passing or skipped check, a line per finding with its fix, a verdict."""
    lines = []
    for checked in diagnosis.checked:
        if checked.status != "fail":
            lines.append(f"{MARKS[checked.status]} {checked.check}: {checked.result.note}")
        for problem in checked.result.problems:
            lines.append(f"[FAIL] {checked.check}: {problem.problem}; fix: {problem.fix}")
    count = len(diagnosis.findings)
    lines.append(
        f"doctor: {count} problem{'s' if count != 1 else ''} found"
        if count
        else f"doctor: all {len(diagnosis.checked)} checks passed"
    )
    return "\n".join(lines)


def json(diagnosis: Diagnosis) -> str:
    """`{"passed", "checks", "findings"}` (docs/doctor.md)."""
    from gatekeeper.render.json import dumps

    return dumps(diagnosis.to_json())


def markdown(diagnosis: Diagnosis) -> str:
    """A table of findings (for a pull request or a wiki page)."""
    rows = [f"| {f.check} | {_cell(f.problem)} | {_cell(f.fix)} |" for f in diagnosis.findings]
    verdict = "no problems found" if diagnosis.passed else f"{len(rows)} problem(s) found"
    head = f"## gate doctor: {verdict}\n"
    if not rows:
        return head
    return head + "\n| check | problem | fix |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
