"""`gate attach`: several reports in one record, a folder of them, the newest record counts,
and attachments pinned by what git stores, whatever the line-ending settings."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import JUNIT_FAIL, JUNIT_OK, Repo, approve_all, make_repo

CORPUS = Path(__file__).parent / "data" / "junit"
TESTS_GATE = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'
EVIDENCE = "releases/v1.0.0/evidence"
CRLF_REPORT = (CORPUS / "crlf_pass.xml").read_bytes()


def _ready(tmp_path: Path, setup: dict[str, str] | None = None) -> Repo:
    """A requested, approved release whose policy wants a test report; `setup` is written
    and committed first (e.g. a .gitattributes), before the candidate is chosen."""
    r = make_repo(tmp_path, gates=TESTS_GATE)
    for rel, content in (setup or {}).items():
        r.write(rel, content)
    r.commit("setup")
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    return r


def _reports(tmp_path: Path, **files: bytes) -> list[str]:
    folder = tmp_path / "reports"
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.xml").write_bytes(data)
    return [str(folder / f"{name}.xml") for name in files]


def _tests_gate(r: Repo) -> dict[str, Any]:
    res = r.gate("check", "v1.0.0", "--format", "json")
    assert res.code in (0, 1), res.err
    gate: dict[str, Any] = next(g for g in json.loads(res.out)["gates"] if g["id"] == "tests")
    return gate


def _blob(r: Repo, spec: str) -> bytes:
    """The bytes git stores for `REV:PATH`."""
    proc = subprocess.run(
        ["git", "cat-file", "blob", spec], cwd=r.path, capture_output=True, check=True
    )
    return proc.stdout


def _manifests(r: Repo) -> list[dict[str, Any]]:
    paths = sorted(p for p in r.git("ls-files", EVIDENCE).splitlines() if p.endswith(".toml"))
    return [tomllib.loads((r.path / p).read_text(encoding="utf-8")) for p in paths]


def test_several_files_are_one_record_judged_together(tmp_path: Path) -> None:
    r = _ready(tmp_path)
    files = _reports(tmp_path, cart=JUNIT_OK, invoice=JUNIT_FAIL)
    res = r.gate("attach", "v1.0.0", "test-report", *files)
    assert res.code == 2 and "would not count: gate 'tests'" in res.err  # refused, unwritten
    res = r.gate("attach", "v1.0.0", "test-report", *files, "--force")
    assert res.code == 0, res.err
    [manifest] = _manifests(r)
    names = [a["path"] for a in manifest["attachments"]]
    assert [n.rsplit(".", 2)[-2:] for n in names] == [["1", "xml"], ["2", "xml"]]
    assert manifest["details"]["files"] == {names[0]: "cart.xml", names[1]: "invoice.xml"}
    gate = _tests_gate(r)
    assert gate["passed"] is False
    assert "2 files: 4 tests, 1 failed, 0 skipped" in gate["reasons"]
    assert "invoice.xml: 2 tests, 1 failed, 0 skipped" in gate["reasons"]
    assert "cart.xml: 2 tests, 0 failed, 0 skipped" in gate["reasons"]


def test_a_folder_attaches_its_xml_files_sorted(tmp_path: Path) -> None:
    r = _ready(tmp_path)
    folder = tmp_path / "surefire-reports"
    folder.mkdir()
    for name in ("TEST-b.xml", "TEST-a.XML", "TEST-c.xml"):
        (folder / name).write_bytes(JUNIT_OK)
    (folder / "TEST-a.txt").write_text("summary")
    res = r.gate("attach", "v1.0.0", "test-report", str(folder), "--force")
    assert res.code == 0, res.err
    [manifest] = _manifests(r)
    assert list(manifest["details"]["files"].values()) == ["TEST-a.XML", "TEST-b.xml", "TEST-c.xml"]
    gate = _tests_gate(r)
    assert gate["passed"] is True, gate["reasons"]


def test_the_per_class_corpus_folder_fails_on_its_one_failing_class(tmp_path: Path) -> None:
    r = _ready(tmp_path)
    folder = str(CORPUS / "unittest_per_class")
    assert r.gate("attach", "v1.0.0", "test-report", folder, "--force").code == 0
    gate = _tests_gate(r)
    assert gate["passed"] is False
    assert "TEST-test_shop.Invoice.xml: 1 test, 1 failed, 0 skipped" in gate["reasons"]


def test_a_newer_record_supersedes_an_older_one(tmp_path: Path) -> None:
    r = _ready(tmp_path)
    [ok, bad] = _reports(tmp_path, ok=JUNIT_OK, bad=JUNIT_FAIL)
    assert r.gate("attach", "v1.0.0", "test-report", ok).code == 0
    older = r.git("ls-files", EVIDENCE).splitlines()
    assert _tests_gate(r)["passed"] is True
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force").code == 0
    newer = next(
        p
        for p in r.git("ls-files", EVIDENCE).splitlines()
        if p.endswith(".toml") and p not in older
    )
    gate = _tests_gate(r)
    assert gate["passed"] is False
    assert gate["reasons"][:2] == [
        f"counts: {newer} by dave",
        "supersedes 1 older test-report record",
    ]
    # only what counts is named: the superseded passing report is not
    text = "\n".join(gate["reasons"])
    assert all(path not in text for path in older) and "ok.xml" not in text
    assert r.gate("attach", "v1.0.0", "test-report", ok).code == 0
    assert _tests_gate(r)["passed"] is True


@pytest.mark.parametrize(
    "setup",
    [
        {"config": "core.autocrlf=true"},
        {"config": "core.autocrlf=input"},
        {".gitattributes": "* text=auto\n"},
        {".gitattributes": "*.xml text eol=crlf\n"},
    ],
    ids=["autocrlf-true", "autocrlf-input", "text-auto", "eol-crlf"],
)
def test_crlf_report_is_pinned_by_what_git_stores(tmp_path: Path, setup: dict[str, str]) -> None:
    config = setup.pop("config", None)
    r = _ready(tmp_path, setup)
    if config:
        r.git("config", *config.split("="))
    report = tmp_path / "windows.xml"
    report.write_bytes(CRLF_REPORT)
    res = r.gate("attach", "v1.0.0", "test-report", str(report))
    assert res.code == 0, res.err
    [manifest] = _manifests(r)
    [pinned] = manifest["attachments"]
    stored = _blob(r, f"HEAD:{EVIDENCE}/{pinned['path']}")
    assert b"\r" not in stored  # git converted it: the digest must be of this, not the file
    assert pinned["sha256"] == hashlib.sha256(stored).hexdigest()
    assert pinned["size"] == len(stored)
    assert r.git("status", "--porcelain", "--untracked-files=all") == ""
    gate = _tests_gate(r)
    assert gate["passed"] is True, gate["reasons"]
    assert "changed after it was recorded" not in json.dumps(gate)
    assert r.gate("validate", "--all").code == 0
    assert r.gate("validate", str(r.path / EVIDENCE / pinned["path"])).code == 0


def test_a_filter_that_changes_the_report_is_judged_as_stored(tmp_path: Path) -> None:
    r = _ready(tmp_path, {".gitattributes": "*.xml filter=mangle\n"})
    r.git("config", "filter.mangle.clean", "sed s/testsuite/html/g")
    before = r.state()
    report = tmp_path / "ok.xml"
    report.write_bytes(JUNIT_OK)
    res = r.gate("attach", "v1.0.0", "test-report", str(report))
    assert res.code == 2
    assert "root element is <html>" in res.err and "hint:" in res.err
    assert r.state() == before  # written, staged, then removed and unstaged again


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("encoding_unknown.xml", "declares encoding 'x-klingon', which Python cannot decode"),
        ("encoding_mismatch.xml", "but its bytes are not valid UTF-8"),
        ("dtd_entities.xml", "XML declares a DTD or entities"),
    ],
)
def test_unreadable_report_is_exit_2_in_one_line(tmp_path: Path, name: str, message: str) -> None:
    r = _ready(tmp_path)
    before = r.state()
    res = r.gate("attach", "v1.0.0", "test-report", str(CORPUS / name))
    assert res.code == 2
    assert f"{name}: " in res.err and message in res.err and "hint:" in res.err
    assert "Traceback" not in res.err
    assert r.state() == before


def test_reports_in_other_encodings_attach_and_pass(tmp_path: Path) -> None:
    r = _ready(tmp_path)
    names = ("encoding_gbk.xml", "encoding_shift_jis.xml", "encoding_euc_kr.xml")
    res = r.gate("attach", "v1.0.0", "test-report", *(str(CORPUS / n) for n in names))
    assert res.code == 0, res.err
    assert _tests_gate(r)["passed"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["launch-notice", "a.md", "b.md"], "expected one FILE"),
        (["launch-notice", "."], "expected one FILE"),
        (["test-report", "empty"], "no .xml files in this folder"),
        (["test-report", "a.xml", "a.xml"], "given twice"),
        (["test-report", "a.xml", "notes.txt"], "expected a .xml file"),
    ],
)
def test_attach_refusals(tmp_path: Path, args: list[str], message: str) -> None:
    r = _ready(tmp_path)
    work = tmp_path / "work"
    (work / "empty").mkdir(parents=True)
    for name, data in (("a.md", b"# hi\n"), ("b.md", b"# yo\n"), ("a.xml", JUNIT_OK)):
        (work / name).write_bytes(data)
    (work / "notes.txt").write_text("x")
    before = r.state()
    kind, *paths = args
    res = r.gate("attach", "v1.0.0", kind, *(str(work / p) for p in paths))
    assert res.code == 2 and message in res.err and "hint:" in res.err, res.err
    assert r.state() == before


def test_no_commit_leaves_every_file_staged(tmp_path: Path) -> None:
    r = _ready(tmp_path, {".gitattributes": "* text=auto\n"})
    head = r.git("rev-parse", "HEAD")
    files = _reports(tmp_path, a=CRLF_REPORT, b=JUNIT_OK)
    assert r.gate("attach", "v1.0.0", "test-report", *files, "--no-commit").code == 0
    assert r.git("rev-parse", "HEAD") == head
    staged = r.git("diff", "--cached", "--name-only").splitlines()
    assert len(staged) == 3 and all(p.startswith(EVIDENCE) for p in staged)
    assert r.git("status", "--porcelain", "--untracked-files=all").count("A  ") == 3
