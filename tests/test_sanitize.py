from rtchat.sanitize import json_line_safe, terminal_safe


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
