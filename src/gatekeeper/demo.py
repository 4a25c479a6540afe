"""`gate demo`: a throwaway repository and one release walked from request to tag."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.records.session import Session
    from gatekeeper.repo import GitRepo

PEOPLE = {
    "alice": ("Alice Chen", "product"),
    "bob": ("Bob Li", "rnd"),
    "carol": ("Carol Wang", "pm"),
    "dave": ("Dave Zhao", "ops"),
    "erin": ("Erin Liu", "leadership"),
}
JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="app" tests="3">
<testcase classname="app" name="test_login"/>
<testcase classname="app" name="test_checkout"/>
<testcase classname="app" name="test_refund"/>
</testsuite></testsuites>
"""
NOTICE = "# 上线通告 / Launch notice\n\nv1.0.0 goes live tonight at 22:00. 产品部\n"


def demo_keys(folder: Path) -> dict[str, Path]:
    """A throwaway ed25519 key per demo person (never use these for anything else)."""
    import subprocess

    keys = {}
    for pid in PEOPLE:
        path = folder / pid
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{pid}@demo", "-f", str(path)],
            check=True,
        )
        keys[pid] = path
    return keys


def demo_policy(keys: dict[str, Path]) -> str:
    """The standard template, signatures = "ssh", with five demo people, one per role."""
    import tomli_w

    from gatekeeper.policy import templates

    doc: dict[str, Any] = tomllib.loads(templates.text("standard"))
    doc["signatures"] = "ssh"
    doc["people"] = {
        pid: {
            "name": name,
            "email": f"{pid}@demo.example",
            "keys": [keys[pid].with_name(pid + ".pub").read_text().strip()],
        }
        for pid, (name, _) in PEOPLE.items()
    }
    for pid, (_, role) in PEOPLE.items():
        doc["roles"][role]["members"] = [pid]
    return tomli_w.dumps(doc)


@contextmanager
def acting_as(pid: str) -> Iterator[None]:
    """Run git (and gate) as a demo person by setting git's identity variables."""
    name = PEOPLE[pid][0]
    keys = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(dict(zip(keys, (name, f"{pid}@demo.example") * 2, strict=True)))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_demo(directory: Path | None, say: Callable[[str], None]) -> Path:
    """Walk one release end to end, printing each step; returns the repository path."""
    from gatekeeper.repo import open_repo

    root, files, keys = _prepare(directory, say)
    with open_repo(root) as repo:
        demo = _Demo(repo, keys, files, say)
        demo.request()  # 1
        demo.check("2. gate check: nothing is approved yet, so it fails")
        demo.approve()  # 3
        demo.attach_evidence()  # 4, 5
        demo.check("6. gate check: every gate passes")
        demo.tag_and_verify()  # 7, 8
    say(f"\nexplore it: cd {root} && gate status && gate check {TAG} && gate audit")
    return root


TAG = "v1.0.0"


def _prepare(
    directory: Path | None, say: Callable[[str], None]
) -> tuple[Path, Path, dict[str, Path]]:
    """A new repository with the demo policy and app, and throwaway keys beside it."""
    from gatekeeper.repo import init_repo

    root = directory or Path(tempfile.mkdtemp(prefix="gate-demo-"))
    if root.exists() and any(root.iterdir()):
        raise InputError(f"{root}: not empty", hint="give a new or empty directory")
    root.mkdir(parents=True, exist_ok=True)
    files = Path(tempfile.mkdtemp(prefix="gate-demo-files-"))
    keys = demo_keys(files)
    config = {
        "user.name": "Demo",
        "user.email": "dave@demo.example",
        "commit.gpgsign": "false",
        "tag.gpgsign": "false",
        "gpg.format": "ssh",  # dave signs the release tag, and so its receipt
        "user.signingkey": str(keys["dave"]),
    }
    init_repo(root, config)
    say(f"demo repository: {root}\n")
    say(f"throwaway SSH keys for alice, bob, carol, dave, erin: {files}\n")
    (root / "policies").mkdir()
    (root / "policies" / "release.toml").write_text(demo_policy(keys), encoding="utf-8")
    (root / "app.py").write_text("print('hello, release')\n", encoding="utf-8")
    (files / "report.xml").write_bytes(JUNIT)
    (files / "notice.md").write_text(NOTICE, encoding="utf-8")
    return root, files, keys


@dataclass(frozen=True)
class _Demo:
    """The demo's steps, each as the person who would take it."""

    repo: GitRepo
    keys: dict[str, Path]
    files: Path
    say: Callable[[str], None]

    def session(self, who: str) -> Session:
        from gatekeeper.records.session import open_session

        return open_session(self.repo, TAG, self.keys[who])

    def request(self) -> None:
        from gatekeeper.records.recording import RequestFields, file_request

        with acting_as("dave"):
            self.repo.commit_files(["policies/release.toml", "app.py"], "app and release policy")
            self.say("1. dave (ops) files the release request for the current commit, signed")
            fields = RequestFields(
                "First release", summary="hello world", rollback_plan="redeploy the previous build"
            )
            file_request(self.session("dave"), TAG, fields)

    def check(self, label: str) -> None:
        from gatekeeper.check.evaluation import check_release
        from gatekeeper.render.text import check as render

        self.say(f"\n{label}")
        self.say(render(check_release(self.repo, TAG)))

    def approve(self) -> None:
        from gatekeeper.records.recording import sign_off

        for pid in ("alice", "bob", "carol"):
            role = PEOPLE[pid][1]
            with acting_as(pid):
                self.say(f"\n3. {pid} approves as {role} (an ssh-keygen -Y signature in the file)")
                sign_off(self.session(pid), TAG, role, "approve", "looks good")

    def attach_evidence(self) -> None:
        from gatekeeper.records.recording import attach

        with acting_as("dave"):
            self.say("\n4. dave attaches the test report, the backups and the environment check")
            evidence = [
                ("test-report", self.files / "report.xml", {}),
                ("backup", None, {"target": "database", "location": "s3://backups/db"}),
                ("backup", None, {"target": "files", "location": "s3://backups/files"}),
                ("env-check", None, {"servers": "pass", "database": "pass"}),
            ]
            for kind, source, sets in evidence:
                attach(self.session("dave"), TAG, kind, source, sets)
        with acting_as("alice"):
            self.say("\n5. alice (product) publishes the launch notice")
            attach(self.session("alice"), TAG, "launch-notice", self.files / "notice.md", {})

    def tag_and_verify(self) -> None:
        from gatekeeper.check.receipt import verify
        from gatekeeper.check.tagging import create_release_tag

        report, created = create_release_tag(self.repo, TAG, "HEAD", None, sign=True)
        if created:
            self.say(
                f"\n7. gate tag {TAG} --sign: tagged {report.revision[:12]}, with a receipt "
                "(in-toto Statement, SLSA verification summary) in the signed tag message"
            )
            ok, bad = verify(self.repo, TAG, None)
            self.say(f"\n8. gate verify-receipt {TAG}: {len(ok)} checks hold, {len(bad)} fail")
