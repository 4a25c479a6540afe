"""A release's audit log as the kept audit holds it (audit/kept.py): every field, written
as JSON and read back strictly, both by the types the dataclasses declare.

Writing takes only values that read back as they were: a string that is a `str` (not a
subclass), a time whose zone is a plain UTC offset (an offset is all ISO text keeps), a
tuple where a tuple is declared, a dataclass of exactly the class declared. Anything
else raises TypeError, and the log is not kept. Reading takes only what writing gives:
a value of the wrong type, a field too many or too few, a class not the one declared:
the entry raises, and the release is judged again. Each reader and writer is made once
per declared type.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gatekeeper.kept import as_bytes, as_list, as_mapping, as_text, as_time

if TYPE_CHECKING:
    from gatekeeper.audit.model import ReleaseLog

Coder = typing.Callable[[Any], Any]


def log_doc(log: object) -> Any:
    """`log` (a ReleaseLog) as JSON; raises TypeError when a value would not read back
    as it is."""
    from gatekeeper.audit.model import ReleaseLog

    return _writer(ReleaseLog)(log)


def log_of(doc: object) -> Any:
    """A ReleaseLog as `log_doc` writes it; anything else raises."""
    from gatekeeper.audit.model import ReleaseLog

    return _reader(ReleaseLog)(doc)


def written(log: object) -> bytes | None:
    """`log` as JSON text (read only when the log is used); None when it would not read
    back as it is (it is not kept)."""
    from gatekeeper.kept import as_json_text

    try:
        return as_json_text(log_doc(log))
    except TypeError:
        return None


def held(doc: object) -> list[Any]:
    """A kept entry's [inputs, log as `written`, the log as the JSON output places it]:
    the texts as UTF-8, read (and so checked) only when used."""
    inputs, log, shown = as_list(doc)
    return [as_text(inputs), as_bytes(log), None if shown is None else as_bytes(shown)]


def out_of_line(entries: dict[str, list[Any]]) -> tuple[dict[str, list[Any]], bytes]:
    """Kept entries ([window, [inputs, log text, shown text], across]) with their texts
    moved to bytes kept after the file's JSON, each named by where it starts and ends
    there (a text inside JSON is escaped and unescaped at every turn: tens of megabytes
    of them)."""
    parts: list[bytes] = []
    at = 0

    def place(text: bytes) -> list[int]:
        nonlocal at
        parts.append(text)
        at += len(text)
        return [at - len(text), at]

    out = {}
    for tag, (window, (inputs, log, shown), across) in entries.items():
        out[tag] = [window, [inputs, place(log), None if shown is None else place(shown)], across]
    return out, b"".join(parts)


def in_line(entry: object, body: memoryview) -> list[Any]:
    """A kept entry as `out_of_line` wrote it, with its texts back in place; TypeError or
    ValueError when it is not one."""
    window, texts, across = as_list(entry)
    inputs, log, shown = as_list(texts)
    return [
        window,
        [inputs, _text(log, body), None if shown is None else _text(shown, body)],
        across,
    ]


def _text(where: object, body: memoryview) -> bytes:
    start, end = as_list(where)
    if type(start) is not int or type(end) is not int or not 0 <= start <= end <= len(body):
        raise ValueError("expected where a kept text starts and ends")
    return bytes(body[start:end])


def shown_as(tag: str, text: bytes) -> bytes:
    """`text` if it is a log of `tag` exactly as `render.json.placed` writes one (it is
    placed in the output as it is: one spoiled, or merely spaced otherwise, a CR that
    `printable` would escape between values, must not reach the output); else
    ValueError."""
    import orjson

    from gatekeeper.render.json import placed

    doc = orjson.loads(text)  # orjson.JSONDecodeError (bytes that are no UTF-8 too) is a ValueError
    if type(doc) is not dict or doc.get("release") != tag or placed(doc) != text:
        raise ValueError(f"expected the log of {tag} as it is written")
    return text


@dataclass
class Reused:
    """The kept logs used again: read back, or (for the JSON output) their text alone."""

    logs: dict[str, ReleaseLog] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {*self.logs, *self.texts}


@functools.cache
def _hints(cls: type) -> tuple[tuple[str, Any], ...]:
    from gatekeeper.audit import model
    from gatekeeper.repo import values

    names = {**vars(model), **vars(values), "datetime": datetime}
    hints = typing.get_type_hints(cls, globalns=names)
    return tuple((f.name, hints[f.name]) for f in fields(cls))


def _optional(hint: Any) -> Any | None:
    """`X` of `X | None`; None when `hint` is no such union."""
    if typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return None
    kinds = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(kinds) != 1 or len(typing.get_args(hint)) != 2:
        raise TypeError(f"not kept: {hint}")
    return kinds[0]


def _is_tuple(hint: Any) -> bool:
    args = typing.get_args(hint)
    return typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis


@functools.cache
def _writer(hint: Any) -> Coder:
    inner = _optional(hint)
    if inner is not None:
        some = _writer(inner)
        return lambda v: None if v is None else some(v)
    if hint in (str, bool, int):
        return functools.partial(_exactly, hint)
    if hint is datetime:
        return _time_doc
    if _is_tuple(hint):
        item = _writer(typing.get_args(hint)[0])
        return lambda v: {"u": [item(x) for x in _exactly(tuple, v)]}
    if typing.get_origin(hint) is list:
        item = _writer(typing.get_args(hint)[0])
        return lambda v: [item(x) for x in _exactly(list, v)]
    if isinstance(hint, type) and is_dataclass(hint):
        return _dataclass_writer(hint)
    raise TypeError(f"not kept: {hint}")


def _dataclass_writer(cls: type) -> Coder:
    parts = [(name, _writer(hint)) for name, hint in _hints(cls)]

    def write(v: Any) -> Any:
        return {"d": cls.__name__, "v": [w(getattr(_exactly(cls, v), n)) for n, w in parts]}

    return write


def _exactly(kind: type, value: Any) -> Any:
    if type(value) is not kind:
        raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")
    return value


def _time_doc(moment: Any) -> dict[str, str]:
    """A time as ISO text, when that text reads back as the very same time: a plain
    `datetime` (no subclass), a UTC offset with no name of its own, fold 0."""
    zone = _exactly(datetime, moment).tzinfo
    if type(zone) is not timezone or zone != timezone(zone.utcoffset(None)):
        raise TypeError("a time not kept: its zone is more than an offset")
    if repr(zone) != repr(timezone(zone.utcoffset(None))) or moment.fold:
        raise TypeError("a time not kept: its zone's name or fold would be lost")
    return {"t": moment.isoformat()}


@functools.cache
def _reader(hint: Any) -> Coder:
    inner = _optional(hint)
    if inner is not None:
        some = _reader(inner)
        return lambda d: None if d is None else some(d)
    if hint in (str, bool, int):
        return _exact_reader(hint)
    if hint is datetime:
        return lambda d: as_time(_tagged(d, "t"))
    if _is_tuple(hint):
        item = _reader(typing.get_args(hint)[0])
        return lambda d: tuple([item(x) for x in as_list(_tagged(d, "u"))])
    if typing.get_origin(hint) is list:
        item = _reader(typing.get_args(hint)[0])
        return lambda d: [item(x) for x in as_list(d)]
    if isinstance(hint, type) and is_dataclass(hint):
        return _dataclass_reader(hint)
    raise TypeError(f"not kept: {hint}")


def _exact_reader(kind: type) -> Coder:
    """A value of exactly `kind` (no subclass: `True` is no int here), as it stands."""

    def read(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, not {type(value).__name__}")
        return value

    return read


def _dataclass_reader(cls: type) -> Coder:
    parts = [_reader(hint) for _, hint in _hints(cls)]
    name, count = cls.__name__, len(parts)

    def read(d: Any) -> Any:
        if type(d) is not dict or len(d) != 2 or d.get("d") != name:
            raise TypeError(f"expected {name}")
        values = d.get("v")
        if type(values) is not list or len(values) != count:
            raise TypeError(f"expected {count} fields of {name}")
        return cls(*[r(v) for r, v in zip(parts, values, strict=True)])

    return read


def _tagged(doc: object, key: str) -> object:
    """The value of a one-key object `{key: value}` (a time, a tuple)."""
    held = as_mapping(doc)
    if len(held) != 1 or key not in held:
        raise TypeError(f"expected {{{key!r}: ...}}")
    return held[key]
