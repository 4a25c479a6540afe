# ruff: noqa: E501  (real reports, embedded as their tools wrote them)
"""Attack review of the `test-report` evidence kind (JUnit XML). Each test failed on the
code as reviewed and asserts what a careful release manager expects. The reports come from
real runs (jest 30 + jest-junit 17, vitest 4, Maven 3.8.7 + Surefire 3.2.5, pytest) or
follow the tool's source (rspec_junit_formatter), with stack traces shortened.
"""

from __future__ import annotations

from pathlib import Path

from conftest import Repo, approve_all, make_repo


def _ready(tmp_path: Path, gate_body: str = "") -> Repo:
    gates = f'[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n{gate_body}\n'
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    return r


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------
# F1. A newer record of *other* tests supersedes an older failing record.
# --------------------------------------------------------------------------------------

INTEGRATION_FAILED = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="2" skipped="0"
 tests="3" time="12.1" hostname="ci"><testcase classname="tests.integration.test_payments"
 name="test_refund" time="3.0"><failure message="assert 502 == 200">E assert 502 == 200</failure>
</testcase><testcase classname="tests.integration.test_payments" name="test_charge" time="4.0">
<failure message="TimeoutError">E TimeoutError</failure></testcase>
<testcase classname="tests.integration.test_login" name="test_login" time="5.1"/>
</testsuite></testsuites>
"""

UNIT_PASSED = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="0" skipped="0"
 tests="2" time="0.1" hostname="ci"><testcase classname="tests.unit.test_money" name="test_add"
 time="0.01"/><testcase classname="tests.unit.test_money" name="test_round" time="0.01"/>
</testsuite></testsuites>
"""


def test_a_newer_report_of_other_tests_does_not_supersede_a_failing_one(tmp_path: Path) -> None:
    """Attack (and a common honest CI shape): two jobs each `gate attach` their own report
    to the release: the integration job's report fails (2 tests), the unit job's, made a
    minute later, passes. `newest()` looks at the unit record only, so the failing
    integration run vanishes and the gate passes. Nothing in the newer record re-ran the
    failing tests. Expected: a failing test of an older record stays failing until a newer
    record shows that very test passing (a `pytest --lf` rerun still settles it)."""
    r = _ready(tmp_path)
    bad = _write(tmp_path / "in", "integration.xml", INTEGRATION_FAILED)
    good = _write(tmp_path / "in2", "unit.xml", UNIT_PASSED)
    assert r.gate("attach", "v1.0.0", "test-report", str(bad), "--force").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", str(good)).code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out


# --------------------------------------------------------------------------------------
# F2. Distinct tests sharing a title are merged into one (jest / vitest `test.each`).
# --------------------------------------------------------------------------------------

# jest 30.5 + jest-junit 17, `test.each(rows)('adds correctly', ...)` with 4 rows, 2 of them
# failing, plus one passing test (jest: "Tests: 2 failed, 3 passed, 5 total"; exit 1).
JEST_EACH_FAILED = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="5" failures="2" errors="0" time="0.779">
  <testsuite name="undefined" errors="0" failures="2" skipped="0" timestamp="2026-11-24T19:33:09" time="0.505" tests="5">
    <testcase classname=" adds correctly" name=" adds correctly" time="0.004">
    </testcase>
    <testcase classname=" adds correctly" name=" adds correctly" time="0.003">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 5
Received: 4
    at toBe (/work/attack_junit/gen/js/t2/each.test.js:3:17)</failure>
    </testcase>
    <testcase classname=" adds correctly" name=" adds correctly" time="0.001">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: 7
Received: 6
    at toBe (/work/attack_junit/gen/js/t2/each.test.js:3:17)</failure>
    </testcase>
    <testcase classname=" adds correctly" name=" adds correctly" time="0.001">
    </testcase>
    <testcase classname=" other" name=" other" time="0.001">
    </testcase>
  </testsuite>
</testsuites>
"""

# vitest 4.1 `--reporter=junit`: `test.each([[1,2],[2,5],[3,7]])('adds correctly', ...)`,
# 2 of 3 rows failing (vitest: "Tests 2 failed | 1 passed"; exit 1).
VITEST_EACH_FAILED = b"""<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="3" failures="2" errors="0" time="0.01798298">
    <testsuite name="v/each.test.js" timestamp="2026-11-24T19:33:17.533Z" hostname="vm" tests="3" failures="2" errors="0" skipped="0" time="0.01149821">
        <testcase classname="v/each.test.js" name="adds correctly" time="0.00208">
        </testcase>
        <testcase classname="v/each.test.js" name="adds correctly" time="0.00664488">
            <failure message="expected 4 to be 5 // Object.is equality" type="AssertionError">
