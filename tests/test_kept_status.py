"""`gate status` kept between runs (check/kept_status.py): a kept row is used only while
what it was judged from is the same (HEAD, every ref, git's settings, the environment,
gatekeeper's code) and the clock answers every comparison its judgement made the same
way (gatekeeper/clock.py). Outputs with and without the kept file are byte-identical.

Where a test needs to know that a kept row *was* used, it marks the row's title in the
file (the key left as it is): the mark shows only while the row holds."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, approve_all, identity, make_repo
from gatekeeper.clock import Moment, Window

POST_CHECK = (
    '[[gates]]\nid = "post-check"\ntype = "evidence"\nkind = "post-check"\n'
    'stage = "post-release"\ndue_hours = 24\n'
)
FREEZE = (
    '[[gates]]\nid = "freeze"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
    'windows = [{ title = "new year", start = 2020-01-01T00:00:00Z, '
    "end = 2020-01-08T00:00:00Z }]\n"
)
FORMATS = ("text", "json", "markdown")


def _kept(r: Repo) -> Path:
    return r.path / ".git" / "gatekeeper" / "status-4.json"


def _fresh(r: Repo, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """`gate status` as it reads with nothing kept (and nothing kept by it)."""
    with monkeypatch.context() as m:
        m.setenv("GATE_NO_CACHE", "1")
        res = r.gate("status", *args)
    assert res.code == 0, res.err
    return res.out


def _status(r: Repo, *args: str) -> str:
    res = r.gate("status", *args)
    assert res.code == 0, res.err
    return res.out


def _mark(r: Repo, tag: str = "v1.0.0") -> None:
    """Title the kept row of `tag` KEPT, leaving its key: shown only if the row is used."""
    doc = json.loads(_kept(r).read_text())
    doc["rows"][tag][1]["title"] = "KEPT"
    _kept(r).write_text(json.dumps(doc))


def _tagged(r: Repo) -> datetime:
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    stamp = r.git("for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/v1.0.0")
    return datetime.fromisoformat(stamp.strip())


def _row(out: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = json.loads(out)["releases"]
    return rows[0]


def test_a_kept_row_is_used_until_its_obligation_falls_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = make_repo(tmp_path, gates=POST_CHECK)
    due = _tagged(r) + timedelta(hours=24)
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    first = _status(r, "--format", "json", "--at", (due - timedelta(hours=23)).isoformat())
    assert _row(first)["obligations"][0]["pending"] is True
    assert _kept(r).is_file()
    _mark(r)
    _mark(r, "v1.1.0")
    # Up to the last microsecond before it is due the kept row holds, and is used ...
    just_before = (due - timedelta(microseconds=1)).isoformat()
    assert _row(_status(r, "--format", "json", "--at", just_before))["title"] == "KEPT"
    # ... from the moment it is due, it is judged again: overdue, whatever was kept.
    for at in (due, due + timedelta(seconds=1), due + timedelta(days=400)):
        shown = _status(r, "--format", "json", "--at", at.isoformat())
        fresh = _fresh(r, monkeypatch, "--format", "json", "--at", at.isoformat())
        assert json.loads(shown)["releases"][0] == json.loads(fresh)["releases"][0]
        assert _row(shown)["obligations"][0]["overdue"] is True
        assert _row(shown)["title"] == "First"
        # Each row has its own window: v1.1.0's judgement compared with nothing due.
        _mark(r, "v1.1.0")
        again = _status(r, "--format", "json", "--at", at.isoformat())
        assert json.loads(again)["releases"][1]["title"] == "KEPT"


def test_a_sign_off_dated_ahead_counts_once_its_time_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record made 'tomorrow' does not count today (the clock's skew allowed); the row
    kept today must not hide it tomorrow."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r, roles=("alice",))
    made = datetime.now(UTC)
    ahead = made + timedelta(days=2)
    request = (r.path / "releases/v1.0.0/request.toml").read_bytes()
    candidate = tomllib.loads(request.decode())["candidate"]
    r.write(  # as gate writes it, but dated two days ahead
        "releases/v1.0.0/approvals/bob-rnd.toml",
        f'schema = 1\nrelease = "v1.0.0"\nrole = "rnd"\ndecision = "approve"\n'
        f'person = "bob"\ncandidate = "{candidate}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
        f'at = {ahead.isoformat()}\ncomment = ""\n',
    )
    r.commit("the rnd approval, dated two days ahead", who="bob")
    for at in (made, ahead - timedelta(minutes=5), ahead + timedelta(minutes=1)):
        for fmt in FORMATS:
            args = ("--format", fmt, "--at", at.isoformat())
            assert _status(r, *args) == _fresh(r, monkeypatch, *args), (at, fmt)
    today = _row(_status(r, "--format", "json", "--at", made.isoformat()))
    later = _row(_status(r, "--format", "json", "--at", (ahead + timedelta(minutes=1)).isoformat()))
    assert (today["stage"], later["stage"]) == ("requested", "approved")


def test_nothing_kept_is_used_once_a_ref_moves_without_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEAD is the same, but the tag is gone: the release is no longer tagged."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    _tagged(r)
    assert _row(_status(r, "--format", "json"))["stage"] == "tagged"
    _mark(r)
    r.git("tag", "-d", "v1.0.0")
    shown = _status(r, "--format", "json")
    assert shown == _fresh(r, monkeypatch, "--format", "json")
    assert (_row(shown)["stage"], _row(shown)["title"]) == ("approved", "First")


@pytest.mark.parametrize(
    "change",
    [
        ("config", "gate.marker", "1"),
        ("env", "GATE_SSH_VERIFY", "ssh-keygen"),
        ("env", "LC_ALL", "C.UTF-8"),
    ],
)
def test_nothing_kept_is_used_once_a_setting_it_may_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str, str]
) -> None:
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    _status(r)
    _mark(r)
    assert "KEPT" in _status(r)  # the same key: the row is used
    where, name, value = change
    if where == "config":
        r.git("config", name, value)
    else:
        monkeypatch.setenv(name, value)
    assert "KEPT" not in _status(r)


def test_a_row_whose_judgement_read_the_clock_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A freeze is looked up in its zone's wall-clock time: that row holds at its one
    moment, so it is judged on every run (and the released one beside it is kept)."""
    r = make_repo(tmp_path, gates=FREEZE)
    _tagged(r)
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    for fmt in FORMATS:
        assert _status(r, "--format", fmt) == _fresh(r, monkeypatch, "--format", fmt)
    doc = json.loads(_kept(r).read_text())
    assert doc["names"] == ["v1.0.0", "v1.1.0"]
    assert set(doc["rows"]) == {"v1.0.0"}


