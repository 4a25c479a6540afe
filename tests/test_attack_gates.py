"""Review 2: the gates' meaning and the evidence. Each test asserts what design.md asks and
fails on the code as reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import JUNIT_FAIL, JUNIT_OK, FixedClock, Repo, approve_all, component_repo, make_repo
from snippets import POST_CHECK
from test_emergency import GATES as EMERGENCY
from verdicts import check_json, gate_of, hours_after


def test_a_post_check_made_before_the_tag_does_not_settle_the_obligation(
    tmp_path: Path,
) -> None:
    """上线后检查 must happen after the release: a `post-check` record committed (and dated)
    before the tag, in the tagged commit itself, is no post-release check. design.md:
    "上线后检查 / 上线后必须进行性能测试 — post-release check and performance test |
    post-release obligations, due within N hours of the tag"; "上线后检查 that must really
    happen"."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    # Written before anything shipped, by whoever likes (any person of the policy).
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", who="mallory")
    assert res.code == 0, res.err
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = datetime.now(UTC)
    _, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    assert not gate_of(post, "post-check")["passed"], gate_of(post, "post-check")
    # ... and so the next release is blocked by the overdue obligation.
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v1.1.0")
    _code, nxt = check_json(r, "check", "v1.1.0", "--at", hours_after(tagged, 49))
    assert not gate_of(nxt, "obligations")["passed"], gate_of(nxt, "obligations")


PERF_IF_MAJOR = """
[[gates]]
id = "perf"
type = "evidence"
kind = "perf-test"
stage = "post-release"
due_hours = 48
when = { risk = ["major"] }

[[gates]]
id = "obligations"
type = "obligations"
scope = "all"
"""


def test_revising_the_request_after_the_tag_does_not_switch_off_a_post_release_gate(
    tmp_path: Path,
) -> None:
    """A release shipped as `risk = major` owes its performance test. Revising the request
    after the tag (`--revise --risk low`; nothing refuses it) must not make that obligation
    "not required". design.md: gates are selected by the request ("conditional gate: `when`
    the request's risk is `major`"), and "an earlier release's overdue post-release gate
    ... blocks the next release"; what shipped was the major request the approvers
    signed."""
    r = make_repo(tmp_path, gates=PERF_IF_MAJOR)
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = datetime.now(UTC)
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    assert code == 1 and not gate_of(post, "perf")["passed"]  # overdue, as it should be
    # The requester revises the shipped release's request: refused; then past the hooks,
    # a proper revision written on a branch where the tag is not known.
    res = r.gate("request", "v1.0.0", "--revise", "--risk", "low", who="carol")
    assert res.code == 2 and "is tagged" in res.err, res.err
    r.git("tag", "-d", "v1.0.0")
    res = r.gate("request", "v1.0.0", "--revise", "--risk", "low", who="carol")
    assert res.code == 0, res.err
    r.git("tag", "-a", "v1.0.0", "-m", "shipped", "HEAD~1")
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    assert code == 1 and not gate_of(post, "perf")["passed"], gate_of(post, "perf")
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v1.1.0")
    code, nxt = check_json(r, "check", "v1.1.0", "--at", hours_after(tagged, 49))
    assert code == 1 and not gate_of(nxt, "obligations")["passed"], gate_of(nxt, "obligations")


def _next_release_is_blocked(r: Repo, tagged: datetime) -> dict[str, Any]:
    r.git("checkout", "-q", "main")
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v1.1.0")
    _code, nxt = check_json(
        r, "check", "v1.1.0", "--policy-ref", "main", "--at", hours_after(tagged, 49)
    )
    return nxt


