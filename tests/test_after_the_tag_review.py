"""Records made after the tag, second review: who may settle what a shipped release owes
is the trusted line's to say (never a branch's own policy edit), a rename changes no one's
rules, a rejection forged in the name of someone who has left stands for nothing, and a
revoke after the tag frees no role that shipped. Each failed on the code before."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, Repo, approve_all, identity, make_repo
from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS
from test_after_the_tag import _shipped, emergency_shipped
from test_attack_policy_in_force import _signoff_at
from verdicts import check_json, gate_of, summary

LEADERS = '[roles.leadership]\nmembers = ["erin"]'  # main's leadership at the tag


def _grant(r: Repo, who: str, role: str) -> str:
    policy = (r.path / "policies/release.toml").read_text()
    held = f"[roles.{role}]\nmembers = ["
    assert held in policy
    r.write("policies/release.toml", policy.replace(held, f'{held}"{who}", ', 1))
    return r.commit(f"{who} joins {role}", who=who)


def test_a_branch_s_own_policy_edit_settles_a_retro_approval_under_policy_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mallory (in no role on main) opens a branch: puts herself in leadership, signs
    v1.0.0's retro-approval, reverts the policy. CI judges the branch with
    `--policy-ref main`: main's policy never made her leadership."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    _shipped(r, clock, emergency=True)
    good = (r.path / "policies/release.toml").read_text()
    r.git("checkout", "-q", "-b", "pr")
    _grant(r, "mallory", "leadership")
    clock.tick()
    _signoff_at(r, "mallory", "leadership", clock.now)
    clock.tick()
    r.write("policies/release.toml", good)
    r.commit("revert", who="mallory")
    clock.tick()
    _, data = check_json(r, "check", "v1.0.0", "--stage", "post-release", "--policy-ref", "main")
    reasons = gate_of(data, "retro:leadership")["reasons"]
    assert not any("settled" in x for x in reasons), reasons
    au = json.loads(r.gate("audit", "v1.0.0", "--format", "json", "--policy-ref", "main").out)
    retro = [x["retro"] for x in au["releases"][0]["exceptions"]]
    assert retro and "in time" not in retro, retro


def _obligations(r: Repo, tagged: datetime, clock: FixedClock) -> tuple[int, dict]:  # type: ignore[type-arg]
    clock.tick()
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.1.0")
    at = (tagged + timedelta(days=3)).isoformat()
    return check_json(r, "check", "v1.1.0", "--policy-ref", "main", "--at", at)


def _all_views(r: Repo, tagged: datetime) -> dict[str, object]:
    at = (tagged + timedelta(days=3)).isoformat()
    _, post = check_json(r, "check", "v1.0.0", "--stage", "post-release", "--at", at)
    post_ok = gate_of(post, "retro:leadership")["passed"]
    st = r.gate("status", "--format", "json", "--at", at)
    assert st.code in (0, 1), st.out + st.err
    v1 = next(x for x in json.loads(st.out)["releases"] if x["release"] == "v1.0.0")
    status_done = next(o for o in v1["obligations"] if o["gate"] == "retro:leadership")["done"]
    au = r.gate("audit", "v1.0.0", "--format", "json", "--policy-ref", "main")
    assert au.code in (0, 1), au.out + au.err
    return {"post": post_ok, "status": status_done, "audit": au.out[:0] or json.loads(au.out)}


def test_a_new_person_who_holds_the_role_now_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """frank joins after the tag (a person main's policy did not have at the tag) and takes
    leadership over from erin; his retro-approval settles v1.0.0 everywhere."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace(
        "[people.mallory]", '[people.frank]\nemail = "frank@example.com"\n[people.mallory]'
    ).replace(LEADERS, '[roles.leadership]\nmembers = ["frank"]')
    r.write("policies/release.toml", policy)
    r.commit("frank takes over leadership", who="alice")
    clock.tick()
    _signoff_at(r, "frank", "leadership", clock.now)
    clock.tick()
    views = _all_views(r, tagged)
    _, data = _obligations(r, tagged, clock)
    assert gate_of(data, "obligations")["passed"], summary(data)
    assert views["post"] and views["status"], views


