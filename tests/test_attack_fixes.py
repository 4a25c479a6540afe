"""Review 4: attacks on the fixes of the attack review. Each test asserts the right
behaviour and fails on the code as reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, Repo, approve_all, make_repo
from snippets import EMERGENCY_LEADERSHIP, OBLIGATIONS, POST_CHECK
from verdicts import check_json, gate_of, hours_after, summary


def test_an_emergency_waives_a_rejected_gate_whether_or_not_it_applies(tmp_path: Path) -> None:
    """A rejection in an approval gate that applies is waived by an emergency (design: "each
    failing pre-tag gate not in never_waive is reported waived"). Revised to a lower risk,
    the same gate with the same rejection must not become un-waivable."""
    r = make_repo(tmp_path, gates=EMERGENCY_LEADERSHIP)
    assert r.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("reject", "v1.0.0", "--role", "leadership", who="erin").code == 0
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    code, data = check_json(r, "check", "v1.0.0")
    assert code == 0 and gate_of(data, "leadership")["waived"], summary(data)  # applies: waived
    # The same, revised to normal risk first: the gate no longer applies, the rejection stands.
    (tmp_path / "two").mkdir()
    r2 = make_repo(tmp_path / "two", gates=EMERGENCY_LEADERSHIP)
    assert r2.gate("request", "v1.0.0", "--title", "big", "--risk", "major", who="carol").code == 0
    assert r2.gate("reject", "v1.0.0", "--role", "leadership", who="erin").code == 0
    assert r2.gate("request", "v1.0.0", "--revise", "--risk", "normal", who="carol").code == 0
    approve_all(r2, "v1.0.0")
    assert r2.gate("emergency", "v1.0.0", "--reason", "prod down", who="dave").code == 0
    code, data = check_json(r2, "check", "v1.0.0")
    assert code == 0, summary(data)


# -- post-release records: a copy of a record the tagged commit holds, under another name --

SSH_SIGNERS = ("alice", "bob", "dave", "mallory")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import subprocess

    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for who in SSH_SIGNERS:
        path = folder / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True
        )
        out[who] = path
    return out


def _ssh_repo(tmp_path: Path, keys: dict[str, Path], gates: str) -> Repo:
    from conftest import policy_text

    text = policy_text(gates=gates).replace('signatures = "none"', 'signatures = "ssh"')
    for who in SSH_SIGNERS:
        pub = keys[who].with_name(who + ".pub").read_text().strip()
        text = text.replace(
            f'email = "{who}@example.com"\n', f'email = "{who}@example.com"\nkeys = ["{pub}"]\n'
        )
    r = Repo(tmp_path / "signed")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", text)
    r.commit("initial")
    return r


def test_a_copy_of_a_pre_tag_post_check_under_another_name_does_not_settle_it(
    tmp_path: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post-check written before the tag is in the tagged commit and does not count
    (made_after). Copied after the tag, byte for byte, under another file name, by anyone
    (its SSH signature covers the content, not the path), it is the same pre-tag record:
    it must not count either."""
    r = _ssh_repo(tmp_path, keys, POST_CHECK)

    def run(who: str, *args: str) -> int:
        res = r.gate(*args, "--key", str(keys[who]), who=who)
        assert res.code == 0, res.err
        return res.code

    run("dave", "request", "v1.0.0", "--title", "one")
    run("alice", "approve", "v1.0.0", "--role", "product")
    run("bob", "approve", "v1.0.0", "--role", "rnd")
    # Made (and committed) two minutes before the tag, which is then made now.
    FixedClock(monkeypatch, datetime.now(UTC) - timedelta(minutes=3), timedelta(minutes=1)).tick()
    run("dave", "attach", "v1.0.0", "post-check", "--set", "result=pass")  # before the tag
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = datetime.now(UTC)
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    assert code == 1 and not gate_of(post, "post-check")["passed"]  # the fix holds
    # mallory copies dave's record under another name after the tag.
    folder = r.path / "releases/v1.0.0/evidence"
    original = next(p for p in folder.iterdir() if p.suffix == ".toml")
    (folder / ("z-" + original.name)).write_bytes(original.read_bytes())
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", "copy", env={"GIT_AUTHOR_NAME": "mallory"})
    code, post = check_json(
        r, "check", "v1.0.0", "--stage", "post-release", "--at", hours_after(tagged, 49)
    )
    assert not gate_of(post, "post-check")["passed"], gate_of(post, "post-check")
    assert code == 1


# -- component prefixes that are not components ----------------------------------------------


def test_a_tag_prefix_that_is_not_a_component_does_not_forbid_declaring_one(
    tmp_path: Path,
) -> None:
    """Tags like `release/v1.0.0` (a prefix that is a naming convention, not a component) with
    declared `components = ["web", "api"]`: a request for component `web` was valid, and the
    decision says "With `components` undeclared [as a prefix], an empty component is allowed
    (the prefix may not be a component: `release/v1.0`)". Only a prefix the policy declares
    as a component may bind the request's component."""
    r = make_repo(tmp_path)
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace('tags = ["v*"]', 'tags = ["release/v*"]')
    policy = policy.replace("schema = 1", 'schema = 1\ncomponents = ["web", "api"]')
    r.write("policies/release.toml", policy)
    r.commit("release/ tags, components")
    res = r.gate("request", "release/v1.0.0", "--title", "web", "--component", "web", who="carol")
    assert res.code == 0, res.err
    approve_all(r, "release/v1.0.0")
    code, data = check_json(r, "check", "release/v1.0.0")
    assert code == 0, summary(data)


# -- obligations: earlier releases judged under the policy at HEAD ----------------------------


def _later(r: Repo, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, commits are dated a minute on: a policy change made after the tag, as
    it would be (a tag and commits in the same second read as simultaneous)."""
    later = f"@{int(datetime.now(UTC).timestamp()) + 60} +0000"
    monkeypatch.setenv("GIT_COMMITTER_DATE", later)
    monkeypatch.setenv("GIT_AUTHOR_DATE", later)
    r.commit(message)


def test_a_post_release_gate_added_later_does_not_make_every_earlier_release_overdue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 shipped months ago under a policy with no post-release gate: it owed nothing.
    The team adds a `perf` post-release gate (due 48 h) for future releases. Judged under
    the policy at HEAD, v1.0.0 now "owes" a performance test overdue since its tag, and every
    next release is blocked until someone fabricates a post-release test for every
    release ever shipped. design.md: "an earlier release's overdue post-release
    gate ... blocks the next release" — what it owed when it shipped."""
    r = make_repo(tmp_path, gates=OBLIGATIONS)
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    tagged = datetime.now(UTC)
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml",
        policy + '\n[[gates]]\nid = "perf"\ntype = "evidence"\nkind = "perf-test"\n'
        'stage = "post-release"\ndue_hours = 48\n',
    )
    _later(r, "post-release performance tests from now on", monkeypatch)
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v1.1.0")
    code, data = check_json(r, "check", "v1.1.0", "--at", hours_after(tagged, 24 * 60))
    assert gate_of(data, "obligations")["passed"], gate_of(data, "obligations")
    assert code == 0, summary(data)


EMERGENCY = """
[[gates]]
id = "obligations"
type = "obligations"
scope = "all"

[emergency]
roles = ["leadership", "ops"]
min = 1
retro_hours = 48
"""


def test_an_unsettled_emergency_stays_owed_after_the_declarer_leaves_the_emergency_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 shipped in an emergency declared by erin (leadership); its approvals were
    waived and the retro-approval never came. Later erin leaves leadership (the policy on
    main changes, as it does when people move). Judged under the policy at HEAD, her
    declaration no longer counts, so the pre-tag check "at the tag" waives nothing, no
    `retro:` gate exists, and the next release passes `obligations`. design.md: "an
    earlier release's overdue post-release gate (or unsettled emergency) blocks the next
    release"."""
    r = make_repo(tmp_path, gates=EMERGENCY)
    assert r.gate("request", "v1.0.0", "--title", "hotfix", who="carol").code == 0
    assert r.gate("emergency", "v1.0.0", "--reason", "prod down", who="erin").code == 0
    assert r.gate("tag", "v1.0.0", who="dave").code == 0
    tagged = datetime.now(UTC)
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v1.1.0")
    code, data = check_json(r, "check", "v1.1.0", "--at", hours_after(tagged, 49))
    assert code == 1 and not gate_of(data, "obligations")["passed"]  # retro:acceptance overdue
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace('members = ["erin"]', "members = []"))
    _later(r, "erin moved on", monkeypatch)
    # The policy change made v1.1.0's approvals stale (a file outside releases/ changed):
    # file v1.2.0 on the new commit instead.
    assert r.gate("request", "v1.2.0", "--title", "three", who="carol").code == 0
    approve_all(r, "v1.2.0")
    code, data = check_json(r, "check", "v1.2.0", "--at", hours_after(tagged, 49))
    assert not gate_of(data, "obligations")["passed"], summary(data)
    assert code == 1