def test_an_earlier_release_s_own_tree_policy_does_not_judge_its_obligations(
    tmp_path: Path,
) -> None:
    """v1.0.0's candidate carries a policy edit that drops the post-check gate (CI ignores
    it: it reads the policy at main, and v1.0.0 passes there). Its records are merged into
    main, main's policy kept. The next release's `obligations` gate must judge v1.0.0 under
    the trusted policy, which says its post-check is overdue. design.md: "in CI the policy
    is read from a trusted ref ..., never from the tree being released, so a release cannot
    weaken its own policy"."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    r.git("checkout", "-q", "-b", "release-1.0")
    policy = (r.path / "policies/release.toml").read_text()
    weak = policy.split('[[gates]]\nid = "post-check"')[0]
    r.write("policies/release.toml", weak)
    r.commit("release 1.0 prep")
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = datetime.now(UTC)
    assert r.gate("check", "v1.0.0", "--policy-ref", "main", "--at", "now").code == 0
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "--no-commit", "release-1.0")
    r.git("checkout", "main", "--", "policies/release.toml")  # main's policy unchanged
    r.commit("merge release 1.0 records")
    assert "post-check" in (r.path / "policies/release.toml").read_text()
    # Under the trusted policy v1.0.0's post-check is overdue ...
    code, post = check_json(
        r,
        "check",
        "v1.0.0",
        "--stage",
        "post-release",
        "--policy-ref",
        "main",
        "--at",
        hours_after(tagged, 49),
    )
    assert code == 1 and not gate_of(post, "post-check")["passed"]
    # ... so the next release is blocked.
    nxt = _next_release_is_blocked(r, tagged)
    assert not gate_of(nxt, "obligations")["passed"], gate_of(nxt, "obligations")
    assert nxt["passed"] is False


def _tested(r: Repo, tag: str, xml: bytes = JUNIT_OK, who: str = "dave") -> None:
    report = r.path.parent / "report.xml"
    report.write_bytes(xml)
    res = r.gate("attach", tag, "test-report", str(report), "--force", who=who)
    assert res.code == 0, res.err


def test_deleting_the_emergency_declaration_on_main_does_not_cancel_the_retro_obligation(
    tmp_path: Path,
) -> None:
    """billing/v1.0.0 shipped in an emergency, its approvals waived; the retro-approval never
    comes. Deleting the declaration on main (hook skipped) makes v1.0.0's records fail, but
    the next billing release's `obligations` gate only looks at post-release gates, and with
    no declaration at HEAD there are no retro gates: it passes. design.md: "Records are
    append-only, and `gate check` enforces it"; "an earlier release's overdue post-release
    gate (or unsettled emergency) blocks the next release of the same component"."""
    r = component_repo(tmp_path, EMERGENCY)
    assert r.gate("request", "billing/v1.0.0", "--title", "hotfix", who="carol").code == 0
    _tested(r, "billing/v1.0.0")
    res = r.gate("emergency", "billing/v1.0.0", "--reason", "payments down", who="erin")
    assert res.code == 0, res.err
    assert r.gate("tag", "billing/v1.0.0", who="dave").code == 0
    tagged = datetime.now(UTC)
    assert r.gate("request", "billing/v1.1.0", "--title", "next", who="carol").code == 0
    approve_all(r, "billing/v1.1.0")
    _tested(r, "billing/v1.1.0")
    code, nxt = check_json(
        r, "check", "billing/v1.1.0", "--policy-ref", "main", "--at", hours_after(tagged, 49)
    )
    assert code == 1 and not gate_of(nxt, "obligations")["passed"]  # as it should
    r.git("rm", "-r", "-q", "releases/billing/v1.0.0/emergency")
    r.git("commit", "-q", "--no-verify", "-m", "tidy", env={"GIT_AUTHOR_NAME": "m"})
    code, nxt = check_json(
        r, "check", "billing/v1.1.0", "--policy-ref", "main", "--at", hours_after(tagged, 49)
    )
    assert not gate_of(nxt, "obligations")["passed"], gate_of(nxt, "obligations")
    assert code == 1


LEADERSHIP = """
[[gates]]
id = "leadership"
type = "approval"
roles = ["leadership"]
min_each = 1
when = { risk = ["major"] }
"""


def test_a_leadership_rejection_stands_after_the_request_is_revised_to_a_lower_risk(
    tmp_path: Path,
) -> None:
    """重大项目: leadership rejects the major release. The requester revises the request to
    `risk = normal` (a proper revision chain), the leadership gate no longer applies, the
    rejection is counted by no gate and the release passes. design.md: "A rejection stands
    until its author revokes it, whatever request revision or candidate it was bound to";
    "A negative record ... can never be neutralised by deleting, editing, re-binding or
    out-dating it"."""
    r = make_repo(tmp_path, gates=LEADERSHIP)
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    approve_all(r, "v1.0.0")
    res = r.gate("reject", "v1.0.0", "--role", "leadership", "--comment", "not now", who="erin")
    assert res.code == 0, res.err
    assert r.gate("check", "v1.0.0").code == 1
    res = r.gate("request", "v1.0.0", "--revise", "--risk", "normal", who="carol")
    assert res.code == 0, res.err
    approve_all(r, "v1.0.0")  # product and R&D approve the new revision
    code, data = check_json(r, "check", "v1.0.0")
    assert code == 1, [(g["id"], g["passed"], g["reasons"][:1]) for g in data["gates"]]
    assert any("rejected by erin" in " ".join(g["reasons"]) for g in data["gates"])


