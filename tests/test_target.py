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


@pytest.mark.parametrize(("wire", "header", "value"), [
    ("openai_chat", "Authorization", "Bearer k-123"),
    ("openai_responses", "Authorization", "Bearer k-123"),
    ("azure_chat", "api-key", "k-123"),
    ("anthropic", "x-api-key", "k-123"),
    ("gemini", "x-goog-api-key", "k-123"),
])
def test_every_wire_builds_its_key_header_from_the_one_rule(wire, header, value):
    """The request each wire builds carries the key exactly as `key_headers` says, and no other
    credential header; with no key, none at all."""
    from rtchat.conversation import Conversation
    from rtchat.target import KEY_HEADERS, key_headers
    from rtchat.wire import WIRES, RequestOptions

    conversation = Conversation()
    conversation.add_user("hi")
    credential_names = {"authorization", *KEY_HEADERS.values()}
    sent = WIRES[wire].build_request("https://api.example.com", "k-123", "m", conversation, RequestOptions(api_version="v"))
    assert {k: v for k, v in sent.headers.items() if k.lower() in credential_names} == {header: value} == key_headers(wire, "k-123")
    unsent = WIRES[wire].build_request("https://api.example.com", None, "m", conversation, RequestOptions(api_version="v"))
    assert not credential_names & {k.lower() for k in unsent.headers}


def test_socket_addresses_take_the_targets_auth_headers():
    from rtchat.catalog import Provider
    from rtchat.live.realtime import realtime_address
    from rtchat.target import Target, auth_headers

    openai = Target(Provider("openai", "OpenAI", "openai_chat", "https://api.openai.com/v1", ()), "gpt-realtime", None, "https://api.openai.com/v1", "k-1")
    azure = Target(Provider("azure", "Azure", "azure_chat", "https://r.openai.azure.com", (), api_version="v"), "dep", None, "https://r.openai.azure.com", "k-2")
    assert dict(realtime_address(openai).headers) == auth_headers(openai) == {"Authorization": "Bearer k-1"}
    assert dict(realtime_address(azure).headers) == auth_headers(azure) == {"api-key": "k-2"}
