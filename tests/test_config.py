
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


RANGES = """# my settings
theme = "dark"

[providers.local]
base_url = "http://127.0.0.1:8080/v1"
needs_key = "no"

[network]
connect_timeout = 10
retries = 0
stall_timeout = -1
retry = 3

[efforts]
"anthropic/claude-sonnet-4-5" = "hard"
"""


def test_every_setting_is_checked_with_its_file_line_and_range(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(RANGES)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert problems == [
        f"{path} line 10: [network] retries must be a whole number between 1 and 10 (got 0)",
        f"{path} line 11: [network] stall_timeout must be a number of seconds between 1 and 3600 (got -1)",
        f"{path} line 6: [providers.local] needs_key must be true or false (got 'no')",
        f'{path} line 15: [efforts] "anthropic/claude-sonnet-4-5" must be one of off, low, medium, high, max (got \'hard\')',
    ]
    assert str(info.value) == problems[0] + " (and 3 more: see `rtchat config check`)"


def test_unknown_keys_in_known_tables_warn_and_are_ignored(tmp_path):
    text = "[network]\n\nretry = 3\nretries = 2\n\n[voice]\njiter_ms = 5\n"
    config = parse_config(text, tmp_path / "config.toml")
    assert config.network.retries == 2
    assert config.warnings[0].startswith(f"{tmp_path / 'config.toml'} line 3: unknown setting [network] retry (ignored; known: ")
    assert config.warnings[1].startswith(f"{tmp_path / 'config.toml'} line 7: unknown setting [voice] jiter_ms")


def test_a_whole_number_and_a_finite_one_are_required(tmp_path):
    for value, shown in (("2.5", "2.5"), ("nan", "nan"), ("true", "True")):
        with pytest.raises(ConfigError) as info:
            parse_config(f"[network]\nretries = {value}\n", tmp_path / "config.toml")
        assert str(info.value).endswith(f"line 2: [network] retries must be a whole number between 1 and 10 (got {shown})")
