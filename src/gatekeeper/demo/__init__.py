"""`gate demo`: a throwaway repository and one release walked from request to tag."""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gatekeeper.errors import InputError

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


def demo_policy(keys: dict[str, Path], window: tuple[datetime, datetime] | None = None) -> str:
    """The standard template, signatures = "ssh", with five demo people, one per role, and
    a demo freeze `window` besides the template's."""
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
    if window is not None:
        freeze = next(g for g in doc["gates"] if g["id"] == "freeze")
        title = "演示封网 / demo freeze"
        freeze["windows"].insert(0, {"title": title, "start": window[0], "end": window[1]})
    return tomli_w.dumps(doc)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Run with `values` set in the environment, restored afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def acting_as(pid: str) -> AbstractContextManager[None]:
    """Run git (and gate) as a demo person by setting git's identity variables."""
    name, email = PEOPLE[pid][0], f"{pid}@demo.example"
    keys = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
    return environment(dict(zip(keys, (name, email) * 2, strict=True)))


def run_demo(directory: Path | None, say: Callable[[str], None]) -> Path:
    """Walk one release end to end, then a hotfix in an emergency, printing each step;
    returns the repository path."""
    from gatekeeper.demo.steps import Demo
    from gatekeeper.repo import open_repo

    now = datetime.now(UTC)
    window = _demo_freeze(now)
    root, files, keys = _prepare(directory, say, window)
    with open_repo(root) as repo:
        demo = Demo(repo, keys, files, say, now)
        demo.request()  # 1
        demo.check("2. gate check: nothing is approved yet, so it fails")
        demo.approve()  # 3
        demo.attach_evidence()  # 4, 5
        demo.check("6. gate check: every gate passes")
        demo.freeze(window)  # 7
        demo.tag_and_verify()  # 8, 9
        demo.hotfix()  # 10-14
    say(f"\nexplore it: cd {root} && gate status && gate freeze && gate audit")
    return root


def _demo_freeze(now: datetime) -> tuple[datetime, datetime]:
    """A two-day freeze starting at the next midnight in Beijing, two days from now."""
    from gatekeeper.zones import zone

    local = now.astimezone(zone("Asia/Shanghai")) + timedelta(days=2)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=2)


TAG = "v1.0.0"


def _prepare(
    directory: Path | None, say: Callable[[str], None], window: tuple[datetime, datetime]
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
    (root / "policies" / "release.toml").write_text(demo_policy(keys, window), encoding="utf-8")
    (root / "app.py").write_text("print('hello, release')\n", encoding="utf-8")
    (files / "report.xml").write_bytes(JUNIT)
    (files / "notice.md").write_text(NOTICE, encoding="utf-8")
    return root, files, keys