def _signoff(
    r: Repo, who: str, role: str, decision: str, at: datetime, *, by: str = "", name: str = ""
) -> None:
    """A sign-off naming `who`, committed by `by` (default: `who`), dated `at`."""
    import hashlib
    import tomllib

    from conftest import identity

    request = (r.path / "releases/v1.0.0/request.toml").read_bytes()
    candidate = tomllib.loads(request.decode())["candidate"]
    r.write(
        f"releases/v1.0.0/approvals/{name or f'by-hand-{who}-{role}-{decision}'}.toml",
        f'schema = 1\nrelease = "v1.0.0"\nrole = "{role}"\ndecision = "{decision}"\n'
        f'person = "{who}"\ncandidate = "{candidate}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
        f'at = {at.isoformat()}\ncomment = ""\n',
    )
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", f"{who} {decision}", env=identity(by or who))


@pytest.mark.parametrize("forged", [False, True])
def test_a_rejection_in_the_name_of_someone_who_left_stands_only_if_made_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forged: bool
) -> None:
    """leadership is erin and mallory; erin leaves the company after v1.0.0's tag. A
    rejection forged in her name after she left (`forged`; a rejection by a person of the
    release's policy stood whatever its signature) stands for nothing: the policy of its
    day does not know her, and mallory's retro-approval settles. Her own rejection, made
    before the tag, stands until she revokes it, and her revoke after leaving is judged
    by the policy of its day like any record: it stays owed (fail closed; restore her to
    revoke, decisions.md)."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml",
        policy.replace(
            LEADERS,
            '[roles.leadership]\nmembers = ["erin", "mallory"]',
        ),
    )
    r.commit("mallory also leadership", who="alice")
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "one", "--risk", "major", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    if not forged:
        res = r.gate("reject", "v1.0.0", "--role", "leadership", "--comment", "no", who="erin")
        assert res.code == 0, res.out + res.err
        clock.tick()
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    clock.tick()
    res = r.gate("tag", "v1.0.0", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace('[people.erin]\nemail = "erin@example.com"\n', "").replace(
        'members = ["erin", "mallory"]', 'members = ["mallory"]'
    )
    r.write("policies/release.toml", policy)
    r.commit("erin left the company", who="alice")
    clock.tick()
    if forged:
        _signoff(r, "erin", "leadership", "reject", clock.now, by="mallory")
        clock.tick()
    _signoff(r, "erin", "leadership", "revoke", clock.now)  # committed by erin herself
    clock.tick()
    _signoff(r, "mallory", "leadership", "approve", clock.now)  # leadership then and now
    clock.tick()
    reasons = _debug_post(r, tagged)
    _, data = _obligations(r, tagged, clock)
    assert gate_of(data, "obligations")["passed"] is forged, reasons


@pytest.mark.parametrize("promoted_after_the_tag", [True, False])
def test_the_rnd_approver_of_a_shipped_release_does_not_also_settle_its_leadership_retro(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, promoted_after_the_tag: bool
) -> None:
    """bob's rnd approval is one of the two that shipped v1.0.0 (leadership waived by the
    emergency). bob is (promoted_after_the_tag: becomes) leadership too. After the tag he
    revokes his rnd approval (which changes nothing shipped: pre-tag gates are not judged
    after the tag) and approves as leadership: one person, two of the release's roles."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    both = '[roles.leadership]\nmembers = ["erin", "bob"]'

    def promote() -> None:
        policy = (r.path / "policies/release.toml").read_text()
        r.write("policies/release.toml", policy.replace(LEADERS, both))
        r.commit("bob also leadership", who="alice")
        clock.tick()

    if not promoted_after_the_tag:
        promote()
    clock.tick()
    tagged = _shipped(r, clock, emergency=True)
    if promoted_after_the_tag:
        promote()
    _signoff(r, "bob", "rnd", "revoke", clock.now)
    clock.tick()
    _signoff(r, "bob", "leadership", "approve", clock.now)
    clock.tick()
    _still_owed(r, tagged)


def _still_owed(r: Repo, tagged: datetime) -> None:
    """v1.0.0's retro-approval is not settled (checked three days after the tag)."""
    reasons = _debug_post(r, tagged)
    assert not any(x.startswith("settled") for x in reasons), reasons