BILLING = """
[[gates]]
id = "billing-pm"
title = "计费组件升级 / billing component upgrade: PM signs off"
type = "approval"
roles = ["pm"]
min_each = 1
when = { component = ["billing"] }
"""


@pytest.mark.parametrize("declared", [[], ["--component", "web"]])
def test_a_component_tagged_release_cannot_declare_itself_another_component(
    tmp_path: Path, declared: list[str]
) -> None:
    """`billing/v2.0.0` is a release of the billing component (its tag says so; `obligations`
    and `when.paths` treat it as billing by that prefix), but its request declares no
    component, or `web`, and the billing gate never applies. design.md: "Release —
    identified by its tag name, e.g. ... `billing/v2.3.1` (a component prefix is allowed)";
    003's "计费产品独立的组件升级 ... components with their own tags"; "No Unicode confusable
    can dodge a `when`" — nor should a plain mis-declaration."""
    r = component_repo(tmp_path, BILLING)
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml",
        policy.replace("schema = 1", 'schema = 1\ncomponents = ["billing", "web"]'),
    )
    r.commit("declare components")
    tag = "billing/v2.0.0"
    res = r.gate("request", tag, "--title", "charge rework", "--component", "web", who="carol")
    assert res.code == 2 and "the tag names component 'billing'" in res.err, res.err
    res = r.gate("request", tag, "--title", "charge rework", who="carol")
    assert res.code == 0, res.err
    request = r.path / "releases/billing/v2.0.0/request.toml"
    assert 'component = "billing"' in request.read_text()  # taken from the tag
    # Written by hand past the hooks (signatures = "none": nothing else to forge).
    said = f'component = "{declared[1]}"' if declared else 'component = ""'
    request.write_text(request.read_text().replace('component = "billing"', said))
    r.git("commit", "-q", "--amend", "--no-edit", "--no-verify", "-a")
    approve_all(r, tag)
    code, data = check_json(r, "check", tag)
    assert code == 1, [(g["id"], g["passed"], g["reasons"][:1]) for g in data["gates"]]
    assert not gate_of(data, "request")["passed"], gate_of(data, "request")


def test_the_requester_cannot_waive_their_own_release_s_sign_offs_by_an_emergency(
    tmp_path: Path,
) -> None:
    """dave (ops, an emergency role) requests v1.0.0 and declares the emergency himself: the
    acceptance gate is waived on his word alone. design.md: "the requester cannot approve
    their own release unless the policy allows it"; "The requester (and whoever committed
    the request) can't approve it" — a break-glass declaration that waives every sign-off is
    an approval by another name, and must come from someone else."""
    r = make_repo(tmp_path, gates=EMERGENCY.replace('scope = "component"', 'scope = "all"'))
    assert r.gate("request", "v1.0.0", "--title", "hotfix", who="dave").code == 0
    _tested(r, "v1.0.0")
    res = r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave")
    assert res.code == 2 and "may not declare" in res.err, res.err
    # Past the hooks: the declaration written by hand and committed as dave.
    import hashlib
    import tomllib

    from conftest import identity

    request = (r.path / "releases/v1.0.0/request.toml").read_bytes()
    candidate = tomllib.loads(request.decode())["candidate"]
    r.write(
        "releases/v1.0.0/emergency/by-hand-dave.toml",
        f'schema = 1\nrelease = "v1.0.0"\nperson = "dave"\nreason = "prod down"\n'
        f'ticket = ""\ncandidate = "{candidate}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
        f"at = {datetime.now(UTC).isoformat()}\n",
    )
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "dave by hand", env=identity("dave"))
    code, data = check_json(r, "check", "v1.0.0")
    " ".join(gate_of(data, "acceptance")["reasons"])
    assert code == 1 and not gate_of(data, "acceptance")["passed"], gate_of(data, "acceptance")


