"""`gate audit` kept between runs (audit/kept.py): a release's log is used again only
while what it was made from is as it was and the clock answers its comparisons the same
way; a tagged release's log outlives commits on top of HEAD that change nothing it read.
Outputs with and without the kept file are byte-identical, after every kind of change."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import gatekeeper.audit as audit_module
from conftest import Repo, approve_all, make_repo, signoff_by_hand
from gatekeeper.clock import Moment
from test_kept_status import POST_CHECK

FORMATS = ("json", "text", "markdown")


def _kept(r: Repo) -> Path:
    return r.path / ".git" / "gatekeeper" / "audit-4.kept"


def _doc(r: Repo) -> dict[str, Any]:
    """The kept file's JSON with each log's texts in their place, as text (they are kept
    after it, as UTF-8)."""
    from gatekeeper.audit.kept_logs import in_line

    head, _, body = _kept(r).read_bytes().partition(b"\n")
    doc: dict[str, Any] = json.loads(head)
    logs = {tag: in_line(entry, memoryview(body)) for tag, entry in doc["logs"].items()}
    for _, texts, _ in logs.values():
        texts[1:] = [None if t is None else t.decode() for t in texts[1:]]
    doc["logs"] = logs
    return doc


def _store(r: Repo, doc: dict[str, Any]) -> None:
    """`doc` (as `_doc` reads it) kept as gate keeps it: its texts after the JSON."""
    from gatekeeper.audit.kept_logs import out_of_line

    def apart(entry: Any) -> bool:  # an entry whose texts can be kept after the JSON
        texts = entry[1] if isinstance(entry, list) and len(entry) == 3 else None
        if not isinstance(texts, list) or len(texts) != 3 or not isinstance(texts[1], str):
            return False
        return texts[2] is None or isinstance(texts[2], str)

    def encoded(entry: list[Any]) -> list[Any]:  # a lone surrogate as no UTF-8 has it
        window, (inputs, *texts), across = entry
        said = [None if t is None else t.encode("utf-8", "surrogatepass") for t in texts]
        return [window, [inputs, *said], across]

    logs, body = doc.get("logs"), b""
    if isinstance(logs, dict):  # a spoilt entry stays as it is, in the JSON
        placed, body = out_of_line({t: encoded(e) for t, e in logs.items() if apart(e)})
        doc["logs"] = {t: placed.get(t, e) for t, e in logs.items()}
    _kept(r).write_bytes(json.dumps(doc).encode() + b"\n" + body)


def _edit_log(doc: dict[str, Any], tag: str, edit: Callable[[Any], None]) -> None:
    """Edit a kept log (kept as JSON text inside the file) and put it back."""
    log = json.loads(doc["logs"][tag][1][1])
    edit(log)
    doc["logs"][tag][1][1] = json.dumps(log)


_DEEP = ',\n  "x": ' + "[" * 1000 + "]" * 1000


def _edit_shown(doc: dict[str, Any], tag: str, edit: Callable[[str], str]) -> None:
    """Edit the kept text `--format json` shows for a log."""
    doc["logs"][tag][1][2] = edit(doc["logs"][tag][1][2])


def _audit(r: Repo, *args: str) -> list[str]:
    outs = []
    for fmt in FORMATS:
        res = r.gate("audit", "--format", fmt, *args)
        assert res.code == 0, res.err
        outs.append(res.out)
    return outs


def _same_as_fresh(r: Repo, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """Every format, kept and then with nothing kept, is the same."""
    kept = _audit(r, *args)
    with monkeypatch.context() as m:
        m.setenv("GATE_NO_CACHE", "1")
        assert _audit(r, *args) == kept


def _judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The releases the audit judges (a kept log is not judged), in the order it does."""
    judge, seen = audit_module.tag_and_policy, []

    def noted(repo: object, log: Any, *args: object, **kwargs: Any) -> None:
        seen.append(log.release)
        judge(repo, log, *args, **kwargs)

    monkeypatch.setattr(audit_module, "tag_and_policy", noted)
    monkeypatch.setenv("GATE_JOBS", "1")
    return seen


