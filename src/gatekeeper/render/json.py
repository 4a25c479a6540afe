"""Stable JSON (documented in docs/json.md)."""

from __future__ import annotations

import json
from typing import Any

from gatekeeper.report import Report


def check(report: Report) -> str:
    """One object per release."""
    return dumps(report.to_json())


def dumps(data: Any) -> str:
    """JSON with non-ASCII kept readable (role titles are bilingual)."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
