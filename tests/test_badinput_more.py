"""Bad input found in the third review round: each is refused with exit 2, one line naming
the option, file or folder and what was expected, and a `hint:` — never a traceback or an
"internal error" — and a refused command leaves the work tree, index, tags and history
as they were. Real temp repositories, real git, a real SMTP server and real sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import Repo, Result, approve_all, make_repo
from test_notify import _ready

TAG = "v1.0.0"


def refused(res: Result, *named: str) -> None:
    """Exit 2, an `error:` line naming each of `named`, a `hint:` line, no traceback."""
    assert res.code == 2, (res.code, res.out, res.err)
    lines = res.err.splitlines()
    assert lines and lines[0].startswith("error: "), res.err
    assert all(name in lines[0] for name in named), (named, lines[0])
    assert any(line.startswith("hint: ") for line in lines[1:]), res.err
    clean(res)


def clean(res: Result) -> None:
    for said in (res.out, res.err):
        assert "Traceback" not in said and "internal error" not in said, said


def _requested(tmp_path: Path, extra: str = "") -> Repo:
    r = make_repo(tmp_path, extra=extra)
    assert r.gate("request", TAG, "--title", "t").code == 0
    return r


# -- 1. --at and the other time options: no date arithmetic overflows -----------------------


@pytest.mark.parametrize(
    "command", [("check", TAG), ("explain", TAG), ("status",)], ids=lambda c: c[0]
)
@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00"])
def test_an_at_beyond_the_calendar_is_refused_naming_the_option(
    tmp_path: Path, command: tuple[str, ...], at: str
) -> None:
    """`--at 9999-12-31T23:59:59Z` crashed with OverflowError (now + 5 minutes of skew)."""
    r = _requested(tmp_path)
    approve_all(r)
    before = r.state()
    res = r.gate(*command, "--at", at)
    refused(res, "--at", at, "expected a time from 1970-01-01 to 8999-12-31")
    assert r.state() == before


def test_a_tag_dated_at_the_end_of_the_calendar_fails_without_a_crash(tmp_path: Path) -> None:
    """A tag object claiming 9999-12-31 (git writes whatever date it is given) crashed
    check, status and the audit with OverflowError (the tag date plus 5 minutes of skew)."""
    from test_failclosed import hand_made_tag

    r = _requested(tmp_path)
    approve_all(r)
    hand_made_tag(r, "tagger dave <dave@example.com> 253402300799 +0000")
    res = r.gate("check", TAG, "--format", "json")
    clean(res)
    assert res.code == 1 and "in the future" in res.out
    for command in (("status",), ("audit",), ("check", "--all-tags")):
        res = r.gate(*command)
        clean(res)
        assert res.code in (0, 1), (command, res.err)


def test_a_report_json_that_cannot_be_written_is_refused_naming_it(tmp_path: Path) -> None:
    """`--report-json` naming a folder was an internal error (IsADirectoryError)."""
    r = _requested(tmp_path)
    for target in (tmp_path, tmp_path / "missing" / "report.json"):
        res = r.gate("check", TAG, "--report-json", str(target))
        refused(res, "--report-json", str(target))


def test_a_freeze_listing_from_the_end_of_the_calendar_is_refused(tmp_path: Path) -> None:
    r = make_repo(tmp_path)
    refused(r.gate("freeze", "--from", "9999-12-30"), "--from", "expected a time")


def test_the_rules_compare_dates_at_the_ends_of_the_calendar() -> None:
    """Rule 6 added five minutes of skew to the time judged: past the year 9999."""
    from gatekeeper.trust.rules import verify_not_future

    last = datetime.max.replace(tzinfo=UTC)
    assert verify_not_future(last, last - timedelta(minutes=1)) is None  # within the skew
    assert verify_not_future(last, last - timedelta(days=1)) is not None
    assert verify_not_future(datetime.min.replace(tzinfo=UTC), last) is None


# -- 2. an unwritable GITHUB_STEP_SUMMARY: a warning; the verdict keeps its exit code -------


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
@pytest.mark.parametrize("approved", [True, False], ids=["passing", "failing"])
def test_an_unwritable_step_summary_is_a_warning_and_the_verdict_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, approved: bool
) -> None:
    r = _requested(tmp_path)
    if approved:
        approve_all(r)
    target = tmp_path if where == "a folder" else tmp_path / "missing" / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    res = r.gate("check", TAG, "--format", "github")
    assert res.code == (0 if approved else 1), res.err
    assert f"release {TAG}: {'PASSED' if approved else 'FAILED'}" in res.out
    # every `::stop-commands::TOKEN` is followed by `::TOKEN::`: commands are back on
    tokens = re.findall(r"^::stop-commands::([0-9a-f]{32})$", res.out, re.MULTILINE)
    assert tokens and all(f"\n::{t}::" in res.out.split(t, 1)[1] for t in tokens)
    [warning] = res.err.splitlines()
    assert warning.startswith(f"warning: GITHUB_STEP_SUMMARY={target}: cannot append"), warning
    clean(res)


# -- 3. gate validate PATH: a symlink out of the repo, a folder named like a file -----------


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("policies/link.toml", "is a symlink; expected a regular file"),
        (f"releases/{TAG}/approvals/link.toml", "is a symlink; expected a regular file"),
        ("policies/x.toml", "is a folder; expected a regular file"),
    ],
)
def test_validate_refuses_a_symlink_out_of_the_repo_and_a_folder(
    tmp_path: Path, path: str, said: str
) -> None:
    r = make_repo(tmp_path)
    outside = tmp_path / "outside.toml"
    outside.write_text('schema = 1\ntags = ["v*"]\n', encoding="utf-8")
    (r.path / path).parent.mkdir(parents=True, exist_ok=True)
    if "link" in path:
        (r.path / path).symlink_to(outside)
    else:
        (r.path / path).mkdir()
    before = r.state()
    refused(r.gate("validate", path), path, said)
    refused(r.gate("validate", str(r.path / path)), path, said)  # as an absolute path too
    assert r.state() == before


def test_validate_refuses_a_record_path_outside_the_work_tree(tmp_path: Path) -> None:
    r = make_repo(tmp_path)
    elsewhere = tmp_path / "elsewhere" / "releases" / TAG / "approvals" / "a.toml"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text("x = 1\n", encoding="utf-8")
    refused(r.gate("validate", str(elsewhere)), str(elsewhere), "outside the work tree")


# -- 4. a file where the release folder goes ------------------------------------------------


@pytest.mark.parametrize("committed", [False, True], ids=["untracked", "committed"])
def test_a_file_named_releases_is_refused_and_nothing_is_written(
    tmp_path: Path, committed: bool
) -> None:
    r = make_repo(tmp_path)
    r.write("releases", "not a folder\n")
    if committed:
        r.commit("a file named releases")
    before = r.state()
    res = r.gate("request", TAG, "--title", "t")
    refused(res, "releases", "is a file; expected a folder")
    assert r.state() == before
    assert (r.path / "releases").read_text(encoding="utf-8") == "not a folder\n"


def test_a_release_folder_that_is_a_symlink_is_never_written_through(tmp_path: Path) -> None:
    r = make_repo(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (r.path / "releases").symlink_to(outside)
    before = r.state()
    refused(r.gate("request", TAG, "--title", "t"), "releases", "is a symlink")
    assert r.state() == before
    assert list(outside.iterdir()) == []


# -- 5. gate notify: the password file, the timeout, the port, what a robot answers ---------

NOTIFY = '[notify]\nemail = ["ops@example.com"]\n'
ROBOT = 'webhooks = [{ type = "slack", url_env = "GATE_SLACK_URL" }]\n'


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 go straight there, whatever proxy the machine has."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("GATE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GATE_SMTP_PORT", str(port))
    monkeypatch.setenv("GATE_SMTP_FROM", "product@example.com")


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd): its port and the messages it took."""
    from aiosmtpd.controller import Controller

    got: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            got.append(envelope.original_content or b"")  # type: ignore[attr-defined]
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, got
    finally:
        controller.stop()


