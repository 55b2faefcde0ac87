"""The one retry runner (rtchat/retry.py), seen from both of its callers at once.

The fault matrices check each transport's retries on its own; this checks that an HTTP turn
and a socket opening that fail the same way retry the same way: the same notices and the
same last words about the waiting budget, only the words for what failed differ. Real
sockets: nothing listens on the port, so every try is refused by the kernel.
"""

from __future__ import annotations

import socket
from dataclasses import replace

from rtchat.config import NetworkSettings, load_config
from rtchat.conversation import Conversation
from rtchat.events import Error, Notice
from rtchat.session import Session
from tests.support.turns import run_turn


async def test_an_http_turn_and_a_socket_opening_retry_alike(isolated):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    config = load_config()
    config.network = replace(NetworkSettings(), retries=3, max_retry_wait=1.5)  # waits 1 s, then 2 s would pass the budget
    session = Session(config)
    seen = {}
    try:
        target = await session.resolve("loopback/echo", f"http://127.0.0.1:{port}/v1")
        for protocol in ("sse", "websocket"):
            events, turn = await run_turn(session, target, Conversation(), "hi", protocol=protocol)
            seen[protocol] = ([e.text for e in events if isinstance(e, Notice)], [e for e in events if isinstance(e, Error)], turn.clock.attempts)
    finally:
        await session.aclose()
    (http_notices, [http_error], http_tries), (ws_notices, [ws_error], ws_tries) = seen["sse"], seen["websocket"]
    assert http_notices == [f"could not connect to 127.0.0.1:{port}; retrying in 1.0 s (try 2 of 3)"]
    assert ws_notices == [f"could not open the WebSocket to 127.0.0.1:{port}; retrying in 1.0 s (try 2 of 3)"]
    budget = " (the next try would wait 2 s; rtchat waits at most 1.5 s in all)"
    assert http_error.message.endswith(budget) and ws_error.message.endswith(budget)
    assert http_error.kind == ws_error.kind == "connection"
    assert http_tries == ws_tries == 2
