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


# What text may hold as it is, as UTF-8: the printable ASCII characters, newline and tab
# (deleted before the search below, in C), and every character _UNPRINTABLE does not name.
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n\t"
# _UNPRINTABLE's characters as UTF-8 (a lone surrogate has none: it fails to encode). With
# the ASCII deleted, what is left is whole characters: a match starts at a lead byte.
_UNPRINTABLE_UTF8 = re.compile(
    b"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8b-\x8f\xa8-\xae]"
    b"|\xe2\x81[\xa6-\xa9]|\xef\xbb\xbf"
)


def printable(text: str) -> str:
    """`text` safe to write to any stream: undecodable bytes as `\\xNN`, controls escaped."""
    # Text with nothing to escape is itself, found mostly in C: an audit's JSON is tens of
    # megabytes, which the pattern scans ~5x slower than this.
    try:
        if plain_utf8(text.encode("utf-8")):
            return text
    except UnicodeEncodeError:  # a lone surrogate: a byte that was not UTF-8
        pass
    return _UNPRINTABLE.sub(_escape, text)


def plain_utf8(data: bytes) -> bool:
    """Whether text in UTF-8 (as encoding a `str` gives it) holds nothing `printable`
    escapes, found in C: the printable ASCII deleted, the rest searched."""
    return not _UNPRINTABLE_UTF8.search(data.translate(None, _PLAIN_ASCII))


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