AssertionError: expected 4 to be 5 // Object.is equality
 \xe2\x9d\xaf v/each.test.js:2:74
            </failure>
        </testcase>
        <testcase classname="v/each.test.js" name="adds correctly" time="0.000872095">
            <failure message="expected 6 to be 7 // Object.is equality" type="AssertionError">
AssertionError: expected 6 to be 7 // Object.is equality
 \xe2\x9d\xaf v/each.test.js:2:74
            </failure>
        </testcase>
    </testsuite>
</testsuites>
"""


def test_two_failing_rows_of_a_jest_test_each_count_as_two_failures(tmp_path: Path) -> None:
    """Attack: the policy tolerates one known-flaky failure (`max_failures = 1`). A jest
    run where two rows of one `test.each` table fail (jest: 2 failed, exit 1) is read as
    "2 tests, 1 failed, 3 repeated entries merged": the merge meant for
    pytest-rerunfailures' attempts takes distinct parametrized cases that share a title
    for one test, so the second failure is not counted and the gate passes. The suite
    itself declares failures="2". Expected: 2 failed > 1 -> the gate fails."""
    r = _ready(tmp_path, "max_failures = 1")
    path = _write(tmp_path / "in", "junit.xml", JEST_EACH_FAILED)
    r.gate("attach", "v1.0.0", "test-report", str(path), "--force")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out


def test_two_failing_rows_of_a_vitest_test_each_count_as_two_failures(tmp_path: Path) -> None:
    """Same with vitest's own JUnit reporter (classname = file, name = title)."""
    r = _ready(tmp_path, "max_failures = 1")
    path = _write(tmp_path / "in", "vitest.xml", VITEST_EACH_FAILED)
    r.gate("attach", "v1.0.0", "test-report", str(path), "--force")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out


def test_every_row_of_a_passing_test_each_counts_toward_min_tests(tmp_path: Path) -> None:
    """The other direction: the same jest table with every row passing (5 tests ran,
    jest exit 0) is read as 2 tests, so `min_tests = 5` fails a real passing run."""
    passing = JEST_EACH_FAILED.replace(b'failures="2"', b'failures="0"')
    while b"<failure>" in passing:
        start = passing.index(b"<failure>")
        passing = passing[:start] + passing[passing.index(b"</failure>") + 10 :]
    r = _ready(tmp_path, "min_tests = 5")
    path = _write(tmp_path / "in", "junit.xml", passing)
    r.gate("attach", "v1.0.0", "test-report", str(path), "--force")
    res = r.gate("check", "v1.0.0")
    assert res.code == 0, res.out


# --------------------------------------------------------------------------------------
# F3. A suite declaring more failures/errors than its cases show, when one case fails.
# --------------------------------------------------------------------------------------

