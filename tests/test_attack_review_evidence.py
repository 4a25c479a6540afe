"""Attack review: evidence records and attachments, the emergency flow, receipts.

Each xfail test asserts the secure behaviour and fails on the current code (a finding);
the plain tests show what held.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import JUNIT_FAIL, JUNIT_OK, make_repo
from test_evidence import _file

TESTS_BY_OPS = (
    '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\nby_roles = ["ops"]\n'
)


def test_a_failing_report_is_not_superseded_by_a_record_outside_by_roles(
    tmp_path: Path,
) -> None:
    """Attack: QA (ops) attached a passing report; then carol ran the tests again on the
    candidate and attached a failing one. Mallory, in no role, attaches a newer passing
    report of her own: the unfiltered check looks only at the newest record (hers, passing)
    and the filtered one only at QA's older passing report, so carol's failure vanishes.
    Rule: `by_roles` -- "anyone's record that fails it still fails it"; a record that can
    never satisfy the gate must not be able to supersede a failing one
    (gates/evidence.py:evaluate with test_report.check's `newest`)."""
    r = make_repo(tmp_path, gates=TESTS_BY_OPS)
    assert r.gate("request", "v1.0.0", "--title", "t", who="erin").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    ok, bad = _file(tmp_path, "ok.xml", JUNIT_OK), _file(tmp_path, "bad.xml", JUNIT_FAIL)
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="dave").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force", who="carol").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1, res.out  # carol's failure is a "no"
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="mallory").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out


def test_the_roles_newer_report_supersedes_a_failing_one_and_a_passing_outsider_is_harmless(
    tmp_path: Path,
) -> None:
    """What the fix keeps: ops running the tests again after carol's failure settles it,
    and a passing report by someone outside `by_roles` made after that fails nothing."""
    r = make_repo(tmp_path, gates=TESTS_BY_OPS)
    assert r.gate("request", "v1.0.0", "--title", "t", who="erin").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    ok, bad = _file(tmp_path, "ok.xml", JUNIT_OK), _file(tmp_path, "bad.xml", JUNIT_FAIL)
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force", who="carol").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="dave").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 0, res.out
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="mallory").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 0, res.out


TTL_AND_EMERGENCY = """
[emergency]
roles = ["ops"]
min = 1
retro_hours = 48
"""


def test_a_gate_waived_only_at_push_time_is_refused_at_push(
    tmp_path: Path,
) -> None:
    """Attack: dave (ops, an emergency role) declares an emergency while the approvals are
    fresh and makes the tag then, but pushes it 20 days later, when the 14-day approvals
    have expired. The push-time check (`--at now`) passes only because the emergency waives
    `acceptance`; every later judgement re-derives what was waived by re-running the pre-tag
    check at the tagger date, where the approvals were still valid, so no
    `retro:acceptance` is ever owed and `--stage post-release` (and `obligations` of the
    next release) pass. Rule: every gate an emergency waived is due again `retro_hours`
    after the tag (check/retro.py:waived_at_tag judges at the tagger date, not at the time
    the waiver was relied on)."""
    from datetime import UTC, datetime, timedelta

    r = make_repo(tmp_path, extra="approval_ttl_days = 14", gates=TTL_AND_EMERGENCY)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    res = r.gate("emergency", "v1.0.0", "--reason", "payments down", who="dave")
    assert res.code == 0, res.err
    res = r.gate("tag", "v1.0.0", who="dave")
    assert res.code == 0, res.out + res.err
    pushed = datetime.now(UTC) + timedelta(days=20)
    # Fixed: the push-time run (CI's `--at now`) refuses a waiver the tag's date would not
    # owe: acceptance expired after the tag, and at the tag's date it needs none.
    res = r.gate("check", "v1.0.0", "--at", pushed.isoformat(), "--format", "json")
    assert res.code == 1, res.out
    acceptance = next(g for g in json.loads(res.out)["gates"] if g["id"] == "acceptance")
    assert not acceptance["passed"] and "tag again" in acceptance["reasons"][0], acceptance
    # Judged at the tag's date, as when pushed at once, the emergency waives what it did.
    res = r.gate("check", "v1.0.0")
    assert res.code == 0, res.out


