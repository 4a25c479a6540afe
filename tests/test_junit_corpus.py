"""Every report of tests/data/junit/ judged through the real parser and the real gate check.

The reports were produced by real runners (see tests/data/junit/README.md) or by hand for
the edges; expected.toml says what a careful person reading each one would conclude.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.errors import RecordError
from gatekeeper.evidence import test_report as tr
from gatekeeper.evidence.base import CheckContext, EvidenceItem
from gatekeeper.evidence.test_report import (
    accept,
    check,
    describe,
    parse_junit,
    read_reports,
    total,
)
from gatekeeper.models.records import EvidenceManifest

CORPUS = Path(__file__).parent / "data" / "junit"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "expected.toml").read_text())
GATE = tr.TestReportGate.model_validate(
    {"id": "tests", "type": "evidence", "kind": "test-report", "max_failures": 0, "min_tests": 1}
)
COUNTED = ("tests", "ran", "failed", "errors", "skipped")


def _files(key: str) -> list[Path]:
    if key.endswith("/"):
        return sorted((CORPUS / key).glob("*.xml"))
    return [CORPUS / key]


def _item(files: list[Path]) -> EvidenceItem:
    """A record holding `files`, as the check receives it once digests were verified."""
    names = [f"test-report-20260101T000000Z-dave.{i}.xml" for i in range(1, len(files) + 1)]
    data = [f.read_bytes() for f in files]
    manifest = EvidenceManifest.model_validate(
        {
            "schema": 1,
            "release": "v1.0.0",
            "kind": "test-report",
            "person": "dave",
            "candidate": "0" * 40,
            "request_sha256": "0" * 64,
            "at": datetime(2026, 1, 1, tzinfo=UTC),
            "attachments": [
                {"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                for n, d in zip(names, data, strict=True)
            ],
        }
    )
    details = tr.TestReportDetails(files={n: f.name for n, f in zip(names, files, strict=True)})
    path = "releases/v1.0.0/evidence/test-report-20260101T000000Z-dave.toml"
    return EvidenceItem(path, manifest, details, dict(zip(names, data, strict=True)), "dave")


def _context() -> CheckContext:
    return CheckContext(datetime.now(UTC), lambda person: frozenset())


def test_every_report_has_an_expectation_and_every_expectation_a_report() -> None:
    on_disk = {p.name for p in CORPUS.glob("*.xml")}
    on_disk |= {f"{p.name}/" for p in CORPUS.iterdir() if p.is_dir()}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_report_is_judged_as_expected(key: str) -> None:
    expected = EXPECTED[key]
    item = _item(_files(key))
    reasons = check(GATE, [item], _context())
    if expected["verdict"] == "refused":
        with pytest.raises(RecordError):
            parse_junit((CORPUS / key).read_bytes(), key)
        assert any(expected["refused"] in reason for reason in reasons), reasons
        return
    counts = total(read_reports(item))
    got = {name: getattr(counts, name) for name in COUNTED}
    got["failed"] = counts.failures
    assert got == {name: expected[name] for name in COUNTED}
    assert counts.disabled == expected.get("disabled", 0)
    assert counts.flaky == expected.get("flaky", 0)
    assert len(counts.suite_errors) == expected.get("suite_errors", 0)
    assert (counts.tool or "") == expected["tool"]
    assert ("pass" if not reasons else "fail") == expected["verdict"], reasons


@pytest.mark.parametrize("key", sorted(k for k, v in EXPECTED.items() if v["verdict"] == "refused"))
def test_refused_reports_are_refused_at_attach_in_one_line(key: str) -> None:
    data = (CORPUS / key).read_bytes()
    with pytest.raises(RecordError) as caught:
        accept({"report.xml": data}, {"report.xml": key})
    assert caught.value.message.startswith(f"{key}: ")
    assert "\n" not in caught.value.message and caught.value.hint


def test_reasons_state_facts_and_the_tool_only_when_the_xml_names_it() -> None:
    passing = describe(GATE, [_item([CORPUS / "pytest_pass.xml"])], _context())
    assert passing[-1] == "pytest_pass.xml: 3 tests, 0 failed, 1 skipped (pytest)"
    ctest = check(GATE, [_item([CORPUS / "ctest_all_disabled.xml"])], _context())
    assert "ctest_all_disabled.xml: 2 tests, 0 failed, 2 skipped (2 disabled)" in ctest
    assert "0 tests ran; expected at least 1" in ctest


def test_a_folder_of_per_class_reports_is_judged_as_one() -> None:
    reasons = check(GATE, [_item(_files("unittest_per_class/"))], _context())
    assert "3 files: 5 tests, 1 failed, 1 skipped" in reasons
    # the failing file is listed first, then the others, each with its own counts
    assert reasons[:3] == [
        "counts: releases/v1.0.0/evidence/test-report-20260101T000000Z-dave.toml by dave",
        "3 files: 5 tests, 1 failed, 1 skipped",
        "TEST-test_shop.Invoice.xml: 1 test, 1 failed, 0 skipped",
    ]
    assert "TEST-test_shop.Cart.xml: 2 tests, 0 failed, 0 skipped" in reasons
    assert reasons[-1] == "1 failed; at most 0 may fail"


def test_a_folder_that_passes_together_passes() -> None:
    files = [
        CORPUS / "gtest_pass.xml",
        CORPUS / "pytest_pass.xml",
        CORPUS / "gtest_all_disabled.xml",
    ]
    assert check(GATE, [_item(files)], _context()) == []
    facts = describe(GATE, [_item(files)], _context())
    assert facts[1] == "3 files: 8 tests, 0 failed, 4 skipped (3 disabled)"
