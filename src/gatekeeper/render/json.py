"""Stable JSON (documented in docs/json.md)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from gatekeeper.check.report import Report

if TYPE_CHECKING:
    from gatekeeper.audit.model import AuditLog
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
    found = fast(data)
    if found is not None:
        return found
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fast(data: Any) -> str | None:
    """`data` as orjson writes it for `dumps`; None when orjson refuses it."""
    found = _fast(data)
    return None if found is None else found.decode("utf-8")


def _fast(data: Any) -> bytes | None:
    import orjson

    # Dates and dataclasses go through `default=str`, as they did with the standard library.
    options = (
        orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    )
    try:
        return orjson.dumps(data, default=str, option=options)
    except orjson.JSONEncodeError:
        return None


def placed(release: Any) -> bytes | None:
    """A release's log (its JSON object) as `audit` writes it: as `fast` does, each line
    after the first indented to the depth of `releases` (UTF-8); None when orjson refuses
    it."""
    found = _fast(release)
    return None if found is None else found.replace(b"\n", b"\n    ")


def audit(log: AuditLog) -> bytes:
    """`gate audit --format json`, in UTF-8 (tens of megabytes, never decoded). A release
    whose text an earlier run kept (`placed` wrote it) is written as it is, not made again
    (a repeat audit of 5,000 releases would otherwise rebuild and write 50 MB of logs that
    did not change)."""
    import orjson

    found = _fast(log.to_json(orjson.Fragment))  # each kept text as it is, if any
    if found is None:  # something orjson refuses: every kept release read back
        found = dumps(log.to_json()).encode("utf-8")  # (lone surrogates written as escapes)
    return found


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def status(rows: list[ReleaseStatus]) -> str:
    """`{"releases": [...]}`, one object per release."""
    return dumps({"releases": [r.to_json() for r in rows]})


def explain(ex: Explanation) -> str:
    """`gate check`'s object and the explanation's keys (docs/json.md)."""
    return dumps(ex.to_json())