def _debug_post(r: Repo, tagged: datetime) -> list:  # type: ignore[type-arg]
    at = (tagged + timedelta(days=3)).isoformat()
    _, post = check_json(r, "check", "v1.0.0", "--stage", "post-release", "--at", at)
    return gate_of(post, "retro:leadership")["reasons"]


@pytest.mark.parametrize(
    "broken", ["file", "symlink", "gitlink", "badutf8", "huge", "empty-dir-file"]
)
def test_a_record_landing_after_an_odd_policy_tree_is_judged_not_crashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """main's policies/ is odd for one commit, erin's retro-approval lands in the next,
    then it is fixed: every post-release view answers (exit 0/1), and agrees."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    good = (r.path / "policies/release.toml").read_bytes()
    r.git("rm", "-q", "-r", "policies")
    if broken == "file":
        r.write("policies", "not a folder\n")
    elif broken == "symlink":
        (r.path / "policies").mkdir()
        (r.path / "policies/release.toml").symlink_to("/etc/passwd")
    elif broken == "gitlink":
        sha = r.git("rev-parse", "HEAD")
        r.git("update-index", "--add", "--cacheinfo", f"160000,{sha},policies")
    elif broken == "badutf8":
        r.write("policies/release.toml", good + b"\n# \xff\xfe\n")
    elif broken == "huge":
        r.write("policies/release.toml", good + b"\n" + b"# " + b"x" * 30_000_000 + b"\n")
    elif broken == "empty-dir-file":
        r.write("policies/README", "no toml\n")
    r.git("add", "-A")
    r.git(
        "commit",
        "-q",
        "-m",
        "odd",
        env={
            "GIT_AUTHOR_NAME": "a",
            "GIT_AUTHOR_EMAIL": "alice@example.com",
            "GIT_COMMITTER_NAME": "a",
            "GIT_COMMITTER_EMAIL": "alice@example.com",
        },
    )
    clock.tick()
    _signoff_at(r, "erin", "leadership", clock.now)
    clock.tick()
    if (r.path / "policies").is_file() or (r.path / "policies").is_symlink():
        (r.path / "policies").unlink()
    r.git("rm", "-q", "-r", "--cached", "--ignore-unmatch", "policies")
    import shutil

    shutil.rmtree(r.path / "policies", ignore_errors=True)
    r.write("policies/release.toml", good)
    r.commit("fix policy", who="alice")
    clock.tick()
    views = _all_views(r, tagged)
    _, data = _obligations(r, tagged, clock)
    assert views["post"] and views["status"], views
    assert gate_of(data, "obligations")["passed"], summary(data)


@pytest.mark.parametrize("renamed", [False, True])
def test_the_requester_renamed_after_the_tag_does_not_settle_her_own_retro_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renamed: bool
) -> None:
    """carol requested v1.0.0. After the tag main takes leadership over from erin to
    carol; (`renamed`) the same commit also renames her `carol.s` (same email: a naming
    clean-up). Her retro-approval must be refused either way: she requested the release."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    name = "carol.s" if renamed else "carol"
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace(LEADERS, f'[roles.leadership]\nmembers = ["{name}"]')
    if renamed:
        policy = policy.replace("[people.carol]", '[people."carol.s"]').replace(
            '[roles.pm]\nmembers = ["carol"]', '[roles.pm]\nmembers = ["carol.s"]'
        )
    r.write("policies/release.toml", policy)
    r.commit("leadership to carol", who="alice")
    clock.tick()
    _signoff(r, name, "leadership", "approve", clock.now, by="carol")
    clock.tick()
    _still_owed(r, tagged)


def test_the_rnd_approver_renamed_after_the_tag_does_not_act_in_a_second_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob (rnd) approved v1.0.0. After the tag main renames him `robert` (same email) and
    makes him leadership: no revoke needed, one person now counts in two roles."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    policy = (r.path / "policies/release.toml").read_text()
    policy = (
        policy.replace("[people.bob]", "[people.robert]")
        .replace('[roles.rnd]\nmembers = ["bob"]', '[roles.rnd]\nmembers = ["robert"]')
        .replace(LEADERS, '[roles.leadership]\nmembers = ["robert"]')
    )
    r.write("policies/release.toml", policy)
    r.commit("bob is robert, and leadership", who="alice")
    clock.tick()
    _signoff(r, "robert", "leadership", "approve", clock.now, by="bob")
    clock.tick()
    _still_owed(r, tagged)


