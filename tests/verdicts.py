"""Reading `gate check --format json` in tests: the verdict, one gate, a short summary."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from conftest import Repo


def check_json(r: Repo, *args: str) -> tuple[int, dict[str, Any]]:
    """Exit code and report of `gate ARGS --format json` (0 or 1, never bad input)."""
    res = r.gate(*args, "--format", "json")
    assert res.code in (0, 1), res.out + res.err
    return res.code, json.loads(res.out)


def gate_of(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in data["gates"] if g["id"] == gate_id)


def hours_after(moment: datetime, hours: float) -> str:
    return (moment + timedelta(hours=hours)).isoformat()


def summary(data: dict[str, Any]) -> list[Any]:
    return [(g["id"], g["passed"], g["reasons"][:2]) for g in data["gates"]]
