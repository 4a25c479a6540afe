"""Decoding an XML document in whatever encoding it declares, before expat sees it.

expat reads only UTF-8, UTF-16, ISO-8859-1 and ASCII by itself and fails on the
multi-byte encodings Chinese, Japanese and Korean Windows toolchains declare (GBK,
Big5, Shift_JIS, EUC-KR...). So the document is decoded here, by the rules of the
XML specification (a byte order mark wins, then the declaration, else UTF-8), and
handed on as UTF-8 without its declaration. An encoding Python does not know is bad
input, named in one line.
"""

from __future__ import annotations

import codecs
import re

from gatekeeper.errors import RecordError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Without a byte order mark, UTF-16 shows itself in how `<?` is spelled (XML 1.0, F.1).
_SNIFF = ((b"<\0?\0", "utf-16-le"), (b"\0<\0?", "utf-16-be"))
_DECLARATION = re.compile(rb"<\?xml\s[^>]*?\?>")
_ENCODING = re.compile(rb"""\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,39}$")  # XML 1.0 EncName, bounded
_TEXT_DECLARATION = re.compile(r"^<\?xml\s[^>]*?\?>")
_WIDE = ("utf_16", "utf_32")
EXAMPLES = "UTF-8, GBK, GB18030, Big5, Shift_JIS, EUC-KR"


def utf8_document(data: bytes, path: str) -> bytes:
    """`data` re-encoded as UTF-8 without its XML declaration (exit 2 naming the encoding
    when it is unknown or the bytes do not match it)."""
    encoding, start, said = _encoding_of(data, path)
    try:
        text = data[start:].decode(encoding)
    except LookupError:
        raise RecordError(
            f"{path}: {said}, which Python cannot decode; expected a known encoding such "
            f"as {EXAMPLES}",
            hint=f"have the tool write UTF-8, or convert: iconv -f {encoding} -t UTF-8",
        ) from None
    except UnicodeError as exc:
        where = f" at byte {exc.start + start}" if isinstance(exc, UnicodeDecodeError) else ""
        raise RecordError(
            f"{path}: {said}, but its bytes are not valid {encoding}{where}",
            hint='declare the encoding the tool wrote, e.g. <?xml version="1.0" '
            'encoding="GBK"?>, or convert the file to UTF-8',
        ) from None
    return _TEXT_DECLARATION.sub("", text, count=1).encode("utf-8")


def _encoding_of(data: bytes, path: str) -> tuple[str, int, str]:
    """(codec, where the text starts, how the document says so) for `data`."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom), f"starts with a {codec.upper()} byte order mark"
    for prefix, codec in _SNIFF:
        if data.startswith(prefix):
            return codec, 0, f"is {codec.upper()} without a byte order mark"
    declared = _declared(data, path)
    if not declared:
        return "utf-8", 0, "declares no encoding (so UTF-8)"
    _refuse_wide(declared, path)
    return declared, 0, f"declares encoding {declared!r}"


def _declared(data: bytes, path: str) -> str:
    """The encoding named by the XML declaration at the very start, or ''."""
    declaration = _DECLARATION.match(data)
    found = _ENCODING.search(declaration.group(0)) if declaration else None
    if found is None:
        return ""
    raw = found.group(1) if found.group(1) is not None else found.group(2)
    name = raw.decode("ascii", "replace")
    if not _ENC_NAME.match(name):
        raise RecordError(
            f"{path}: XML declaration names encoding {name!r}; expected an encoding name "
            f"such as {EXAMPLES}",
            hint="fix the XML declaration or have the tool write UTF-8",
        )
    return name


def _refuse_wide(declared: str, path: str) -> None:
    """A declaration readable as ASCII cannot be UTF-16/32 text: the file contradicts it."""
    try:
        codec = codecs.lookup(declared).name.replace("-", "_")
    except LookupError:
        return  # reported, with the name, when decoding
    if codec.startswith(_WIDE):
        raise RecordError(
            f"{path}: declares {declared!r}, but its bytes are ASCII-compatible, not {declared}",
            hint="declare the encoding the tool really wrote (usually UTF-8)",
        )
