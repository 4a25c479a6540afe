"""The whole flow through the CLI: request, sign-offs, evidence, check, tag, status."""

from __future__ import annotations

import json

from conftest import JUNIT_OK, Repo, approve_all, make_repo


def test_request_approve_check_tag(repo: Repo) -> None:
    res = repo.gate("request", "v1.0.0", "--title", "First", "--summary", "hello")
    assert res.code == 0, res.err
    assert "releases/v1.0.0/request.toml" in res.out
    assert repo.git("log", "-1", "--format=%s") == "gate: request v1.0.0: First"
    failed = repo.gate("check", "v1.0.0")
    assert failed.code == 1
    assert "role 'product' has 0 of 1 approvals" in failed.out
    approve_all(repo)
    passed = repo.gate("check", "v1.0.0")
    assert passed.code == 0, passed.out
    assert "approved by alice as product (unverified)" in passed.out
    tagged = repo.gate("tag", "v1.0.0")
    assert tagged.code == 0, tagged.err
    assert repo.git("cat-file", "-t", "v1.0.0") == "tag"
    at_tag = repo.gate("check", "v1.0.0")
    assert at_tag.code == 0 and "annotated tag on" in at_tag.out and ", signed" not in at_tag.out
    assert repo.gate("tag", "v1.0.0").code == 2  # release tags are never moved
    assert repo.gate("status").out.split()[:2] == ["v1.0.0", "tagged"]


def test_each_sign_off_is_one_commit_with_one_file(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    before = int(repo.git("rev-list", "--count", "HEAD"))
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    assert int(repo.git("rev-list", "--count", "HEAD")) == before + 1
    files = repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert len(files) == 1 and files[0].startswith("releases/v1.0.0/approvals/")
    assert repo.git("log", "-1", "--format=%s") == "gate: alice approves v1.0.0 as product"


def test_no_commit_stages_only(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD")
    assert repo.gate("request", "v1.0.0", "--title", "x", "--no-commit").code == 0
    assert repo.git("rev-parse", "HEAD") == head
    assert "A  releases/v1.0.0/request.toml" in repo.git("status", "--porcelain")


def test_json_shape(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    res = repo.gate("check", "v1.0.0", "--format", "json")
    data = json.loads(res.out)
    assert {"release", "candidate", "tag_commit", "policy_ref", "passed", "gates"} <= set(data)
    assert data["release"] == "v1.0.0"
    assert data["passed"] is False
    assert data["tag_commit"] is None
    assert len(data["candidate"]) == 40 and len(data["policy_ref"]) == 40
    gate = next(g for g in data["gates"] if g["id"] == "acceptance")
    assert {"id", "title", "passed", "reasons"} <= set(gate)
    assert gate["id"] == "acceptance" and gate["passed"] is False


def test_markdown_table(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    res = repo.gate("check", "--tag", "v1.0.0", "--format", "markdown")
    assert res.code == 1
    assert "| gate | result | reasons |" in res.out
    assert "| `acceptance`" in res.out and "❌ fail" in res.out


def test_check_without_tag_finds_the_release_of_head(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    approve_all(repo)
    assert repo.gate("check").code == 0
    repo.write("app.py", "print('v2')\n")
    repo.commit("more code")
    res = repo.gate("check")
    assert res.code == 2 and "releases: v1.0.0" in res.err


def test_tag_refused_when_gates_fail(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    res = repo.gate("tag", "v1.0.0")
    assert res.code == 1
    assert repo.git("tag", "-l") == ""


def test_all_tags(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "First")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    assert repo.gate("check", "--all-tags").code == 0
    repo.git("tag", "-a", "-m", "sneaky", "v9.9.9")
    res = repo.gate("check", "--all-tags", "--format", "json")
    assert res.code == 1
    data = json.loads(res.out)
    assert [r["passed"] for r in data["releases"]] == [True, False]


def test_evidence_flow_with_test_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = make_repo(
        tmp_path, gates='[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'
    )
    r.gate("request", "v1.0.0", "--title", "t")
    approve_all(r)
    report = tmp_path / "junit.xml"
    report.write_bytes(JUNIT_OK)
    res = r.gate("attach", "v1.0.0", "test-report", str(report))
    assert res.code == 0, res.err
    stored = [p for p in r.git("ls-files", "releases").splitlines() if p.endswith(".xml")]
    assert len(stored) == 1
    assert (r.path / stored[0]).read_bytes() == JUNIT_OK
    assert r.gate("check", "v1.0.0").code == 0


def test_init_writes_template_with_me_and_my_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    r = Repo(tmp_path / "fresh")
    r.path.mkdir()
    r.git("init", "-q")
    r.write("app.py", "x = 1\n")
    r.commit("code")
    key = tmp_path / "id_alice"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    r.git("config", "user.signingkey", str(key))
    res = r.gate("init", "--template", "standard", who="alice")
    assert res.code == 0, res.err
    text = (r.path / "policies/release.toml").read_text()
    assert 'email = "alice@example.com"' in text and "双重验收" in text
    pub = " ".join(key.with_name("id_alice.pub").read_text().split()[:2])
    assert f'keys = ["{pub}"]' in text and 'signatures = "ssh"' in text
    assert r.gate("request", "v1.0.0", "--title", "x", who="alice").code == 0
    request = (r.path / "releases/v1.0.0/request.toml").read_text()
    assert "-----BEGIN SSH SIGNATURE-----" in request
    again = r.gate("init", who="alice")
    assert again.code == 2 and "already exists" in again.err


def test_schema_commands() -> None:
    from gatekeeper.cli import main

    for which in ("request", "approval", "evidence", "policy"):
        assert main(["schema", which]) == 0
    assert main(["schema", "nope"]) == 2


def test_status_derives_every_stage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    notice_gate = '[[gates]]\nid = "notice"\ntype = "evidence"\nkind = "launch-notice"\n'
    r = make_repo(tmp_path, gates=notice_gate)
    notice = tmp_path / "notice.md"
    notice.write_text("# 上线通告\n")
    for tag in ("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0"):
        assert r.gate("request", tag, "--title", tag).code == 0
    for tag in ("v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0"):
        approve_all(r, tag)
        assert r.gate("attach", tag, "launch-notice", str(notice), who="alice").code == 0
    for tag in ("v1.2.0", "v1.3.0", "v1.4.0"):
        assert r.gate("tag", tag).code == 0
    r.gate("attach", "v1.3.0", "post-check", "--set", "result=pass")
    r.gate("attach", "v1.4.0", "rollback", "--set", "result=pass", "--set", "summary=db slow")
    r.gate("reject", "v1.5.0", "--role", "pm", who="carol")
    stages = {
        row["release"]: row["stage"]
        for row in json.loads(r.gate("status", "--format", "json").out)["releases"]
    }
    assert stages == {
        "v1.0.0": "requested",
        "v1.1.0": "approved",
        "v1.2.0": "launched",
        "v1.3.0": "verified",
        "v1.4.0": "rolled back",
        "v1.5.0": "rejected",
    }