# -- a third review ---------------------------------------------------------------------------


def _promote_bob(r: Repo) -> None:
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml",
        policy.replace(
            LEADERS,
            '[roles.leadership]\nmembers = ["erin", "bob"]',
        ),
    )
    r.commit("bob also leadership", who="alice")


def test_a_post_tag_approval_dated_before_the_tag_takes_no_role_ahead_of_a_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob's rnd approval shipped v1.0.0. After the tag bob (now leadership too) signs the
    leadership retro-approval but dates it before his rnd approval: sign-offs applied by
    their claimed dates gave him leadership first and dropped the shipped rnd approval."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _promote_bob(r)
    clock.tick()
    _signoff(r, "bob", "leadership", "approve", tagged - timedelta(days=1))
    clock.tick()
    _still_owed(r, tagged)


def test_the_backdated_approval_settles_nothing_for_obligations_or_the_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, seen by `obligations` and `gate audit --policy-ref`."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _promote_bob(r)
    clock.tick()
    _signoff(r, "bob", "leadership", "approve", tagged - timedelta(days=1))
    clock.tick()
    au = json.loads(r.gate("audit", "v1.0.0", "--format", "json", "--policy-ref", "main").out)
    retro = [x["retro"] for x in au["releases"][0]["exceptions"]]
    assert retro and "in time" not in retro, retro
    _, data = _obligations(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)


def _edit(r: Repo, *pairs: tuple[str, str], msg: str = "policy") -> None:
    policy = (r.path / "policies/release.toml").read_text()
    for old, new in pairs:
        assert old in policy, old
        policy = policy.replace(old, new)
    r.write("policies/release.toml", policy)
    r.commit(msg, who="alice")


def test_a_renamed_leader_s_post_tag_rejection_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the tag main renames erin `erin.w` (same email, a naming clean-up) and adds
    mallory to leadership. erin.w rejects the retro-approval; mallory approves. The
    rejection was dropped with the rename's refusal (for approvals); it stands."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _edit(
        r,
        ("[people.erin]", '[people."erin.w"]'),
        (
            LEADERS,
            '[roles.leadership]\nmembers = ["erin.w", "mallory"]',
        ),
    )
    clock.tick()
    _signoff(r, "erin.w", "leadership", "reject", clock.now, by="erin")
    clock.tick()
    _signoff(r, "mallory", "leadership", "approve", clock.now)
    clock.tick()
    _still_owed(r, tagged)


def test_a_requester_renamed_then_moved_to_a_new_email_does_not_settle_her_own_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """carol requested v1.0.0. main renames her `carol.s` (same email), later moves her
    to a new email, then gives her leadership: comparing the day's policy with the
    release's alone, she settled her own release's retro-approval. The rename is followed
    back through the line's policies in between."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _edit(
        r,
        ("[people.carol]", '[people."carol.s"]'),
        ('[roles.pm]\nmembers = ["carol"]', '[roles.pm]\nmembers = ["carol.s"]'),
    )
    clock.tick()
    _edit(r, ('email = "carol@example.com"', 'email = "carol@new.example"'))
    clock.tick()
    _edit(r, (LEADERS, '[roles.leadership]\nmembers = ["carol.s"]'))
    clock.tick()
    env = {**identity("carol"), "GIT_AUTHOR_EMAIL": "carol@new.example"}
    _signoff(r, "carol.s", "leadership", "approve", clock.now, by="carol")
    r.git("commit", "-q", "--amend", "--no-edit", "--reset-author", env=env)  # the new email
    clock.tick()
    _still_owed(r, tagged)


@pytest.mark.parametrize("who", ["erin", "frank"])
def test_a_post_tag_rejection_is_not_lifted_by_its_author_s_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    """A rejection stands until its author revokes it; an approval does not lift it. For
    erin (a person of the release's policy) it held; for frank, who joined leadership
    after the tag, the rejection was kept as an 'approval' his own approval replaced."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _edit(
        r,
        ("[people.mallory]", '[people.frank]\nemail = "frank@example.com"\n[people.mallory]'),
        (
            LEADERS,
            '[roles.leadership]\nmembers = ["erin", "frank"]',
        ),
    )
    clock.tick()
    _signoff(r, who, "leadership", "reject", clock.now, name="x-reject")
    clock.tick()
    _signoff(r, who, "leadership", "approve", clock.now + timedelta(minutes=1))
    clock.tick()
    _still_owed(r, tagged)


