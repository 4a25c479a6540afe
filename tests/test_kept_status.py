"""`gate status` kept between runs (check/kept_status.py): a kept row is used only while
what it was judged from is the same (HEAD, every ref, git's settings, the environment,
gatekeeper's code) and the clock answers every comparison its judgement made the same
way (check/clock.py). Outputs with and without the kept file are byte-identical.

Where a test needs to know that a kept row *was* used, it marks the row's title in the
file (the key left as it is): the mark shows only while the row holds."""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, approve_all, make_repo
from gatekeeper.check.clock import Moment, Window

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
    return r.path / ".git" / "gatekeeper" / "status-1.json"


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