def test_a_receipt_whose_signers_and_signature_mode_were_edited_does_not_verify(
    tmp_path: Path,
) -> None:
    """Attack: after `gate tag`, the insider re-makes the tag on the same commit with the
    receipt edited: the release was judged with `signatures = "none"` and alice signed the
    product approval, but the receipt now says `signatures = "ssh"` and names erin,
    verified, as that record's signer (and could drop the emergency's declarers the same
    way). `gate verify-receipt` re-evaluates the release but compares only the gate
    verdicts, the record digests, the policy digest and the candidate, so it prints
    VERIFIED. Rule: "Receipts prove nothing by themselves": every claim of the receipt must
    match the fresh evaluation (check/receipt.py:_against)."""
    import json

    from gatekeeper.check.receipt import BEGIN, END

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    assert r.gate("verify-receipt", "v1.0.0", "--allow-unsigned").code == 0
    message = r.git("tag", "-l", "--format=%(contents)", "v1.0.0")
    head, rest = message.split(BEGIN + "\n", 1)
    body, tail = rest.split(END, 1)
    receipt = json.loads(body)
    receipt["predicate"]["gatekeeper"]["signatures"] = "ssh"
    signers = [i["signer"] for i in receipt["predicate"]["inputAttestations"] if "signer" in i]
    alices = [s for s in signers if s["person"] == "alice"]
    assert len(alices) == 1 and alices[0]["verified"] is False, signers
    alices[0].update(person="erin", verified=True)
    edited = f"{head}{BEGIN}\n{json.dumps(receipt, indent=2, sort_keys=True)}\n{END}{tail}"
    commit = r.git("rev-parse", "v1.0.0^{commit}")
    r.git("tag", "-d", "v1.0.0")
    (tmp_path / "msg").write_text(edited, encoding="utf-8")
    r.git("tag", "-a", "v1.0.0", "-F", str(tmp_path / "msg"), "--cleanup=verbatim", commit)
    res = r.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert res.code == 1, res.out


HIDDEN_FAILURE = b"""<?xml version="1.0"?>
<testsuites name="merged">
  <testsuite name="unit" tests="2"><testcase name="a"/><testcase name="b"/></testsuite>
  <testsuites name="integration">
    <testsuite name="db" tests="1"><testcase name="migrate"><failure message="boom"/></testcase>
    </testsuite>
  </testsuites>
</testsuites>
"""


def test_a_failing_case_under_a_nested_testsuites_element_is_not_ignored(
    tmp_path: Path,
) -> None:
    """Attack: a merged report (`<testsuites>` holding a `<testsuites>`, as report-merging
    steps write) carries a failing test case in the inner container. The reader walks only
    `<testsuite>` children (evidence/junit.py:_tree), so the failing case is never seen:
    `gate attach` accepts it without `--force` and `gate check` passes with "2 tests, 0
    failed". Rule: outcomes come from every `<testcase>` (read "as a careful person
    would"); a test case the reader cannot place must fail the report, not vanish. Low
    severity: whoever attaches a report is taken at their word, so this matters where the
    report is produced by code an insider can change and attached by an honest QA."""
    r = make_repo(tmp_path, gates=TESTS_BY_OPS)
    assert r.gate("request", "v1.0.0", "--title", "t", who="erin").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    report = _file(tmp_path, "merged.xml", HIDDEN_FAILURE)
    res = r.gate("attach", "v1.0.0", "test-report", report, who="dave")
    assert res.code != 0 and "1 failed" in res.out + res.err, (res.out, res.err)
    assert r.gate("attach", "v1.0.0", "test-report", report, "--force", who="dave").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out
    # A case under an element no JUnit tool writes is placed nowhere: the report is refused.
    wrapped = HIDDEN_FAILURE.replace(b'<testsuites name="integration">', b"<group>")
    wrapped = wrapped.replace(b"</testsuites>\n</testsuites>", b"</group>\n</testsuites>")
    res = r.gate("attach", "v1.0.0", "test-report", _file(tmp_path, "odd.xml", wrapped))
    assert res.code == 2 and "1 test case outside the report's suites" in res.err, res.err


@pytest.mark.parametrize(
    "doc",
    [
        # a failure in a suite nested in a suite (Jenkins)
        b'<testsuites><testsuite name="a"><testsuite name="b"><testcase name="x">'
        b"<failure/></testcase></testsuite></testsuite></testsuites>",
        # the same test twice, the second attempt passing (reruns): its worst outcome counts
        b'<testsuite name="s"><testcase classname="c" name="x"><failure/></testcase>'
        b'<testcase classname="c" name="x"/><testcase name="y"/></testsuite>',
        # an error beside a skip, and counts that lie
        b'<testsuite name="s" tests="9" failures="0" errors="0"><testcase name="x">'
        b'<skipped/><error/></testcase><testcase name="y"/></testsuite>',
        # a suite's own error with passing cases
        b'<testsuite name="s"><testcase name="x"/><error message="setup failed"/></testsuite>',
        # declared failures no case shows
        b'<testsuite name="s" failures="3"><testcase name="x"/></testsuite>',
        # only skipped and disabled cases: nothing ran
        b'<testsuite name="s"><testcase name="x"><skipped/></testcase>'
        b'<testcase name="y" status="notrun"/></testsuite>',
    ],
)
def test_held_junit_shapes_that_hide_failures_fail_the_gate(doc: bytes) -> None:
    """Held: failures in nested suites, repeated cases, skip-plus-error, suite-level errors,
    lying counts and all-skipped reports all fail a `max_failures = 0, min_tests = 1` gate."""
    from gatekeeper.evidence import test_report as tr

    gate = tr.TestReportGate.model_validate(
        {"id": "tests", "type": "evidence", "kind": "test-report"}
    )
    results = [tr.FileResult("r.xml", tr.parse_junit(doc, "r.xml"))]
    assert tr._problems(gate, results)