def test_a_kept_file_that_is_not_what_gate_writes_is_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = make_repo(tmp_path, gates=POST_CHECK)
    _tagged(r)
    expected = _fresh(r, monkeypatch, "--format", "json")
    _status(r)
    doc = json.loads(_kept(r).read_text())
    broken: list[Any] = [
        b"\xff not json",
        {**doc, "format": 2},
        {**doc, "rows": {"v1.0.0": [[None, None], {"release": 1}]}},
        {**doc, "rows": {"v1.0.0": [["2020-01-01T00:00:00", None], doc["rows"]["v1.0.0"][1]]}},
        {**doc, "names": "v1.0.0"},
    ]
    for planted in broken:
        raw = planted if isinstance(planted, bytes) else json.dumps(planted).encode()
        _kept(r).write_bytes(raw)
        assert _status(r, "--format", "json") == expected, planted
    _kept(r).unlink()
    with _kept(r).open("wb") as huge:  # 2 GB, sparse: never read
        huge.truncate(2 << 30)
    assert _status(r, "--format", "json") == expected


def test_nothing_is_kept_on_ci_or_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    _status(r)
    assert not _kept(r).exists()
    monkeypatch.delenv("GATE_NO_CACHE")
    monkeypatch.setenv("CI", "true")
    _status(r)
    assert not _kept(r).exists()


