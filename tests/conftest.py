"""Real git, real files: temp repos with an isolated git config and a few helpers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gatekeeper.envflags import RUNNERS

PEOPLE = {
    "alice": "product",
    "bob": "rnd",
    "carol": "pm",
    "dave": "ops",
    "erin": "leadership",
    "mallory": None,  # in the policy, in no role
}

POLICY = """
schema = 1
tags = ["v*"]
signatures = "none"
{extra}

[people.alice]
email = "alice@example.com"
[people.bob]
email = "bob@example.com"
[people.carol]
email = "carol@example.com"
[people.dave]
email = "dave@example.com"
[people.erin]
email = "erin@example.com"
[people.mallory]
email = "mallory@example.com"

[roles.product]
title = "产品 / Product"
members = ["alice"]
[roles.rnd]
members = ["bob"]
[roles.pm]
members = ["carol"]
[roles.ops]
members = ["dave"]
[roles.leadership]
members = ["erin"]

[[gates]]
id = "acceptance"
type = "approval"
roles = ["product", "rnd"]
min_each = 1
{gates}
"""

JUNIT_OK = b"""<?xml version="1.0"?>
<testsuite name="s" tests="2"><testcase name="a"/><testcase name="b"/></testsuite>
"""
JUNIT_FAIL = b"""<?xml version="1.0"?>
<testsuite name="s" tests="2" failures="0"><testcase name="a"/>
<testcase name="b"><failure message="boom"/></testcase></testsuite>
"""


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config leaks in; signing is off unless a test turns it on."""
    home = tmp_path_factory.mktemp("home")
    config = home / "gitconfig"
    config.write_text(
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
        "[user]\n\tname = Nobody\n\temail = nobody@example.com\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(home))
    for var in list(os.environ):
        if var.startswith(("GIT_AUTHOR", "GIT_COMMITTER", "GIT_DIR", "GIT_INDEX", "GATE_")):
            monkeypatch.delenv(var)
    for var in ("CI", *RUNNERS):  # gate's cache is off in CI
        monkeypatch.delenv(var, raising=False)


@dataclass
class Result:
    """What a `gate` run printed and returned."""

    code: int
    out: str
    err: str


@dataclass
class Repo:
    """A temp git repository and helpers to write, commit and run gate as someone."""

    path: Path

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        assert proc.returncode == 0, f"git {args}: {proc.stderr}"
        return proc.stdout.strip()

    def hash_object(self, data: bytes, kind: str = "blob") -> str:
        """Write an object of `kind` byte by byte, as no porcelain command would (`tree`,
        `tag`: git's checks are skipped with --literally); returns its id."""
        return (
            subprocess.run(
                ["git", "hash-object", "-t", kind, "-w", "--literally", "--stdin"],
                cwd=self.path,
                input=data,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )

    def write(self, rel: str, content: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def commit(self, message: str = "change", who: str = "dave") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=identity(who))
        return self.git("rev-parse", "HEAD")

    def gate(self, *args: str, who: str = "dave") -> Result:
        with acting(who):
            result = CliRunner().invoke(app(), ["-C", str(self.path), *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    def state(self) -> tuple[str, ...]:
        """Everything a refused command must leave untouched."""
        head = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return (
            head,
            self.git("status", "--porcelain", "--untracked-files=all"),
            self.git("tag", "-l"),
            self.git("ls-files", "-s"),
        )


def identity(who: str) -> dict[str, str]:
    email = f"{who}@example.com"
    return {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": email,
    }


@contextmanager
def acting(who: str) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(identity(who))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def app():  # type: ignore[no-untyped-def]
    from gatekeeper.cli.app import app as typer_app

    return typer_app


def policy_text(extra: str = "", gates: str = "") -> str:
    return POLICY.format(extra=extra, gates=gates)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A repository with code and the test policy committed (no release yet)."""
    r = Repo(tmp_path / "repo")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", policy_text())
    r.commit("initial")
    return r


def make_repo(tmp_path: Path, extra: str = "", gates: str = "") -> Repo:
    """A repository with a custom policy."""
    r = Repo(tmp_path / "custom")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", policy_text(extra, gates))
    r.commit("initial")
    return r


def component_repo(tmp_path: Path, gates: str, extra: str = "") -> Repo:
    """`make_repo`, its policy then also naming component tags (`billing/v1.0.0`)."""
    r = make_repo(tmp_path, extra=extra, gates=gates)
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace('tags = ["v*"]', 'tags = ["v*", "*/v*"]'))
    r.commit("component tags")
    return r


def approve_all(r: Repo, tag: str = "v1.0.0", roles: tuple[str, ...] = ("alice", "bob")) -> None:
    for who in roles:
        res = r.gate("approve", tag, "--role", PEOPLE[who] or "", who=who)
        assert res.code == 0, res.err


def signoff_by_hand(
    r: Repo, who: str, role: str, decision: str = "approve", tag: str = "v1.0.0"
) -> str:
    """A sign-off written and committed by `who` without gate (as an insider could, or as
    gate would refuse to): bound to the current request. Returns its path."""
    import hashlib
    import tomllib

    folder = r.path / "releases" / tag
    request = (folder / "request.toml").read_bytes()
    candidate = tomllib.loads(request.decode())["candidate"]
    path = f"releases/{tag}/approvals/by-hand-{who}-{role}-{decision}.toml"
    r.write(
        path,
        f'schema = 1\nrelease = "{tag}"\nrole = "{role}"\ndecision = "{decision}"\n'
        f'person = "{who}"\ncandidate = "{candidate}"\n'
        f'request_sha256 = "{hashlib.sha256(request).hexdigest()}"\n'
        f'at = {datetime.now(UTC).isoformat()}\ncomment = ""\n',
    )
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", f"{who} by hand", env=identity(who))
    return path


class FixedClock:
    """gatekeeper's clock and git's, advanced by `step` per tick; a tick may be in any zone
    (for byte-stable outputs and readable timelines)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime, step: timedelta) -> None:
        self.now = start
        self._step = step
        self._monkeypatch = monkeypatch
        clock = self

        class Fixed(datetime):
            @classmethod
            def now(cls, tz: object = None) -> Fixed:  # type: ignore[override]
                return cls.fromtimestamp(clock.now.timestamp(), UTC)

        monkeypatch.setattr("gatekeeper.records.session.datetime", Fixed)

    def tick(self, zone: tzinfo = UTC) -> None:
        self.now += self._step
        stamp = self.now.astimezone(zone).isoformat()
        self._monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
        self._monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium, isolated in its own profile, with no network chatter."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )
