"""`printable()`'s quick answer for plain ASCII text gives what the pattern gives."""

from __future__ import annotations

from gatekeeper.render import _UNPRINTABLE, _escape, printable


def by_pattern(text: str) -> str:
    return _UNPRINTABLE.sub(_escape, text)


def test_each_character_alone_and_inside_ascii_text_is_escaped_as_the_pattern_says() -> None:
    for code in range(0x10000):
        char = chr(code)
        for text in (char, f'{{"a": "x{char}y"}}\n', f"plain\t{char}"):
            assert printable(text) == by_pattern(text), hex(code)


def test_plain_ascii_is_given_back_and_one_control_anywhere_is_escaped() -> None:
    plain = "".join(map(chr, range(0x20, 0x7F))) + "\n\t"
    assert printable(plain * 1000) == plain * 1000
    for control in ("\x00", "\x1b", "\r", "\x7f"):
        text = plain * 500 + control + plain * 500
        assert control not in printable(text)
        assert printable(text) == by_pattern(text)