def test_the_clock_narrows_its_window_on_comparisons_and_is_read_by_any_other_use() -> None:
    t = datetime(2026, 11, 24, 12, tzinfo=UTC)
    day = timedelta(days=1)
    m = Moment(t)
    assert m < t + day and t - day < m and not m > t + day and m >= t - day
    assert min(t - 2 * day, m) == t - 2 * day
    tick = timedelta(microseconds=1)  # t - day < m holds from a microsecond after t - day
    assert m.window == Window(since=t - day + tick, until=t + day)
    assert m.window.holds(t + day - timedelta(microseconds=1)) and not m.window.holds(t + day)
    exact = Moment(t)
    assert exact == t
    assert (exact != t) is False
    assert exact.window == Window(since=t, until=t + tick)
    for use in (
        lambda x: x.isoformat(),
        lambda x: x + day,
        lambda x: (t + day) - x,
        lambda x: x - t,
        hash,
        str,
        lambda x: f"{x:%Y}",
        lambda x: x.astimezone(UTC),
        lambda x: x.year,
        lambda x: x == datetime(2026, 11, 24),
        lambda x: x < Moment(t),
    ):
        used = Moment(t)
        use(used)
        assert used.window.read and not used.window.holds(t)
    with pytest.raises(TypeError):
        Moment(t) < datetime(2026, 1, 1)  # noqa: B015 - as a datetime refuses it


DBA = (
    '[[gates]]\nid = "dba"\ntype = "approval"\nroles = ["ops"]\n'
    'when = { paths = ["migrations/**"] }\n'
)


def _by_hand(r: Repo, tag: str, when: datetime, signers: dict[str, str]) -> None:
    """A request and approvals written and committed by hand, every claim dated `when`."""
    candidate = r.git("rev-parse", "HEAD").strip()
    stamp = when.isoformat()
    dated = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    request = (
        f'schema = 1\nrelease = "{tag}"\ntitle = "{tag}"\nkind = "release"\nrisk = "normal"\n'
        f'component = ""\ncandidate = "{candidate}"\nsummary = ""\nrollback_plan = ""\n'
        f'requester = "carol"\nrequested_at = {stamp}\nrevision = 1\n'
    )
    r.write(f"releases/{tag}/request.toml", request)
    r.git("add", "-A")
    r.git("commit", "-q", "-m", f"request {tag}", env={**identity("carol"), **dated})
    digest = hashlib.sha256(request.encode()).hexdigest()
    for who, role in signers.items():
        r.write(
            f"releases/{tag}/approvals/{who}-{role}.toml",
            f'schema = 1\nrelease = "{tag}"\nrole = "{role}"\ndecision = "approve"\n'
            f'person = "{who}"\ncandidate = "{candidate}"\nrequest_sha256 = "{digest}"\n'
            f'at = {stamp}\ncomment = ""\n',
        )
        r.git("add", "-A")
        r.git("commit", "-q", "-m", f"{who} approves", env={**identity(who), **dated})


def test_the_previous_release_is_judged_at_the_time_status_judges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether v1.0.0 was a release (so v1.1.0, changing no migration, needs no DBA) was
    judged at the machine's clock whatever `--at` said, which the kept row's window never
    saw (found by review). v1.0.0's tag is dated a day ahead: before then it is no release."""
    r = make_repo(tmp_path, gates=DBA)
    wall = datetime.now(UTC).replace(microsecond=0)
    _by_hand(
        r, "v1.0.0", wall - timedelta(minutes=1), {"alice": "product", "bob": "rnd", "dave": "ops"}
    )
    tagged = wall + timedelta(days=1)
    r.git("tag", "-a", "v1.0.0", "-m", "first", env={"GIT_COMMITTER_DATE": tagged.isoformat()})
    r.write("app.py", "print('v1.1')\n")
    r.commit("code only")
    assert r.gate("request", "v1.1.0", "--title", "code only", who="carol").code == 0
    approve_all(r, "v1.1.0")
    stages = []
    for at in (wall + timedelta(hours=1), tagged + timedelta(hours=1), wall + timedelta(hours=2)):
        args = ("--format", "json", "--at", at.isoformat())
        shown = _status(r, *args)
        assert shown == _fresh(r, monkeypatch, *args), at
        stages.append(json.loads(shown)["releases"][1]["stage"])
    assert stages == ["requested", "approved", "requested"]