# rspec_junit_formatter >= 0.5 writes `errors` = RSpec's errors_outside_of_examples_count
# (an `after(:context)` / `before(:suite)` hook that raised) and no <testcase> for it.
RSPEC_HOOK_ERROR = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="rspec" tests="3" skipped="0" failures="1" errors="1" time="0.412000" timestamp="2026-11-24T19:40:00+00:00" hostname="ci">
<properties>
<property name="seed" value="4242"/>
</properties>
<testcase classname="spec.cart_spec" name="Cart totals" file="./spec/cart_spec.rb" time="0.001000"></testcase>
<testcase classname="spec.cart_spec" name="Cart rounds" file="./spec/cart_spec.rb" time="0.002000"><failure message="expected 0.3, got 0.30000000000000004" type="RSpec::Expectations::ExpectationNotMetError">Failure/Error: expect(total).to eq(0.3)</failure></testcase>
<testcase classname="spec.checkout_spec" name="Checkout pays" file="./spec/checkout_spec.rb" time="0.003000"></testcase>
</testsuite>
"""


def test_errors_a_suite_declares_beyond_its_failing_cases_are_counted(tmp_path: Path) -> None:
    """Attack: `max_failures = 1`. An rspec run with one failing example and an
    `after(:context)` hook that raised (rspec: "3 examples, 1 failure, 1 error occurred
    outside of examples", exit 1). rspec_junit_formatter puts the hook error only in the
    suite's `errors="1"`. The "declares failures none of its cases shows" rule fires only
    when *no* case fails, so with one failing case the declared error is dropped and the
    gate passes at 1 failed. Expected: declared failures+errors beyond what the cases show
    fail the report (as they do when no case fails)."""
    r = _ready(tmp_path, "max_failures = 1")
    path = _write(tmp_path / "in", "rspec.xml", RSPEC_HOOK_ERROR)
    r.gate("attach", "v1.0.0", "test-report", str(path), "--force")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out


# --------------------------------------------------------------------------------------
# F4. The reports folder of Maven Failsafe is refused as a whole.
# --------------------------------------------------------------------------------------

SUREFIRE_PASS = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd" version="3.0" name="demo.CheckoutIT" time="0.03" tests="2" errors="0" skipped="0" failures="0">
  <properties>
  </properties>
  <testcase name="pays" classname="demo.CheckoutIT" time="0.006"/>
  <testcase name="refunds" classname="demo.CheckoutIT" time="0.01"/>
</testsuite>
"""

# maven-failsafe-plugin always writes this beside the TEST-*.xml files.
FAILSAFE_SUMMARY = b"""<?xml version="1.0" encoding="UTF-8"?>
<failsafe-summary xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/failsafe-summary.xsd" result="null" timeout="false">
    <completed>2</completed>
    <errors>0</errors>
    <failures>0</failures>
    <skipped>0</skipped>
    <failureMessage xsi:nil="true" />
</failsafe-summary>
"""


def test_the_failsafe_reports_folder_of_a_passing_run_can_be_attached(tmp_path: Path) -> None:
    """A passing `mvn verify`: `gate attach v1.0.0 test-report target/failsafe-reports`
    (the folder form the help text offers for Surefire/Gradle) is refused with exit 2,
    because failsafe-summary.xml, which Failsafe always writes there, is not JUnit XML.
    Expected: the folder of a real passing run attaches (and passes)."""
    r = _ready(tmp_path)
    folder = tmp_path / "target" / "failsafe-reports"
    _write(folder, "TEST-demo.CheckoutIT.xml", SUREFIRE_PASS)
    _write(folder, "failsafe-summary.xml", FAILSAFE_SUMMARY)
    res = r.gate("attach", "v1.0.0", "test-report", str(folder))
    assert res.code == 0, res.err
    assert r.gate("check", "v1.0.0").code == 0


# --------------------------------------------------------------------------------------
# F5. The same report attached twice (under two names) counts twice toward min_tests.
# --------------------------------------------------------------------------------------


def test_one_report_attached_twice_does_not_double_the_tests_that_ran(tmp_path: Path) -> None:
    """`min_tests = 4`; the run had 2 tests. A CI step that collects `**/junit.xml` picks up
    the report and a copy of it (e.g. `reports/junit.xml` and `artifacts/junit.xml`): the
    same path twice is refused ("given twice"), but a byte-identical copy counts again, so
    the 2-test run meets `min_tests = 4`. Expected: identical reports (same bytes) in one
    record count once, or are refused like a path given twice."""
    r = _ready(tmp_path, "min_tests = 4")
    one = _write(tmp_path / "reports", "junit.xml", UNIT_PASSED)
    two = _write(tmp_path / "artifacts", "junit.xml", UNIT_PASSED)
    attach = r.gate("attach", "v1.0.0", "test-report", str(one), str(two))
    res = r.gate("check", "v1.0.0")
    assert attach.code != 0 or (res.code == 1 and "[FAIL] tests" in res.out), res.out


INTEGRATION_RERUN = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="0" skipped="0"
 tests="2" time="7.0" hostname="ci"><testcase classname="tests.integration.test_payments"
 name="test_refund" time="3.0"/><testcase classname="tests.integration.test_payments"
 name="test_charge" time="4.0"/></testsuite></testsuites>
"""


def test_a_rerun_of_the_failing_tests_settles_an_older_record(tmp_path: Path) -> None:
    """`pytest --lf` after a fix: the tests that failed ran again and passed, so the
    integration record's failures are settled, though the rerun ran nothing else."""
    r = _ready(tmp_path)
    bad = _write(tmp_path / "in", "integration.xml", INTEGRATION_FAILED)
    unit = _write(tmp_path / "in2", "unit.xml", UNIT_PASSED)
    rerun = _write(tmp_path / "in3", "rerun.xml", INTEGRATION_RERUN)
    assert r.gate("attach", "v1.0.0", "test-report", str(bad), "--force").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", str(unit)).code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "2 tests failed in an older record" in res.out, res.out
    assert "test_payments.test_refund" in res.out
    assert r.gate("attach", "v1.0.0", "test-report", str(rerun)).code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 0, res.out
