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


def test_a_withdrawn_release_ends_and_its_name_stays_used(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    assert repo.gate("request", "v1.0.0", "--withdraw").code == 2  # a reason is required
    res = repo.gate("request", "v1.0.0", "--withdraw", "--reason", "superseded by v1.0.1")
    assert res.code == 0, res.err
    gate = _gate(repo, "request")
    assert gate["passed"] is False
    assert "withdrawn by dave: superseded by v1.0.1" in gate["reasons"]
    status = json.loads(repo.gate("status", "--format", "json").out)
    assert status["releases"][0]["stage"] == "withdrawn"
    assert repo.gate("tag", "v1.0.0").code == 1
    assert repo.gate("request", "v1.0.0", "--title", "again").code == 2


def test_init_names_you_after_your_email(tmp_path: Any) -> None:
    r = Repo(tmp_path / "fresh")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    res = r.gate("init", who="dave.o")  # git's author: dave.o@example.com
    assert res.code == 0 and "you are person 'dave-o'" in res.out
    policy = (r.path / "policies/release.toml").read_text()
    assert "[people.dave-o]" in policy and 'members = ["dave-o"]' in policy
    assert '"you"' not in policy and "[people.you]" not in policy


def test_attach_refuses_a_backup_that_could_never_count(tmp_path: Any) -> None:
    gate = (
        '[[gates]]\nid = "backup"\ntype = "evidence"\nkind = "backup"\n'
        'targets = ["database"]\nmax_age_hours = 24\n'
    )
    r = make_repo(tmp_path, gates=gate)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    before = r.state()
    res = r.gate("attach", "v1.0.0", "backup", "--set", "target=db", "--set", "location=s3://x")
    assert res.code == 2 and "target 'db' is not one of database" in res.err
    old = (
        "--set",
        "target=database",
        "--set",
        "location=s3://x",
        "--set",
        "taken_at=2020-01-01T00:00:00Z",
    )
    res = r.gate("attach", "v1.0.0", "backup", *old)
    assert res.code == 2 and "backup of 'database' is" in res.err and "at most 24 h" in res.err
    assert r.state() == before
    fresh = ("--set", "target=database", "--set", "location=s3://x")
    assert r.gate("attach", "v1.0.0", "backup", *fresh).code == 0


def test_a_missing_request_says_did_you_mean_or_where_it_is(repo: Repo) -> None:
    assert repo.gate("request", "v1.4.0", "--title", "t").code == 0
    res = repo.gate("check", "v1.4.1")
    assert res.code == 1 and "no request for 'v1.4.1'" in res.out and "v1.4.0" in res.out
    repo.git("checkout", "-q", "-b", "release/2.0")
    assert repo.gate("request", "v2.0.0", "--title", "t").code == 0
    repo.git("checkout", "-q", "main")
    res = repo.gate("approve", "v2.0.0", "--role", "product", who="alice")
    assert res.code == 2 and "it is on release/2.0" in res.err
    assert "the requester files it first" in res.err


def test_names_people_read_are_understood_or_explained(tmp_path: Any) -> None:
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    # The role's title, as every screen shows it, works as --role.
    res = r.gate("approve", "v1.0.0", "--role", "产品", who="alice")
    assert res.code == 0 and "alice approves v1.0.0 as product" in res.out
    res = r.gate("check", "V1.0.0")
    assert res.code == 2 and "did you mean 'v1.0.0'" in res.err
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace("[people.mallory]", '[people."张三"]'))
    r.commit("a person id in Chinese")
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "ids are ASCII names" in res.err and "`name = ...`" in res.err


def test_stale_says_the_ways_forward_and_binding_ignore_exempts_docs(tmp_path: Any) -> None:
    r = make_repo(tmp_path, extra='binding = { ignore = ["docs/**", "*.md"] }')
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    r.write("docs/guide.md", "how to\n")
    r.write("README.md", "readme\n")
    r.commit("docs after sign-off")
    assert r.gate("check", "v1.0.0").code == 0  # exempt by the policy
    r.write("app.py", "print('changed')\n")
    r.commit("code after sign-off")
    gate = _gate(r, "acceptance")
    assert gate["passed"] is False
    assert "in: app.py —" in gate["reasons"][0]
    assert "gate request v1.0.0 --revise --candidate HEAD" in gate["reasons"][0]


def test_binding_ignore_never_exempts_policies_or_releases(tmp_path: Any) -> None:
    r = make_repo(tmp_path, extra='binding = { ignore = ["policies/*"] }')
    res = r.gate("check", "v1.0.0")
    assert res.code == 2 and "binding.ignore[0]: 'policies/*' would exempt policies/" in res.err


def test_an_uncommitted_policy_edit_is_named(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    policy = repo.path / "policies/release.toml"
    policy.write_text(policy.read_text() + "\n# being edited\n")
    res = repo.gate("check", "v1.0.0")
    assert "policies/release.toml has uncommitted changes; gate reads the committed policy" in (
        res.out
    )
    res = repo.gate("validate")
    assert res.code == 0 and "policies/release.toml has changes that are not staged" in res.err


def test_installed_hooks_find_gate_outside_the_virtualenv(repo: Repo) -> None:
    import os
    import subprocess

    assert repo.gate("init", "--hooks").code == 0
    hook = repo.path / ".git/hooks/pre-commit"
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no virtualenv on PATH, as git runs hooks
    proc = subprocess.run([str(hook)], cwd=repo.path, env=env, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"not found" not in proc.stderr


def test_init_hooks_beside_a_pre_commit_hook_says_how_to_chain(repo: Repo) -> None:
    hook = repo.path / ".git/hooks/pre-commit"
    hook.write_text("#!/usr/bin/env bash\n# File generated by pre-commit\nINSTALL_PYTHON=/x\n")
    res = repo.gate("init", "--hooks")
    assert res.code == 2 and ".pre-commit-config.yaml" in res.err and "gate-validate" in res.err


def test_colour_on_a_terminal_and_never_with_no_color(repo: Repo) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    gate = str(Path(sys.executable).with_name("gate"))

    def on_a_terminal(**env: str) -> bytes:
        main, child = os.openpty()
        subprocess.run(
            [gate, "-C", str(repo.path), "check", "v1.0.0"],
            stdout=child,
            env={**os.environ, **env},
            check=False,
        )
        os.close(child)
        return os.read(main, 65536)

    assert b"\x1b[1;31m[FAIL]\x1b[0m" in on_a_terminal()
    assert b"\x1b[" not in on_a_terminal(NO_COLOR="1")
    assert "\x1b[" not in repo.gate("check", "v1.0.0").out  # not a terminal: plain text
