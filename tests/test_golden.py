"""`gate check --format json` and `gate audit --format json` pinned on a fixed repository.

Every date is fixed (git's and gatekeeper's clocks), so the outputs are byte-stable; a
change to them is a change to a documented interface and shows up here first. Set
UPDATE_GOLDEN=1 to rewrite the files after a deliberate change.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import JUNIT_OK, FixedClock, Repo, identity, make_repo

GOLDEN = Path(__file__).parent / "data" / "golden"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GATES = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'


def _step(r: Repo, clock: FixedClock, *args: str, who: str) -> None:
    clock.tick()
    res = r.gate(*args, who=who)
    assert res.code == 0, res.err


@pytest.fixture
def fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    clock.tick()
    r = make_repo(tmp_path, gates=GATES)
    report = tmp_path / "junit.xml"
    report.write_bytes(JUNIT_OK)
    _step(r, clock, "request", "v1.0.0", "--title", "First", who="dave")
    _step(r, clock, "approve", "v1.0.0", "--role", "product", "--comment", "ok", who="alice")
    _step(r, clock, "reject", "v1.0.0", "--role", "rnd", "--comment", "not yet", who="bob")
    _step(r, clock, "revoke", "v1.0.0", "--role", "rnd", who="bob")
    _step(r, clock, "approve", "v1.0.0", "--role", "rnd", who="bob")
    _step(r, clock, "attach", "v1.0.0", "test-report", str(report), who="dave")
    clock.tick()
    r.git("tag", "-a", "v1.0.0", "-m", "Release v1.0.0", env=identity("dave"))
    return r


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("check.json", ("check", "v1.0.0", "--format", "json")),
        ("audit.json", ("audit", "--format", "json")),
    ],
)
def test_json_outputs_are_pinned(fixed: Repo, name: str, args: tuple[str, ...]) -> None:
    res = fixed.gate(*args)
    assert res.code == 0, res.err
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(res.out, encoding="utf-8")
    assert res.out == path.read_text(encoding="utf-8")
