
from pathlib import Path

import pytest

from rtchat.catalog import parse_model_ref
from rtchat.config import ConfigError, default_model_ref, load_config, parse_config, save_setting

EXAMPLE = """
default_model = "mygateway/gpt-5"

[providers.mygateway]
base_url = "https://gateway.internal.example/v1"
key_env = "MYGATEWAY_API_KEY"
models = ["gpt-5", "claude-sonnet-4-5"]

[providers.openai]
base_url = "https://gateway.example/v1"

[network]
stall_timeout = 5
"""


def test_model_ref_splits_at_first_slash():
    ref = parse_model_ref("openrouter/openai/gpt-5")
    assert (ref.provider, ref.model) == ("openrouter", "openai/gpt-5")
    with pytest.raises(ValueError):
        parse_model_ref("gpt-5")


def test_custom_provider_and_override(tmp_path):
    config = parse_config(EXAMPLE, tmp_path / "config.toml")
    custom = config.catalog.provider("mygateway")
    assert custom.custom and custom.wire == "openai_chat" and custom.key_env == ("MYGATEWAY_API_KEY",)
    assert [m.id for m in custom.models] == ["gpt-5", "claude-sonnet-4-5"]
    assert config.catalog.provider("openai").base_url == "https://gateway.example/v1"
    assert config.network.stall_timeout == 5.0
    assert str(default_model_ref(config, lambda p: False)) == "mygateway/gpt-5"


def test_tokenpapa_is_built_in_and_reads_its_key_from_the_environment():
    tokenpapa = parse_config("", Path("config.toml")).catalog.provider("tokenpapa")
    assert tokenpapa.base_url == "https://api.tokenpapa.ai/v1" and tokenpapa.key_env == ("TOKENPAPA_API_KEY",)
    assert tokenpapa.wire == "openai_chat" and "deepseek-v4-flash" in [m.id for m in tokenpapa.models]


def test_bad_toml_names_file_and_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "dark"\n[providers.x\nbase_url = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_default_is_loopback_without_keys(tmp_path):
    config = load_config(tmp_path / "missing.toml")
    assert str(default_model_ref(config, lambda p: False)) == "loopback/echo"
    assert str(default_model_ref(config, lambda p: p.id == "anthropic")) == "anthropic/claude-sonnet-4-5"


def test_save_setting_keeps_comments(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# mine\ntheme = \"dark\"\n")
    save_setting(path, "theme", "light")
    save_setting(path, 'protocols.loopback/echo', "websocket")
    text = path.read_text()
    assert "# mine" in text
    config = load_config(path)
    assert config.theme == "light" and config.protocols == {"loopback/echo": "websocket"}
