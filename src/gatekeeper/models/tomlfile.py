"""Read TOML safely and turn validation failures into one line per problem."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import tomli  # the parser Python ships as tomllib, compiled: records are parsed by the thousand

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from pydantic import ValidationError

MAX_TOML_BYTES = 256 * 1024
MAX_DEPTH = 16
_INT_LIMIT = 2**63

TOML_HINT = "fix the file (TOML 1.0, UTF-8 without BOM) and run `gate validate PATH`"


def parse_toml(data: bytes, path: str) -> dict[str, Any]:
    """Parse TOML bytes, refusing what a release record never needs to contain."""
    if len(data) > MAX_TOML_BYTES:
        raise InputError(
            f"{path}: file is {len(data)} bytes; expected at most {MAX_TOML_BYTES}",
            hint="records and policies are small; attach large files as evidence",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        raise InputError(
            f"{path}: starts with a byte-order mark (BOM); expected UTF-8 without BOM",
            hint="save the file as UTF-8 without BOM",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: byte {exc.start} is not valid UTF-8; expected UTF-8 text", hint=TOML_HINT
        ) from None
    try:
        doc = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}", hint=TOML_HINT) from None
    except ValueError as exc:  # int() refuses integers of thousands of digits
        raise InputError(f"{path}: invalid TOML value: {exc}", hint=TOML_HINT) from None
    except RecursionError:
        raise InputError(
            f"{path}: nesting too deep; expected at most {MAX_DEPTH} levels", hint=TOML_HINT
        ) from None
    _check_shape(doc, path, "", 0)
    return doc


def _check_shape(value: object, path: str, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InputError(
            f"{path}: {where or 'document'}: nesting too deep; expected at most {MAX_DEPTH} levels",
            hint=TOML_HINT,
        )
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not -_INT_LIMIT <= value < _INT_LIMIT:
        raise InputError(
            f"{path}: {where}: integer out of range; expected a 64-bit integer", hint=TOML_HINT
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_shape(item, path, f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_shape(item, path, f"{where}[{index}]", depth + 1)


def format_loc(loc: Iterable[int | str]) -> str:
    """`('gates', 2, 'roles', 0)` -> `gates[2].roles[0]`, dropping union tags."""
    parts = list(loc)
    out = ""
    for i, part in enumerate(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i >= 2 and parts[i - 2] == "gates" and isinstance(parts[i - 1], int):
            continue  # the gate union's tag (`approval`, `test-report`, ...), not a key
        elif part.startswith("function-"):
            continue
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


def validation_lines(path: str, exc: ValidationError) -> list[str]:
    """One line per problem: `file: field: what was expected`."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = format_loc(err["loc"])
        lines.append(f"{path}: {loc}: {_message(err)}")
    return lines


def _message(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (not in the schema; see `gate schema`)"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind in {"value_error", "assertion_error"}:
        return msg
    shown = repr(err.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg[0].lower()}{msg[1:]}, got {shown}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` or an empty string."""
    options = list(choices)
    close = [c for c in options if c.startswith(word) or word.startswith(c)]
    close = close or difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
