"""Telling people what to do next: who a gate waits on, what command unblocks it, and
refusing — before writing — records that could never count."""

from __future__ import annotations

import json
from typing import Any

from conftest import Repo, approve_all, make_repo, policy_text

TESTS_GATE = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'


def _gate(r: Repo, gate_id: str) -> dict[str, Any]:
    data = json.loads(r.gate("check", "v1.0.0", "--format", "json").out)
    return next(g for g in data["gates"] if g["id"] == gate_id)


def test_a_failing_approval_gate_names_who_can_unblock_it(repo: Repo) -> None:
    policy = policy_text().replace('members = ["bob"]', 'members = ["bob", "carol"]')
    repo.write("policies/release.toml", policy)
    repo.commit("carol joins rnd")
    assert repo.gate("request", "v1.0.0", "--title", "t", who="dave").code == 0
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    gate = _gate(repo, "acceptance")
    assert gate["waiting_on"] == [
        {"person": "bob", "role": "rnd"},
        {"person": "carol", "role": "rnd"},
    ]
    assert "waiting on: bob or carol (rnd)" in repo.gate("check", "v1.0.0").out
    assert repo.gate("reject", "v1.0.0", "--role", "rnd", who="bob").code == 0
    gate = _gate(repo, "acceptance")
    assert gate["waiting_on"] == [{"person": "bob", "role": "rnd"}]
    assert "waiting on: bob (rnd) to revoke the rejection" in gate["reasons"]


def test_a_missing_evidence_gate_says_the_command(tmp_path: Any) -> None:
    r = make_repo(tmp_path, gates=TESTS_GATE)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    gate = _gate(r, "tests")
    assert gate["reasons"][0] == "no valid test-report evidence"
    assert gate["reasons"][1].startswith("next: gate attach v1.0.0 test-report report.xml")
    assert gate["waiting_on"] == []


def test_writing_commands_refuse_records_that_could_never_count(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t", who="dave").code == 0
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    before = repo.state()
    cases = [
        (("approve", "v1.0.0", "--role", "product"), "alice", "already approves v1.0.0"),
        (("revoke", "v1.0.0", "--role", "rnd"), "bob", "no standing approval or rejection"),
        (("attach", "v1.0.0", "backups", "--set", "target=db"), "dave", "did you mean 'backup'"),
    ]
    for args, who, said in cases:
        res = repo.gate(*args, who=who)
        assert res.code == 2 and said in res.err, (args, res.err)
        assert repo.state() == before  # nothing written, staged or committed
