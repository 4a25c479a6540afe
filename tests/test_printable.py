"""`printable()`'s quick answer (text with nothing to escape is itself) gives what the
pattern gives."""

from __future__ import annotations

from gatekeeper.render import _UNPRINTABLE, _escape, printable


def by_pattern(text: str) -> str:
    return _UNPRINTABLE.sub(_escape, text)


def test_each_character_alone_and_inside_ascii_text_is_escaped_as_the_pattern_says() -> None:
    for code in range(0x10000):
        char = chr(code)
        for text in (char, f'{{"a": "x{char}y"}}\n', f"plain\t{char}", f"测试 {char}é\u200a"):
            assert printable(text) == by_pattern(text), hex(code)


def test_plain_ascii_is_given_back_and_one_control_anywhere_is_escaped() -> None:
    plain = "".join(map(chr, range(0x20, 0x7F))) + "\n\t"
    assert printable(plain * 1000) == plain * 1000
    for control in ("\x00", "\x1b", "\r", "\x7f", "\x9b", "\u202e", "\ufeff", "\udcff"):
        text = plain * 500 + control + plain * 500
        assert control not in printable(text)
        assert printable(text) == by_pattern(text)


def test_text_in_other_scripts_is_given_back_and_what_the_pattern_names_is_escaped() -> None:
    chinese = "测试负责人 / QA lead: 上线申请 ✅ 🚀 ﷺ\n" * 1000
    assert printable(chinese) == chinese
    for hidden in ("\u061c", "\u200b", "\u2028", "\u2066", "\u0085"):
        text = chinese + hidden + chinese
        assert hidden not in printable(text)
        assert printable(text) == by_pattern(text)