def _releases(r: Repo) -> None:
    """Tagged, approved, rejected and waiting releases; HEAD is none's tag."""
    for n in range(4):
        tag = f"v1.{n}.0"
        assert r.gate("request", tag, "--title", f"release {n}").code == 0
        if n in {0, 1}:
            approve_all(r, tag)
            assert r.gate("tag", tag).code == 0
        if n == 2:
            signoff_by_hand(r, "carol", "pm", "reject", tag=tag)
    _code(r)


def _code(r: Repo, n: int = 1) -> None:
    for i in range(n):
        r.write("app.py", f"print({i})\n")
        r.commit("code")


def test_kept_logs_read_as_fresh_ones_after_every_kind_of_change(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _releases(repo)
    changes: list[Callable[[], None]] = [
        lambda: None,  # a repeat
        lambda: _code(repo, 2),  # commits that change no record
        lambda: signoff_by_hand(repo, "erin", "qa", "approve", tag="v1.0.0"),  # after the tag
        lambda: _tamper(repo, "v1.1.0"),
        lambda: (repo.gate("request", "v2.0.0", "--title", "next"), _code(repo)),
        lambda: repo.git("tag", "-d", "v1.0.0"),
        lambda: repo.git("tag", "v1.0.0", "HEAD~1"),  # back, lightweight, elsewhere
        lambda: _policy(repo),
        lambda: repo.git("checkout", "-q", "-b", "side"),  # HEAD off the default branch
        lambda: _code(repo),
        lambda: repo.git("checkout", "-q", "main"),
        lambda: _reset(repo),
    ]
    for change in changes:
        change()
        _same_as_fresh(repo, monkeypatch)
        assert _kept(repo).exists()
    _same_as_fresh(repo, monkeypatch, "--since", "2000-01-01", "--until", "2100-01-01")
    _same_as_fresh(repo, monkeypatch, "--policy-ref", "main")


def _reset(r: Repo) -> None:
    """History rewritten (the kept history index reports it, so it goes too)."""
    r.git("reset", "-q", "--hard", "HEAD~2")
    (r.path / ".git" / "gatekeeper" / "history-5.json").unlink()


def _tamper(r: Repo, tag: str) -> None:
    folder = r.path / "releases" / tag / "approvals"
    record = sorted(folder.iterdir())[0]
    record.write_text(record.read_text() + "# edited\n")
    r.commit(f"edit {tag}")


def _policy(r: Repo) -> None:
    path = r.path / "policies" / "release.toml"
    path.write_text(path.read_text().replace('title = "', 'title = "The ', 1))
    r.commit("policy: a title")


def test_a_tagged_release_is_not_judged_again_until_something_it_read_changes(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _releases(repo)
    judged = _judged(monkeypatch)
    first = _audit(repo)
    assert sorted(set(judged)) == ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"]
    judged.clear()
    _code(repo, 3)
    again = _audit(repo)
    assert again[0].replace(repo.git("rev-parse", "HEAD"), "HEAD") == first[0].replace(
        repo.git("rev-parse", "HEAD~3"), "HEAD"
    )
    # Untagged releases are judged at HEAD, each time it moves; tagged ones are kept.
    assert sorted(set(judged)) == ["v1.2.0", "v1.3.0"]
    judged.clear()
    _tamper(repo, "v1.1.0")  # an edited approval of a tagged release: an anomaly now
    out = _audit(repo)
    assert sorted(set(judged)) == ["v1.1.0", "v1.2.0", "v1.3.0"]
    assert "record-edited" in out[1]
    judged.clear()
    repo.git("tag", "-f", "-a", "v1.0.0", "-m", "moved", "HEAD")  # a tag moved: all again
    _audit(repo)
    assert sorted(set(judged)) == ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"]


def test_what_the_commits_since_changed_is_read_while_git_walks_and_only_once(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept logs ask what the commits since the last run changed: the audit reads it
    while git walks for its index, from the commit the index was read up to. When that
    is not where the logs were kept (a `gate status` moved the index on since), what the
    logs ask is read again, from their own commit, and the output is a fresh run's."""
    from gatekeeper.check import kept_commits

    _releases(repo)
    _audit(repo)
    asked: list[tuple[str, str]] = []
    changes = kept_commits._changes

    def noted(r: Any, old: str, new: str, releases: str) -> Any:
        asked.append((old, new))
        return changes(r, old, new, releases)

    monkeypatch.setattr(kept_commits, "_changes", noted)
    judged = _judged(monkeypatch)
    kept_at = repo.git("rev-parse", "HEAD")
    _code(repo, 2)
    _tamper(repo, "v1.1.0")
    assert repo.gate("audit", "--format", "json").code == 0
    head = repo.git("rev-parse", "HEAD")
    assert asked == [(kept_at, head)]
    assert sorted(set(judged)) == ["v1.1.0", "v1.2.0", "v1.3.0"]
    asked.clear()
    _code(repo)
    assert repo.gate("status").code in {0, 1}  # the index now read up to HEAD
    _code(repo)
    _same_as_fresh(repo, monkeypatch)
    moved = repo.git("rev-parse", "HEAD~1")
    assert asked[:2] == [(moved, repo.git("rev-parse", "HEAD")), (head, asked[1][1])]


def test_a_release_tag_made_since_has_only_its_release_judged(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _releases(repo)
    assert repo.gate("request", "v2.0.0", "--title", "next").code == 0
    approve_all(repo, "v2.0.0")
    _audit(repo)
    judged = _judged(monkeypatch)
    assert repo.gate("tag", "v2.0.0").code == 0
    _code(repo)
    _audit(repo)
    assert "v1.0.0" not in judged and "v1.1.0" not in judged
    assert "v2.0.0" in judged
    _same_as_fresh(repo, monkeypatch)


def test_a_log_is_used_only_while_the_clock_answers_as_it_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post-release obligation due in 24 hours: the log kept while it is pending is not
    used once it is overdue (the audit's clock is moved, git's dates are real)."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    _code(r)
    start = datetime.now(UTC)
    for hours in (0, 1, 25, 26):
        _clock(monkeypatch, start + timedelta(hours=hours))
        _same_as_fresh(r, monkeypatch)
        check = json.loads(_audit(r)[0])["releases"][0]["check"]
        due = next(g for g in check["gates"] if g["id"] == "post-check")
        assert due["pending"] is (hours < 24) and due["passed"] is (hours < 24)


def _clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    class Fixed(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Fixed:  # type: ignore[override]
            return cls.fromtimestamp(at.timestamp(), UTC)

    monkeypatch.setattr(audit_module, "datetime", Fixed)


def test_a_log_that_quotes_the_time_is_never_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-off dated after the time judged: the reason quotes that time."""
    _releases(repo)
    request = (repo.path / "releases/v1.3.0/request.toml").read_bytes()
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    repo.write(
        "releases/v1.3.0/approvals/erin-ahead.toml",
        'schema = 1\nrelease = "v1.3.0"\nrole = "leadership"\ndecision = "approve"\n'
        f'person = "erin"\ncandidate = "{tomllib.loads(request.decode())["candidate"]}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\nat = {later}\n',
    )
    repo.commit("dated ahead", who="erin")
    _code(repo)
    judged = _judged(monkeypatch)
    out = _audit(repo)
    assert "after the time judged" in out[1]
    assert "v1.3.0" not in _doc(repo)["logs"]
    judged.clear()
    _code(repo)
    _audit(repo)
    assert "v1.3.0" in judged and "v1.1.0" not in judged


@pytest.mark.parametrize(
    "spoil",
    [
        lambda doc: doc.update(format=1),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(1, {"d": "Event", "v": []}),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(1, '{"d": "ReleaseLog", "v": ['),
        lambda doc: _edit_log(doc, "v1.0.0", lambda log: log["v"].__setitem__(0, 7)),  # named 7
        lambda doc: _edit_log(doc, "v1.0.0", lambda log: log.__setitem__("d", "os.system")),
        # another release's log, as it was kept for that release
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(1, doc["logs"]["v1.1.0"][1][1]),
        lambda doc: doc["logs"]["v1.0.0"].__setitem__(0, ["yesterday", None]),
        lambda doc: doc.__setitem__("logs", []),
        # the log as shown (JSON): cut short, another release's, not an object, a lone
        # surrogate (no UTF-8 has it), not text, missing
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(2, '{"release": "v1.0.0", '),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(2, '{"release": "v1.1.0"}'),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(2, '["v1.0.0"]'),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(2, '{"release": "v1.0.0\udc80"}'),
        lambda doc: doc["logs"]["v1.0.0"][1].__setitem__(2, {"release": "v1.0.0"}),
        lambda doc: doc["logs"]["v1.0.0"][1].pop(2),
        # JSON of the right log, spaced otherwise than it is written: CRLF line ends (a CR
        # between values would be escaped in the output, which would be JSON no more), a
        # trailing CR, tabs, compact
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: text.replace("\n", "\r\n")),
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: text + "\r"),
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: text.replace("  ", "\t")),
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: json.dumps(json.loads(text))),
        # nested 1,000 deep (orjson reads it; the standard library's fallback overflows
        # its stack), a duplicate key that a first-wins reader takes for another release
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: text[:-2] + _DEEP + "\n}"),
        lambda doc: _edit_shown(doc, "v1.0.0", lambda text: '{"release": "v1.1.0", ' + text[1:]),
    ],
)
def test_a_kept_file_that_is_not_one_is_not_believed(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[dict[str, Any]], None]
) -> None:
    _releases(repo)
    _audit(repo)
    doc = _doc(repo)
    spoil(doc)
    _store(repo, doc)
    _same_as_fresh(repo, monkeypatch)


def _spoil_texts(edit: Callable[[dict[str, Any], bytearray], None]) -> Callable[..., None]:
    def spoil(path: Path) -> None:
        head, _, body = path.read_bytes().partition(b"\n")
        doc, raw = json.loads(head), bytearray(body)
        edit(doc, raw)
        path.write_bytes(json.dumps(doc).encode() + b"\n" + bytes(raw))

    return spoil


def _where(doc: dict[str, Any], tag: str, n: int) -> list[int]:
    where: list[int] = doc["logs"][tag][1][n]
    return where


@pytest.mark.parametrize(
    "spoil",
    [
        # where a text is said to be: past the end, backwards, not numbers, another
        # release's text, another release's log
        _spoil_texts(lambda doc, body: _where(doc, "v1.0.0", 2).__setitem__(1, len(body) + 1)),
        _spoil_texts(lambda doc, body: _where(doc, "v1.0.0", 2).reverse()),
        _spoil_texts(lambda doc, body: _where(doc, "v1.0.0", 1).__setitem__(0, "0")),
        _spoil_texts(lambda doc, body: _where(doc, "v1.0.0", 1).__setitem__(0, True)),
        _spoil_texts(lambda doc, body: _where(doc, "v1.0.0", 1).append(0)),
        _spoil_texts(
            lambda doc, body: doc["logs"]["v1.0.0"][1].__setitem__(2, _where(doc, "v1.1.0", 2))
        ),
        _spoil_texts(
            lambda doc, body: doc["logs"]["v1.0.0"][1].__setitem__(1, _where(doc, "v1.1.0", 1))
        ),
        # the texts themselves: cut short, a byte that is no UTF-8, a byte changed
        _spoil_texts(lambda doc, body: body.__delitem__(slice(len(body) // 2, None))),
        _spoil_texts(lambda doc, body: body.__setitem__(_where(doc, "v1.0.0", 2)[0] + 1, 0xFF)),
        _spoil_texts(lambda doc, body: body.__setitem__(_where(doc, "v1.0.0", 1)[0] + 2, 0x41)),
        # no line between the JSON and the texts
        lambda path: path.write_bytes(path.read_bytes().replace(b"\n", b" ", 1)),
    ],
)
def test_kept_texts_not_where_the_file_says_are_not_believed(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, spoil: Callable[[Path], None]
) -> None:
    """The logs' texts are kept after the file's JSON, which says where each starts and
    ends: a text that is not there, or not that release's log, is judged again."""
    _releases(repo)
    _audit(repo)
    spoil(_kept(repo))
    _same_as_fresh(repo, monkeypatch)


def test_a_json_repeat_places_the_kept_text_and_makes_no_log(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--format json` shows a kept log as the text kept with it: no log is read back (the
    other formats read each back), and the output is a fresh run's, byte for byte."""
    from gatekeeper.audit import kept_logs

    _releases(repo)
    _audit(repo)
    made: list[object] = []

    def counted(doc: object) -> object:
        made.append(doc)
        return log_of(doc)

    log_of = kept_logs.log_of
    monkeypatch.setattr(kept_logs, "log_of", counted)
    kept = repo.gate("audit", "--format", "json")
    assert made == []
    assert repo.gate("audit", "--format", "text").code == 0
    assert len(made) == 4
    with monkeypatch.context() as m:
        m.setenv("GATE_NO_CACHE", "1")
        assert repo.gate("audit", "--format", "json").out == kept.out


def test_a_log_orjson_refuses_is_made_again_and_the_kept_texts_read_back_around_it(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file name that is not UTF-8 reaches the JSON as its `\\udcXX` escape, which only
    the standard library writes: that log is kept without a text, and the whole output,
    written by the standard library, reads the other releases' kept texts back."""
    _releases(repo)
    (repo.path / "releases" / "v1.3.0").joinpath(os.fsdecode(b"notes-\xff.md")).write_bytes(b"x")
    repo.commit("a file git keeps as bytes")
    _audit(repo)
    logs = _doc(repo)["logs"]
    assert logs["v1.3.0"][1][2] is None and logs["v1.1.0"][1][2] is not None
    assert "\\udcff" in repo.gate("audit", "--format", "json").out
    _same_as_fresh(repo, monkeypatch)


def test_nothing_is_kept_on_a_ci_runner_or_when_told_not_to(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _releases(repo)
    for name, value in (("GATE_NO_CACHE", "1"), ("CI", "true")):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            _audit(repo)
        assert not _kept(repo).exists()
    older = _kept(repo).with_name("audit-3.json")  # an earlier gate's, never read again
    older.parent.mkdir(exist_ok=True)
    older.write_text("{}")
    _audit(repo)
    assert _kept(repo).exists() and not older.exists()


def test_with_a_release_tag_at_head_only_that_release_is_kept_for_this_head_only(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after a release is tagged, HEAD is its tag's commit: that release's records
    at HEAD and at its tag are one read, so its log is kept for this HEAD only; the other
    tagged releases' logs outlive the commits that follow."""
    _releases(repo)
    assert repo.gate("request", "v2.0.0", "--title", "next").code == 0
    approve_all(repo, "v2.0.0")
    assert repo.gate("tag", "v2.0.0").code == 0
    _audit(repo)
    logs = _doc(repo)["logs"]
    assert logs["v2.0.0"][2] is None and logs["v1.0.0"][2] is not None
    judged = _judged(monkeypatch)
    _code(repo)
    _audit(repo)
    assert "v2.0.0" in judged and "v1.0.0" not in judged and "v1.1.0" not in judged
    _same_as_fresh(repo, monkeypatch)


def test_every_log_reads_back_as_it_was_written(repo: Repo) -> None:
    from gatekeeper.audit.kept_logs import log_doc, log_of

    _releases(repo)
    _tamper(repo, "v1.0.0")
    _audit(repo)
    logs = _doc(repo)["logs"]
    assert len(logs) == 4
    for kept in logs.values():
        log = log_of(json.loads(kept[1][1]))
        assert log_doc(log) == json.loads(kept[1][1])
        assert repr(log_of(log_doc(log))) == repr(log)


@pytest.mark.parametrize(
    "odd",
    [
        lambda log: setattr(
            log, "requested_at", datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
        ),
        lambda log: setattr(
            log, "requested_at", datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8), "CST"))
        ),
        lambda log: setattr(log, "requested_at", datetime(2026, 1, 1)),  # no offset
        lambda log: setattr(log, "requested_at", Moment(datetime(2026, 1, 1, tzinfo=UTC))),
        lambda log: setattr(log, "approvals", tuple(log.approvals)),
        lambda log: setattr(log, "title", _Text("a title")),
        lambda log: setattr(log, "events", [*log.events, "an event"]),
    ],
)
def test_a_log_that_would_not_read_back_as_it_is_is_not_written(
    repo: Repo, odd: Callable[[Any], None]
) -> None:
    from gatekeeper.audit.kept_logs import log_doc, log_of

    _releases(repo)
    _audit(repo)
    log = log_of(json.loads(_doc(repo)["logs"]["v1.0.0"][1][1]))
    odd(log)
    with pytest.raises(TypeError):
        log_doc(log)


class _Text(str):
    __slots__ = ()


def test_a_judgement_that_asked_about_a_commit_no_ref_keeps_is_not_kept(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A squash-merged release: its candidate is on a deleted branch. Whether that commit
    still exists decides the binding, and `git gc` prunes it (or a fetch brings it back)
    without moving a ref: neither the kept audit nor the kept status may answer from
    before (the review's finding: the kept log said clean, a fresh audit FAIL)."""
    repo.git("checkout", "-q", "-b", "feat")
    repo.write("feature.py", "x = 1\n")
    candidate = repo.commit("feature")
    repo.git("checkout", "-q", "main")
    assert repo.gate("request", "v1.0.0", "--title", "t", "--candidate", candidate).code == 0
    approve_all(repo)
    repo.git("checkout", "-q", "feat", "--", "feature.py")
    repo.commit("squash feature")
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.git("branch", "-q", "-D", "feat")
    pack = tmp_path / "saved"
    subprocess.run(
        ["git", "pack-objects", "-q", "--revs", str(pack)],
        input=candidate,
        text=True,
        cwd=repo.path,
        check=True,
        capture_output=True,
    )
    for command in ("audit", "status"):
        assert repo.gate(command).code == 0  # kept with the candidate there
    refs = repo.git("for-each-ref")
    repo.git("reflog", "expire", "--expire-unreachable=now", "--all")
    repo.git("gc", "-q", "--prune=now")
    assert repo.git("for-each-ref") == refs
    _same_as_fresh(repo, monkeypatch)
    assert "tag-tree-differs" in _audit(repo)[1]
    _same_status(repo, monkeypatch)
    with next(tmp_path.glob("saved-*.pack")).open("rb") as saved:  # back, no ref moved
        subprocess.run(["git", "unpack-objects", "-q"], stdin=saved, cwd=repo.path, check=True)
    _same_as_fresh(repo, monkeypatch)
    assert "tag-tree-differs" not in _audit(repo)[1]
    _same_status(repo, monkeypatch)


def _same_status(r: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = r.gate("status", "--format", "json").out
    with monkeypatch.context() as m:
        m.setenv("GATE_NO_CACHE", "1")
        assert r.gate("status", "--format", "json").out == kept


def test_what_git_log_prints_does_not_follow_a_setting_no_index_is_keyed_by(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`i18n.logOutputEncoding` changes how `git log` prints a commit whose header names
    another encoding; the kept history index is keyed by HEAD. gate asks for UTF-8."""
    _releases(repo)
    _tamper(repo, "v1.0.0")
    record = sorted((repo.path / "releases/v1.0.0/approvals").iterdir())[1]
    record.write_text(record.read_text() + "# again\n")
    repo.git("add", "-A")
    env = {"GIT_AUTHOR_EMAIL": "d\xe9ve@example.com"}
    with monkeypatch.context() as m:
        for name, value in env.items():
            m.setenv(name, value)
        repo.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--no-verify", "-m", "l1")
    _audit(repo)
    repo.git("config", "i18n.logOutputEncoding", "ISO-8859-1")
    _same_as_fresh(repo, monkeypatch)
