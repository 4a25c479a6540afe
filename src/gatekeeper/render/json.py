"""Stable JSON (documented in docs/json.md)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from gatekeeper.check.report import Report

if TYPE_CHECKING:
    from gatekeeper.check.explain import Explanation
    from gatekeeper.check.status import ReleaseStatus


def check(report: Report) -> str:
    """One object per release."""
    return dumps(report.to_json())


def dumps(data: Any) -> str:
    """JSON with non-ASCII kept readable (role titles are bilingual); a lone surrogate (a
    path byte that was not UTF-8) is written as its `\\udcXX` escape, so the text is
    valid UTF-8 and reads back to the same string. orjson writes it (an audit of thousands
    of releases is tens of megabytes; the standard library's indenting encoder is pure
    Python); what orjson refuses (a lone surrogate, an integer beyond 64 bits, a key that
    is not a string) goes to the standard library."""
    import orjson

    # Dates and dataclasses go through `default=str`, as they did with the standard library.
    options = (
        orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    )
    try:
        return orjson.dumps(data, default=str, option=options).decode("utf-8")
    except orjson.JSONEncodeError:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def status(rows: list[ReleaseStatus]) -> str:
    """`{"releases": [...]}`, one object per release."""
    return dumps({"releases": [r.to_json() for r in rows]})


def explain(ex: Explanation) -> str:
    """`gate check`'s object and the explanation's keys (docs/json.md)."""
    return dumps(ex.to_json())
