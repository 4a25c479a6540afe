"""One module per output format; all printing of results lives here."""

import re

# Lone surrogates stand for bytes that were not UTF-8 (git paths are decoded with
# surrogateescape); control characters other than newline and tab could rewrite a
# terminal line or pose as a CI command. Output shows both as escapes.
_UNPRINTABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """`text` safe to write to any stream: undecodable bytes as `\\xNN`, controls escaped."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` as one printable line: newlines escaped too (data inside a line)."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def count(n: int, one: str, many: str) -> str:
    """`1 anomaly`, `2 anomalies`."""
    return f"{n} {one if n == 1 else many}"