def test_a_role_taken_after_the_tag_is_freed_by_its_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """frank joins after the tag, in product and leadership. He approves v1.0.0 as product
    by mistake (after the tag: nothing shipped in it), revokes, and approves as leadership.
    No role of his shipped, so his revoke frees it (one that shipped stays held)."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _edit(
        r,
        ("[people.mallory]", '[people.frank]\nemail = "frank@example.com"\n[people.mallory]'),
        (LEADERS, '[roles.leadership]\nmembers = ["frank"]'),
        (
            '[roles.product]\ntitle = "产品 / Product"\nmembers = ["alice"]',
            '[roles.product]\ntitle = "产品 / Product"\nmembers = ["alice", "frank"]',
        ),
    )
    clock.tick()
    _signoff(r, "frank", "product", "approve", clock.now, name="a1")
    clock.tick()
    _signoff(r, "frank", "product", "revoke", clock.now, name="a2")
    clock.tick()
    _signoff(r, "frank", "leadership", "approve", clock.now, name="a3")
    clock.tick()
    reasons = _debug_post(r, tagged)
    assert reasons[0].startswith("settled"), reasons


# -- a fourth review --------------------------------------------------------------------------


def test_a_requester_who_takes_a_departed_person_s_name_is_still_the_requester(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """carol requested v1.0.0. After the tag mallory leaves and carol (same email) takes
    the name `mallory`, then leadership. Following her back by the same name led to the
    departed mallory ("not renamed"); email and key are followed first."""
    r, clock, tagged = emergency_shipped(tmp_path, monkeypatch)
    _edit(
        r,
        ('[people.mallory]\nemail = "mallory@example.com"\n', ""),
        ("[people.carol]", "[people.mallory]"),
        ('[roles.pm]\nmembers = ["carol"]', '[roles.pm]\nmembers = ["mallory"]'),
        (LEADERS, '[roles.leadership]\nmembers = ["mallory"]'),
    )
    clock.tick()
    _signoff(r, "mallory", "leadership", "approve", clock.now, by="carol")
    clock.tick()
    _still_owed(r, tagged)


def test_a_rename_in_two_steps_before_a_release_branch_merges_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 is requested, approved and tagged on a release branch. Meanwhile main renames
    carol `carol.s`, then moves her to a new email; then main merges the release branch
    and gives carol.s leadership. back_to starts where the tagged commit was *taken in*
    (the merge), after both rename steps: the chain misses them."""
    from datetime import UTC, datetime, timedelta

    from conftest import FixedClock, make_repo
    from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS

    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    r.git("checkout", "-q", "-b", "release")
    tagged = _shipped(r, clock, emergency=True)
    r.git("checkout", "-q", "main")
    _edit(
        r,
        ("[people.carol]", '[people."carol.s"]'),
        ('[roles.pm]\nmembers = ["carol"]', '[roles.pm]\nmembers = ["carol.s"]'),
    )
    clock.tick()
    _edit(r, ('email = "carol@example.com"', 'email = "carol@new.example"'))
    clock.tick()
    r.git("merge", "-q", "--no-ff", "-m", "merge release", "release", env=identity("alice"))
    clock.tick()
    _edit(r, (LEADERS, '[roles.leadership]\nmembers = ["carol.s"]'))
    clock.tick()
    env = {**identity("carol"), "GIT_AUTHOR_EMAIL": "carol@new.example"}
    _signoff(r, "carol.s", "leadership", "approve", clock.now, by="carol")
    r.git("commit", "-q", "--amend", "--no-edit", "--reset-author", env=env)
    clock.tick()
    _still_owed(r, tagged)
