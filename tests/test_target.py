"""Where a key may go: "local" is decided from the URL alone, before any DNS lookup."""

from __future__ import annotations

import pytest

from rtchat.target import is_local


@pytest.mark.parametrize("url", ["http://localhost:8080/v1", "http://127.0.0.1/v1", "http://127.45.6.7:1/", "http://[::1]:8765", "http://LOCALHOST./v1"])
def test_this_machine_is_local(url):
    assert is_local(url)


@pytest.mark.parametrize("url", [
    "http://127.attacker.example/v1",  # a name anyone can point anywhere
    "http://127.0.0.1.nip.io/v1",
    "http://localhost.example.com/v1",
    "http://10.0.0.1/v1",
    "http://[::2]/v1",
    "https://api.openai.com/v1",
    "http://0x7f000001/v1",  # not an IP literal to ipaddress: treated as a name
])
def test_anything_else_is_not(url):
    assert not is_local(url)


def test_the_bench_and_race_call_only_this_machine_free():
    """`is_free` follows `is_local`: a name that merely starts with 127. still costs money, so it is asked about first."""
    from rtchat.target import is_free

    assert is_free("openai", "http://127.0.0.1:8765/v1") and is_free("loopback", "")
    assert not is_free("openai", "http://127.attacker.example/v1")


def test_a_self_hosted_server_elsewhere_or_a_gateway_is_not_free():
    from rtchat.target import is_free

    assert is_free("vllm", "http://localhost:8000/v1") and is_free("ollama", "http://[::1]:11434/v1")
    assert not is_free("vllm", "https://gpu.example.com/v1") and not is_free("ollama", "https://ollama.com/v1")
    assert not is_free("litellm", "http://localhost:4000/v1"), "a gateway relays to paid providers upstream"