def test_a_withdrawn_release_stays_ended(tmp_path: Path) -> None:
    """`gate request TAG --withdraw` "ends a release that will not ship"; one more
    `--revise` must not bring it back (with its lead time counted from revision 1).
    design.md: "`gate request TAG --withdraw --reason TEXT` ends a release that will not
    ship (stage `withdrawn`); the tag name stays used"."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    res = r.gate("request", "v1.0.0", "--withdraw", "--reason", "cancelled", who="carol")
    assert res.code == 0, res.err
    # gate itself keeps the withdrawal in a further revision; an insider writes revision 3
    # by hand, properly chained, without it (the requester signs their own request).
    import hashlib
    import re as _re

    path = r.path / "releases/v1.0.0/request.toml"
    old = path.read_bytes()
    text = old.decode()
    text = _re.sub(r"(?m)^withdrawn = .*\n", "", text)
    text = _re.sub(r"(?m)^revision = \d+$", "revision = 3", text)
    text = _re.sub(
        r'(?m)^supersedes = ".*"$', f'supersedes = "{hashlib.sha256(old).hexdigest()}"', text
    )
    text = _re.sub(r"(?m)^signature = .*\n", "", text)
    path.write_text(text)
    r.git("add", "-A")
    r.git(
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "revive",
        env={"GIT_AUTHOR_EMAIL": "carol@example.com", "GIT_COMMITTER_EMAIL": "carol@example.com"},
    )
    approve_all(r, "v1.0.0")
    code, data = check_json(r, "check", "v1.0.0")
    assert code == 1, [(g["id"], g["passed"], g["reasons"][:1]) for g in data["gates"]]


def test_a_tag_dated_before_the_emergency_it_relies_on_fails_the_tag_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tag claims a date before the emergency declaration that waives its approvals.
    The push-time check (`--at now`) counts the declaration and waives `acceptance`, but the
    tag gate never compares the tagger date with a declaration's `at`; and the retro
    obligation is computed at the tagger date, when no declaration counted, so nothing is
    ever due again. design.md: "A tag whose tagger date is earlier than ... the `at` of any
    record it counts ... fails the `tag` gate"; "each failing pre-tag gate not in
    `never_waive` is reported `waived` ... and becomes a post-release obligation"."""
    r = make_repo(tmp_path, gates=EMERGENCY.replace('scope = "component"', 'scope = "all"'))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    clock = FixedClock(monkeypatch, start, timedelta(minutes=1))
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "hotfix", who="carol").code == 0
    clock.tick()
    _tested(r, "v1.0.0")
    clock.now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    clock.tick()
    res = r.gate("emergency", "v1.0.0", "--reason", "prod down", who="erin")
    assert res.code == 0, res.err
    early = f"@{int((start + timedelta(minutes=30)).timestamp())} +0000"
    monkeypatch.setenv("GIT_COMMITTER_DATE", early)
    monkeypatch.setenv("GIT_AUTHOR_DATE", early)
    r.git("commit", "-q", "--amend", "--no-edit", "--no-verify")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    code, data = check_json(r, "check", "v1.0.0", "--policy-ref", "main", "--at", "now")
    assert gate_of(data, "acceptance")["waived"]  # the push run leans on the declaration
    tagged = start + timedelta(minutes=30)
    _, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    retro = [g["id"] for g in post["gates"] if g["id"].startswith("retro:")]
    assert code == 1 and not gate_of(data, "tag")["passed"], (gate_of(data, "tag"), retro)
    assert retro == ["retro:acceptance"], retro


def test_by_roles_holds_for_every_evidence_kind(tmp_path: Path) -> None:
    """`by_roles` was a key of launch-notice and custom kinds only: any person of the
    policy could supersede QA's failing test report with a passing one, or do the
    post-release check. Now every kind takes it: only the roles' records satisfy the
    gate, and anyone's failing record still fails it."""
    from test_evidence import _file

    gates = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\nby_roles = ["ops"]\n'
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r)
    ok, bad = _file(tmp_path, "ok.xml", JUNIT_OK), _file(tmp_path, "bad.xml", JUNIT_FAIL)
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force", who="dave").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="mallory").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out  # QA's failure stands
    assert r.gate("attach", "v1.0.0", "test-report", ok, who="dave").code == 0
    assert r.gate("check", "v1.0.0").code == 0
    assert r.gate("attach", "v1.0.0", "test-report", bad, "--force", who="mallory").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tests" in res.out, res.out  # anyone's failure fails it


def test_a_launch_notice_must_be_the_roles_and_not_empty_at_once(tmp_path: Path) -> None:
    """One empty notice by product and a full one by someone else passed: the role and the
    content were checked on different notices."""
    from test_evidence import _file, _ready

    gates = (
        '[[gates]]\nid = "notice"\ntype = "evidence"\nkind = "launch-notice"\n'
        'by_roles = ["product"]\n'
    )
    r = _ready(tmp_path, gates)
    empty, full = _file(tmp_path, "e.md", b"  \n"), _file(tmp_path, "f.md", "# 通告\n".encode())
    assert r.gate("attach", "v1.0.0", "launch-notice", empty, "--force", who="alice").code == 0
    assert r.gate("attach", "v1.0.0", "launch-notice", full, "--force", who="bob").code == 0
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] notice" in res.out, res.out
    assert r.gate("attach", "v1.0.0", "launch-notice", full, who="alice").code == 0
    assert r.gate("check", "v1.0.0").code == 0