def test_a_row_whose_signature_ssh_keygen_judged_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ssh-keygen judges a key's valid-before at the machine's clock (found by review: the
    kept row went on counting an approval after the key expired); a row it verified for
    holds at its one moment and is judged on every run."""
    keys = {}
    for who in ("alice", "bob", "dave"):
        path = tmp_path / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True
        )
        keys[who] = path
    r = make_repo(tmp_path)
    policy = (r.path / "policies/release.toml").read_text()
    policy = policy.replace('signatures = "none"', 'signatures = "ssh"')
    for who, path in keys.items():
        pub = path.with_name(who + ".pub").read_text().strip()
        line = f"'valid-before=\"20990101Z\" {pub}'" if who == "alice" else f'"{pub}"'
        policy = policy.replace(
            f'email = "{who}@example.com"\n', f'email = "{who}@example.com"\nkeys = [{line}]\n'
        )
    r.write("policies/release.toml", policy)
    r.commit("ssh policy")
    assert r.gate("request", "v1.0.0", "--title", "t", "--key", str(keys["dave"])).code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        res = r.gate("approve", "v1.0.0", "--role", role, "--key", str(keys[who]), who=who)
        assert res.code == 0, res.err
    assert _status(r) == _fresh(r, monkeypatch)
    assert "approved" in _status(r)
    assert json.loads(_kept(r).read_text())["rows"] == {}


def test_a_branch_switched_while_status_runs_lends_no_row_to_the_branch_it_started_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Status keyed main's HEAD, then judged an untagged release at HEAD read again: after a
    `git switch` meanwhile (an editor running status as its user switches), main showed
    feature's rows (found by review). Every release is now judged at the HEAD keyed."""
    import gatekeeper.check.status as status_module

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    r.git("switch", "-q", "-c", "feature")
    approve_all(r)  # approved on feature only
    r.git("switch", "-q", "main")
    expected = _fresh(r, monkeypatch)
    assert "requested" in expected
    judge = status_module._judge_all

    def switched(*args: Any, **kwargs: Any) -> Any:
        r.git("switch", "-q", "feature")  # what a concurrent `git switch` does
        return judge(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(status_module, "_judge_all", switched)
        assert _status(r) == expected  # what main holds, though feature is checked out
    r.git("switch", "-q", "main")
    assert _status(r) == expected


def test_a_tag_naming_a_tree_is_judged_at_head_read_again_while_status_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release tag naming a tree (no commit) has no revision of its own: it was judged at
    HEAD read again, not the HEAD keyed, so a `git switch` during the run still lent
    feature's row to main (found by the second review)."""
    import gatekeeper.check.status as status_module

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    tree = r.git("rev-parse", "HEAD^{tree}")
    r.git("tag", "-a", "v1.0.0", "-m", "odd", tree)
    r.git("branch", "feature")  # feature: the candidate and its sign-offs, nothing else
    r.write("app.py", "print('changed after sign-off')\n")
    r.commit("main moves on")
    expected = _fresh(r, monkeypatch)
    assert "stale: changed since the candidate was signed off: app.py" in expected
    judge = status_module._judge_all

    def switched(*args: Any, **kwargs: Any) -> Any:
        r.git("switch", "-q", "feature")  # a concurrent `git switch`
        return judge(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(status_module, "_judge_all", switched)
        _status(r)  # keys main's HEAD, judges the tree tag at feature's
    r.git("switch", "-q", "main")
    assert _fresh(r, monkeypatch) == expected
    assert _status(r) == expected