@contextmanager
def raw_server(answer: bytes) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that reads a request and sends `answer`, HTTP or not."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        thread.join(5)


@pytest.mark.parametrize("kind", ["device", "pipe", "too big"])
def test_a_password_file_that_is_not_a_small_plain_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """`--smtp-password-file /dev/zero` read until memory ran out; a pipe hung."""
    r = _ready(tmp_path, NOTIFY)
    path = tmp_path / "password"
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "pipe":
        os.mkfifo(path)
    else:
        path.write_text("x" * 5000, encoding="utf-8")
    monkeypatch.setenv("GATE_SMTP_USER", "product@example.com")
    before = r.state()
    with smtp_server() as (port, got):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG, "--smtp-password-file", str(path))
    said = "more than 4096 bytes" if kind == "too big" else "not a regular file"
    refused(res, f"--smtp-password-file {path}", said)
    assert got == []
    assert r.state() == before


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--timeout", "inf", "--timeout inf: expected a number of seconds from 1 to 3600"),
        ("--timeout", "nan", "--timeout nan: expected a number of seconds"),
        ("--timeout", "0", "--timeout 0: expected a number of seconds"),
        ("--timeout", "1e308", "--timeout 1e+308: expected a number of seconds"),
        ("--smtp-port", "0", "--smtp-port 0: expected a port number from 1 to 65535"),
        ("--smtp-port", "70000", "--smtp-port 70000: expected a port number"),
    ],
)
def test_a_timeout_or_port_no_server_can_use_is_refused_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str, said: str
) -> None:
    """`--timeout inf` crashed when sending (after the check); `nan` and `--smtp-port 0`
    were click's usage errors, without a hint."""
    r = _ready(tmp_path, NOTIFY)
    before = r.state()
    with smtp_server() as (port, got):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG, option, value)
    refused(res, said)
    assert got == []
    assert r.state() == before


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("not http", "127.0.0.1 did not answer in HTTP (BadStatusLine"),
        ("a header too long", "127.0.0.1 did not answer in HTTP (LineTooLong"),
        ("a non-ASCII path", "the URL in GATE_SLACK_URL cannot go on the wire"),
        ("an invalid host name", "cannot send to a..b: the URL in GATE_SLACK_URL cannot go"),
    ],
)
def test_a_robot_that_cannot_be_sent_to_fails_its_channel_and_the_mail_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, said: str
) -> None:
    """The webhook sender caught only URLError and OSError: an answer that is not HTTP or a
    URL http.client cannot send crashed after the mail had gone out, so the notice-sent
    record was never written and every re-run mailed again."""
    r = _ready(tmp_path, NOTIFY + ROBOT)
    answer = {
        "not http": b"220 smtp.example.com ESMTP\r\n\r\n",
        "a header too long": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\nok",
    }.get(case, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    with smtp_server() as (port, got), raw_server(answer) as base:
        _smtp_env(monkeypatch, port)
        url = {
            "a non-ASCII path": f"{base}/services/令牌-secret",
            "an invalid host name": "http://a..b/services/secret",
        }.get(case, f"{base}/services/secret")
        monkeypatch.setenv("GATE_SLACK_URL", url)
        res = r.gate("notify", TAG)
    assert res.code == 1, (res.out, res.err)
    lines = res.out.splitlines()
    assert any(line.startswith("email: sent") for line in lines), res.out
    [failed] = [line for line in lines if line.startswith("slack: ")]
    assert failed.startswith("slack: FAILED: ") and said in failed, failed
    assert "secret" not in res.out + res.err  # the URL's token never reaches the output
    assert len(got) == 1
    evidence = r.git("ls-files", f"releases/{TAG}/evidence").splitlines()
    assert [p for p in evidence if "notice-sent" in p]  # what did go out is recorded
    clean(res)


# -- 6. a bare repository, a merge in progress, option errors -------------------------------


def _bare(r: Repo, tmp_path: Path) -> Repo:
    bare = Repo(tmp_path / "bare.git")
    subprocess.run(["git", "clone", "-q", "--bare", str(r.path), str(bare.path)], check=True)
    return bare


@pytest.mark.parametrize(
    "command",
    [
        ("check", TAG),
        ("validate",),
        ("validate", "--all"),
        ("status",),
        ("explain", TAG),
        ("approve", TAG, "--role", "rnd"),
    ],
    ids=" ".join,
)
def test_a_bare_repository_is_named_as_one_with_a_hint(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`git status failed: ...must be run in a work tree`, or for validate, every committed
    record "deleted" (a bare repository's index is empty)."""
    bare = _bare(_requested(tmp_path), tmp_path)
    refs = bare.git("for-each-ref")
    res = bare.gate(*command, who="bob")
    refused(res, "a bare repository (no work tree)", f"gate {command[0]} needs one")
    assert "git clone" in res.err.splitlines()[1]
    assert bare.git("for-each-ref") == refs


def test_a_bare_repository_can_still_be_audited(tmp_path: Path) -> None:
    bare = _bare(_requested(tmp_path), tmp_path)
    res = bare.gate("audit")
    assert res.code == 0, res.err
    assert f"release {TAG}" in res.out


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_a_sign_off_during_a_merge_is_refused_and_changes_nothing(
    tmp_path: Path, command: str
) -> None:
    r = _requested(tmp_path)
    r.git("checkout", "-q", "-b", "side")
    r.write("app.py", "print('side')\n")
    r.commit("side")
    r.git("checkout", "-q", "main")
    r.write("app.py", "print('main')\n")
    r.commit("main")
    merge = subprocess.run(
        ["git", "merge", "-q", "side"], cwd=r.path, capture_output=True, check=False
    )
    assert merge.returncode != 0  # a conflict: the merge waits for the user
    before = r.state()
    res = r.gate(command, TAG, "--role", "rnd", who="bob")
    refused(res, "a merge is in progress (MERGE_HEAD)")
    assert "git merge --abort" in res.err.splitlines()[1]
    assert r.state() == before


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("request", TAG, "--title", "t", "--planned-at", "tomorrow"), "--planned-at"),
        (("request", TAG, "--title", "t", "--bogus"), "--bogus"),
        (("request",), "Missing argument"),
        (("check", TAG, "--format", "xml"), "--format"),
        (("notify", TAG, "--timeout", "soon"), "--timeout"),
        (("bogus",), "bogus"),
        (("--bogus",), "--bogus"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, tuple) else None,
)
def test_option_errors_name_the_option_and_carry_a_hint(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    """click's usage error (`Usage: ... Error: Invalid value for '--planned-at'`) had no
    `hint:` line; --planned-at named no expected format."""
    r = make_repo(tmp_path)
    before = r.state()
    refused(r.gate(*args), named)
    assert r.state() == before


def test_option_errors_from_the_installed_entry_point_carry_a_hint(tmp_path: Path) -> None:
    """The same through `python -m gatekeeper` (plain, not rich, output; gate's own main)."""
    r = make_repo(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "gatekeeper", "request", TAG, "--title", "t", "--bogus"],
        cwd=r.path,
        capture_output=True,
        text=True,
        check=False,
    )
    refused(Result(proc.returncode, proc.stdout, proc.stderr), "gate request", "--bogus")
    assert proc.stderr.splitlines()[1] == "hint: `gate request --help` shows what it accepts"


# -- 7. gate validate's "not staged" note ---------------------------------------------------


def test_validate_says_not_staged_only_when_the_work_tree_differs_from_the_index(
    repo: Repo,
) -> None:
    policy = repo.path / "policies" / "release.toml"
    policy.write_text(policy.read_text(encoding="utf-8") + "# staged\n", encoding="utf-8")
    repo.git("add", "policies/release.toml")
    res = repo.gate("validate")
    assert res.code == 0, res.err
    assert "not staged" not in res.err  # the change is fully staged
    policy.write_text(policy.read_text(encoding="utf-8") + "# not yet\n", encoding="utf-8")
    res = repo.gate("validate")
    assert res.code == 0, res.err
    assert "policies/release.toml has changes that are not staged" in res.err
    repo.write("policies/extra.toml", "# new, untracked\n")
    repo.git("add", "policies/release.toml")
    res = repo.gate("validate")
    assert "policies/extra.toml has changes that are not staged" in res.err
    assert "policies/release.toml" not in res.err
