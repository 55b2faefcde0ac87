"""The config is read once into typed sections: voice, prices and app settings come typed from
`parse_config`, so no module reads the TOML's dicts (there is no `raw` left to read)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from rtchat.config import AppSettings, VoiceSettings, load_config, parse_config
from rtchat.config_rules import APP_KEYS, TOP_LEVEL, VOICE_KEYS, Sections
from rtchat.pricing import Price, price_for

TEXT = """
[voice]
ice_servers = "stun:stun.example.com:3478"
input_device = 3
jitter_ms = 40

[prices."openai/gpt-5"]
input = 2
output = 20

[prices."mine/model"]
input = 1
output = 2

[app]
reopen_last = true
last_model = "loopback/lorem"

[network]
retries = 2
"""


def test_every_section_is_typed_once(tmp_path):
    config = parse_config(TEXT, tmp_path / "config.toml")
    assert config.voice == VoiceSettings(ice_servers=["stun:stun.example.com:3478"], input_device=3, jitter_ms=40.0)
    assert isinstance(config.voice.jitter_ms, float)
    assert config.prices["openai/gpt-5"] == Price(2.0, 20.0, 0.125), "an override keeps the built-in cached price"
    assert price_for("mine/model", config.prices) == Price(1.0, 2.0)
    assert config.remembered == AppSettings(reopen_last=True, last_model="loopback/lorem")
    assert config.network.retries == 2 and isinstance(config.network.retries, int)
    assert not hasattr(config, "raw")


def test_a_missing_file_has_the_defaults(tmp_path):
    config = load_config(tmp_path / "missing.toml")
    assert (config.voice, config.remembered, config.prices) == (VoiceSettings(), AppSettings(), {})


def test_where_names_the_line_of_a_setting(tmp_path):
    config = parse_config(TEXT, tmp_path / "config.toml")
    assert config.where(("app",), "last_model") == f"{tmp_path / 'config.toml'} line 17"
    assert config.where((), "theme") == str(tmp_path / "config.toml")


def test_no_module_reads_the_toml_outside_the_config_modules():
    root = Path(__file__).resolve().parent.parent / "rtchat"
    readers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name not in ("config.py", "config_rules.py") and re.search(r"\.raw\b", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_the_known_keys_are_the_sections_fields():
    assert set(APP_KEYS) == {f.name for f in fields(AppSettings)}
    assert VOICE_KEYS == {f.name for f in fields(VoiceSettings)}
    assert TOP_LEVEL == {f.name for f in fields(Sections)} - {"remembered", "mcp_servers"} | {"app", "mcp", "providers"}
