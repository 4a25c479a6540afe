"""One module per output format; all printing of results lives here."""

import re

# Lone surrogates stand for bytes that were not UTF-8 (git paths are decoded with
# surrogateescape); control characters other than newline and tab (C0, DEL and C1: U+009B
# is a terminal's CSI) could rewrite a terminal line or pose as a CI command; bidi
# controls, zero-width characters and line separators could make a line read otherwise
# than it says (a "failed" reversed, two names alike). Output shows them as escapes.
_UNPRINTABLE = re.compile(
    "[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)


# What ASCII text may hold as it is: the printable characters, newline and tab.
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n\t"


def printable(text: str) -> str:
    """`text` safe to write to any stream: undecodable bytes as `\\xNN`, controls escaped."""
    # ASCII text with nothing but plain characters is itself (one pass in C: an audit's
    # JSON is tens of megabytes, which the pattern below scans ~5x slower).
    if text.isascii() and not text.encode("ascii").translate(None, _PLAIN_ASCII):
        return text
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
