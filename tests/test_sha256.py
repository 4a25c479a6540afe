"""A SHA-256 repository (`git init --object-format=sha256`), end to end: 64-hex object ids
everywhere a 40-hex one goes, in records, reports, tags, audits and receipts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import JUNIT_OK, Repo, approve_all, policy_text


@pytest.fixture
def sha256_repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "sha256")
    r.path.mkdir()
    r.git("init", "-q", "--object-format=sha256", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", policy_text(gates=_TESTS))
    r.commit("initial")
    assert len(r.git("rev-parse", "HEAD")) == 64
    return r


_TESTS = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'


def test_a_release_from_request_to_receipt(sha256_repo: Repo, tmp_path: Path) -> None:
    r = sha256_repo
    head = r.git("rev-parse", "HEAD")
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    assert f'candidate = "{head}"' in (r.path / "releases/v1.0.0/request.toml").read_text()
    approve_all(r)
    report = tmp_path / "junit.xml"
    report.write_bytes(JUNIT_OK)
    assert r.gate("attach", "v1.0.0", "test-report", str(report)).code == 0
    res = r.gate("check", "v1.0.0", "--format", "json")
    assert res.code == 0, res.out
    assert json.loads(res.out)["candidate"] == head
    assert r.gate("tag", "v1.0.0").code == 0
    res = r.gate("check", "v1.0.0", "--format", "json")
    data = json.loads(res.out)
    assert res.code == 0, res.out
    assert len(data["tag_commit"]) == 64 and data["tag_commit"] == r.git("rev-parse", "HEAD")
    audit = json.loads(r.gate("audit", "--format", "json").out)
    (release,) = audit["releases"]
    assert all(len(a["commit"]) == 64 for a in release["approvals"])
    assert not release["anomalies"], release["anomalies"]
    receipt = r.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    assert receipt.code == 0, receipt.out
    status = json.loads(r.gate("status", "--format", "json").out)
    assert status["releases"][0]["stage"] == "tagged"


def test_append_only_and_refs_hold_in_sha256(sha256_repo: Repo) -> None:
    r = sha256_repo
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    assert r.gate("reject", "v1.0.0", "--role", "rnd", who="bob").code == 0
    reject = next((r.path / "releases/v1.0.0/approvals").glob("*reject*"))
    reject.unlink()
    r.commit("drop the reject", who="dave")
    res = r.gate("check", "v1.0.0", "--policy-ref", r.git("rev-parse", "HEAD"), "--format", "json")
    data = json.loads(res.out)
    assert res.code == 1
    records = next(g for g in data["gates"] if g["id"] == "records")
    assert any(reject.name in reason for reason in records["reasons"])
