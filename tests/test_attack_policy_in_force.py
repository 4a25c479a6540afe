"""Which policy an earlier release is judged under for `obligations` (check/earlier.py),
attacked in two review rounds: the commit that took it in, the commit it was built on, a
maintenance branch, a squash merge, a retro-approval. Each test asserts the right
behaviour and failed on the code it was written against (two are known gaps, xfail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, Repo, approve_all, identity, make_repo
from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS
from verdicts import check_json, gate_of, summary

PERF = """
[[gates]]
id = "perf"
type = "evidence"
kind = "perf-test"
stage = "post-release"
due_hours = 48
"""


def _release_on_branch(r: Repo, clock: FixedClock, tag: str = "v1.0.0") -> datetime:
    """`tag` requested, approved and tagged on branch `rel` (forked from main), the tag
    judged under main's policy as CI would (`--policy-ref main`); back on main after."""
    r.git("checkout", "-q", "-b", "rel")
    r.write("app.py", "print('release')\n")
    r.commit("release work", who="bob")
    clock.tick()
    assert r.gate("request", tag, "--title", "one", who="carol").code == 0
    clock.tick()
    approve_all(r, tag)
    clock.tick()
    res = r.gate("tag", tag, "--policy-ref", "main", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    r.git("checkout", "-q", "main")
    return tagged


def obligations_at(r: Repo, tagged: datetime, clock: FixedClock) -> tuple[int, dict]:  # type: ignore[type-arg]
    """v1.1.0 requested and approved, checked as CI would three days after `tagged`."""
    _next_release(r, clock)
    at = (tagged + timedelta(days=3)).isoformat()
    return check_json(r, "check", "v1.1.0", "--policy-ref", "main", "--at", at)


def _next_release(r: Repo, clock: FixedClock, tag: str = "v1.1.0") -> None:
    clock.tick()
    assert r.gate("request", tag, "--title", "two", who="carol").code == 0
    clock.tick()
    approve_all(r, tag)


def test_a_merge_that_takes_a_release_in_does_not_choose_the_policy_it_is_judged_under(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 is tagged on a release branch and ships under main's policy, which asks a
    post-release `perf` report; none is made. Whoever merges the branch back resolves
    policies/ in the merge commit to a copy without `perf` (an evil merge: main's first
    parent never had it) and restores it in the next commit: main's policy and the net diff
    are as they were. The merge is "the commit that brought the released commit in", so
    v1.0.0 is read under the merge's own tree and owes nothing: v1.1.0 is not blocked.
    A merge's result is not the policy main had when it took the release in; its first
    parent is (and nothing a merge resolves should decide what a shipped release owes)."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + PERF)
    strong = (r.path / "policies/release.toml").read_text()
    clock.tick()
    tagged = _release_on_branch(r, clock)
    r.write("README.md", "main moves on\n")
    r.commit("main work", who="bob")
    clock.tick()
    r.git("merge", "-q", "--no-ff", "--no-commit", "rel")
    r.write("policies/release.toml", strong.replace(PERF, ""))  # the evil resolution
    r.commit("Merge branch 'rel'", who="mallory")
    clock.tick()
    r.write("policies/release.toml", strong)
    r.commit("restore", who="mallory")
    code, data = obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


def test_a_post_release_gate_added_before_a_release_branch_is_merged_back_is_not_owed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ordinary release-branch flow: v1.0.0 is tagged on `rel` and ships under main's
    policy, which has no post-release gate. A day later main adds a `perf` report for the
    releases to come; then `rel` is merged back (as it must, or its records never reach
    main). The merge is where main took v1.0.0 in, so v1.0.0 is judged under a policy it
    never shipped under, owes `perf` since 48 h after its tag, and blocks every release
    until someone files a performance report for a release shipped before the rule
    existed (the very case decisions.md says cannot happen: "a post-release gate added
    later does not make every shipped release overdue")."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    clock.tick()
    tagged = _release_on_branch(r, clock)
    clock.tick()
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy + PERF)  # for the releases to come
    r.commit("require a perf report after each release", who="erin")
    clock.tick()
    r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'rel'", "rel")
    code, data = obligations_at(r, tagged, clock)
    assert gate_of(data, "obligations")["passed"], gate_of(data, "obligations")
    assert code == 0, summary(data)


def test_a_squash_merged_release_keeps_what_its_emergency_left_owed_when_the_declarer_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 (major) ships on `rel` through dave's emergency, without leadership's
    approval: `retro:leadership` is owed within 48 h. `rel` is squash-merged into main
    (GitHub's "Squash and merge": main holds the records, never the tagged commit). Later
    dave leaves ops. A release main never took in is judged under today's policy, where
    dave's declaration counts for nothing: nothing was waived, nothing is owed, and the
    overdue retro-approval stops blocking. decisions.md: "a declarer who left the emergency
    roles does not cancel what their emergency left owed". Removing the rejecter from a
    role settles a waived rejection the same way."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    r.git("checkout", "-q", "-b", "rel")
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    clock.tick()
    res = r.gate("tag", "v1.0.0", "--policy-ref", "main", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--squash", "rel")
    r.commit("v1.0.0 (#12)", who="bob")
    clock.tick()
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace('members = ["dave"]', 'members = ["bob"]'))
    r.commit("dave moves on from ops", who="erin")
    code, data = obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


def test_a_retro_approval_is_judged_by_the_request_that_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 ships as `major` through an emergency that waives leadership's approval, owed
    within 48 h. After the tag, a new revision of its request (hand-made, properly chained:
    `--revise` refuses a tagged release, git does not) says `normal`. Post-release gates
    apply by the request at the tagged commit, but `retro_gate` asks `not_applicable` of
    today's request: leadership "does not apply", no rejection stands, and the
    retro-approval is settled without leadership ever approving."""
    import hashlib

    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=EMERGENCY_LEADERSHIP)
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    clock.tick()
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    tagged = clock.now
    clock.tick()
    path = r.path / "releases/v1.0.0/request.toml"
    shipped = path.read_bytes()
    revised = shipped.decode().replace('risk = "major"', 'risk = "normal"')
    revised = revised.replace(
        "revision = 1", f'revision = 2\nsupersedes = "{hashlib.sha256(shipped).hexdigest()}"'
    )
    path.write_text(revised)
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "revise v1.0.0", env=identity("carol"))
    at = (tagged + timedelta(hours=49)).isoformat()
    code, data = check_json(r, "check", "v1.0.0", "--stage", "post-release", "--at", at)
    assert gate_of(data, "request")["passed"], gate_of(data, "request")  # a valid chain
    assert not gate_of(data, "retro:leadership")["passed"], summary(data)
    assert code == 1


@pytest.mark.xfail(
    strict=True,
    reason="known gap (docs/threat-model.md): a commit fast-forwarded onto the trusted line "
    "is the line's; only binding a tag to the policy CI judged it under would tell",
)
def test_a_fast_forwarded_release_branch_does_not_bring_its_own_policy_into_the_judgement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release branch drops `perf` in the commit it tags (CI judges the tag under main,
    `perf` included, so v1.0.0 owes it), then restores it. main fast-forwards to the branch:
    the net diff of policies/ is empty, and the tagged commit is now on main's first-parent
    line, so "the commit that brought it in" is the tagged commit itself and v1.0.0 is read
    under the tree its maker chose, which decisions.md rules out ("never the policy in the
    release's own tagged tree")."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + PERF)
    strong = (r.path / "policies/release.toml").read_text()
    clock.tick()
    r.git("checkout", "-q", "-b", "rel")
    r.write("policies/release.toml", strong.replace(PERF, ""))
    r.commit("tidy the policy", who="mallory")
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    res = r.gate("tag", "v1.0.0", "--policy-ref", "main", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    r.write("policies/release.toml", strong)
    r.commit("tidy back", who="mallory")
    clock.tick()
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--ff-only", "rel")
    code, data = obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


def _signoff_at(r: Repo, who: str, role: str, at: datetime, tag: str = "v1.0.0") -> None:
    """`signoff_by_hand`, dated by the test's clock (the helper dates it by the real one)."""
    import hashlib
    import tomllib

    request = (r.path / "releases" / tag / "request.toml").read_bytes()
    candidate = tomllib.loads(request.decode())["candidate"]
    r.write(
        f"releases/{tag}/approvals/by-hand-{who}-{role}.toml",
        f'schema = 1\nrelease = "{tag}"\nrole = "{role}"\ndecision = "approve"\n'
        f'person = "{who}"\ncandidate = "{candidate}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
        f'at = {at.isoformat()}\ncomment = ""\n',
    )
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", f"{who} by hand", env=identity(who))


def test_a_release_branch_cut_before_a_post_release_gate_was_added_still_owes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rel` is cut from main; main then adds a post-release `perf` report. v1.0.0 is
    requested, approved and tagged on `rel` *after* that, and CI judges the tag under
    main's policy (`--policy-ref main`), `perf` included: v1.0.0 shipped owing `perf`.
    The newest line commit the tagged commit contains is the fork point, from before
    `perf`, so v1.0.0 is judged under a policy it never shipped under and owes nothing.
    Every release of a maintenance branch cut long ago (release/1.x) is judged under the
    policy of the day the branch was cut; and whoever makes a release can pick any older
    policy by forking from an old commit of main."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    clock.tick()
    r.git("checkout", "-q", "-b", "rel")  # cut before main asks for perf
    r.write("app.py", "print('release')\n")
    r.commit("release work", who="bob")
    clock.tick()
    r.git("checkout", "-q", "main")
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy + PERF)
    r.commit("require a perf report after each release", who="erin")
    clock.tick()
    r.git("checkout", "-q", "rel")
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    res = r.gate("tag", "v1.0.0", "--policy-ref", "main", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    # What CI said at the tag: under main's policy, v1.0.0 owes perf.
    at_tag = (tagged + timedelta(hours=49)).isoformat()
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--policy-ref", "main", "--at", at_tag
    )
    assert not gate_of(post, "perf")["passed"], summary(post)
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'rel'", "rel")
    code, data = obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


def test_a_person_out_of_the_role_cannot_settle_an_earlier_release_s_retro_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 (major) ships on main through dave's emergency: `retro:leadership` is owed.
    erin then leaves leadership (main's policy drops her). Afterwards erin commits a
    retro-approval for v1.0.0. For `obligations`, v1.0.0 is judged under the policy it was
    built on, where erin is still leadership, so her approval, made after she left, settles
    the retro-obligation and v1.1.0 ships. Today's policy refuses her (threat model:
    "keeping them listed lets them sign new records"; removing them must stop that). What
    was waived is the built-on policy's to say; who may settle it after the tag is not."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS + EMERGENCY_LEADERSHIP)
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    clock.tick()
    res = r.gate("tag", "v1.0.0", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    policy = (r.path / "policies/release.toml").read_text()
    erin, alice = (f'[roles.leadership]\nmembers = ["{p}"]' for p in ("erin", "alice"))
    r.write("policies/release.toml", policy.replace(erin, alice))
    assert erin in policy
    r.commit("erin leaves leadership", who="alice")
    clock.tick()
    _signoff_at(r, "erin", "leadership", clock.now)  # made after she left
    at = (tagged + timedelta(hours=49)).isoformat()
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--policy-ref", "main", "--at", at
    )
    assert not gate_of(post, "retro:leadership")["passed"], summary(post)  # today's: owed
    code, data = obligations_at(r, tagged, clock)
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1


def test_a_release_the_policy_it_was_built_on_cannot_name_does_not_block_every_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """main starts naming component releases (`tags` gains "api/v*"); `rel`, cut before
    that, cherry-picks the change, and `api/v1.0.0` is tagged there and passes CI under
    main's policy. Nothing is owed. For `obligations`, api/v1.0.0 is judged under the fork
    point's policy, whose `tags` do not match its name: "cannot be checked", an overdue
    obligation no record can ever settle, and every later release fails from then on."""
    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    clock.tick()
    r.git("checkout", "-q", "-b", "rel")
    r.write("app.py", "print('release')\n")
    r.commit("release work", who="bob")
    clock.tick()
    r.git("checkout", "-q", "main")
    policy = (r.path / "policies/release.toml").read_text()
    assert 'tags = ["v*"]' in policy
    r.write("policies/release.toml", policy.replace('tags = ["v*"]', 'tags = ["v*", "api/v*"]'))
    change = r.commit("name component releases", who="erin")
    clock.tick()
    r.git("checkout", "-q", "rel")
    r.git("cherry-pick", change)
    clock.tick()
    assert r.gate("request", "api/v1.0.0", "--title", "one", who="carol").code == 0
    clock.tick()
    approve_all(r, "api/v1.0.0")
    clock.tick()
    res = r.gate("tag", "api/v1.0.0", "--policy-ref", "main", who="dave")
    assert res.code == 0, res.out + res.err
    tagged = clock.now
    clock.tick()
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'rel'", "rel")
    code, data = obligations_at(r, tagged, clock)
    assert gate_of(data, "obligations")["passed"], gate_of(data, "obligations")
    assert code == 0, summary(data)


def test_the_policy_an_earlier_release_was_built_on_is_found_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each release is tagged on its own branch, which main merges back: the tagged commit
    is a side commit of main, so `_built_on` asks `git merge-base --all` and then bisects
    the whole line with `git merge-base --is-ancestor` (log2 of the line's length; the
    far-back probes walk most of history: ~120 ms a release on a 20,000-commit line, 40 ms
    with a commit-graph, against ~5 ms to judge a release). Nothing is remembered, so
    `--all-tags` asks it again for every pair of releases: T² of those walks. The built-on
    commit of a tagged commit is a fact of the graph; it is found once per process, from
    a couple of merge-base walks (the newest line commit below a side base d is a merge
    base of the tagged commit and line[d-1], no bisect)."""
    from gatekeeper.repo import GitRepo

    clock = FixedClock(monkeypatch, datetime.now(UTC) - timedelta(days=5), timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    tags = [f"v1.{n}.0" for n in range(4)]
    for n, tag in enumerate(tags):
        for k in range(3):  # a line long enough for the bisect to show
            clock.tick()
            r.write("README.md", f"main {n}.{k}\n")
            r.commit("main work", who="bob")
        r.git("checkout", "-q", "-b", f"rel{n}")
        r.write("app.py", f"print({n})\n")
        r.commit("release work", who="bob")
        clock.tick()
        assert r.gate("request", tag, "--title", tag, who="carol").code == 0
        clock.tick()
        approve_all(r, tag)
        clock.tick()
        res = r.gate("tag", tag, "--policy-ref", "main", who="dave")
        assert res.code == 0, res.out + res.err
        clock.tick()
        r.git("checkout", "-q", "main")
        r.git("merge", "-q", "--no-ff", "-m", f"Merge branch 'rel{n}'", f"rel{n}")
    asked: list[tuple[str, ...]] = []
    through = GitRepo.run

    def counted(self: GitRepo, *args: str, **kw: object) -> str:
        asked.append(args)
        return through(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(GitRepo, "run", counted)
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    res = r.gate("check", "--all-tags", "--policy-ref", "main")
    assert res.code == 0, res.out + res.err
    walks = [a for a in asked if a and a[0] == "merge-base"]
    assert len(walks) <= 2 * len(tags), f"{len(walks)} merge-base walks for {len(tags)} releases"
