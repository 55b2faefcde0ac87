"""A Gemini Live server that answers every setup with a goAway and a close (issue 23's
storm: 14,057 sockets in 35 s, each carrying the key). Against a real WebSocket peer on
127.0.0.1 that counts connections: text and voice resume with backoff, stop after a few
resumes in a row, and say so once."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

from websockets.asyncio.server import serve

from rtchat.config import NetworkSettings
from rtchat.conversation import Conversation
from rtchat.events import Notice
from rtchat.retry import ResumeBackoff
from rtchat.transports.websocket import ConnectionState
from rtchat.voice.links import GeminiLiveLink
from tests.support.turns import text_of
from tests.support.voice import voice_target
from tests.support.wait import until
from tests.support.ws import ask, make_session

KEY = "storm-test-key"
RESUMES = len(ResumeBackoff().waits)
WITHIN = sum(ResumeBackoff().waits) + 5.0  # the backoff's own waits, and room for a loaded machine


class GoAwayStorm:
    """Sets up every session, then says goAway and closes it; with `answer_first`, the
    first session answers one turn before that (so the text session is idle when it goes)."""

    def __init__(self, answer_first: bool) -> None:
        self.answer_first = answer_first
        self.connections = 0
        self.keys_seen = 0
        self.url = ""

    async def handler(self, ws) -> None:
        self.connections += 1
        self.keys_seen += ws.request.headers.get("x-goog-api-key") == KEY
        first = self.connections == 1 and self.answer_first
        await ws.recv()  # setup
        await ws.send(json.dumps({"setupComplete": {}}))
        await ws.send(json.dumps({"sessionResumptionUpdate": {"newHandle": "storm-handle", "resumable": True}}))
        if first:
            message = json.loads(await ws.recv())
            if "clientContent" in message:
                await ws.send(json.dumps({"serverContent": {"modelTurn": {"parts": [{"text": "hello"}]}}}))
                await ws.send(json.dumps({"serverContent": {"turnComplete": True}}))
        await ws.send(json.dumps({"goAway": {"timeLeft": "0s"}}))
        await ws.close(1001, "going away")


@contextlib.asynccontextmanager
async def storm(answer_first: bool = False) -> AsyncIterator[GoAwayStorm]:
    peer = GoAwayStorm(answer_first)
    async with serve(peer.handler, "127.0.0.1", 0) as server:
        peer.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        yield peer


async def test_an_idle_text_session_stops_resuming_and_tells_the_next_turn(isolated):
    async with storm(answer_first=True) as peer:
        session = make_session(peer)
        try:
            target = await session.resolve("gemini/echo")
            conversation = Conversation()
            events, _ = await ask(session, target, conversation, "one")
            assert text_of(events) == "hello"
            connection = session.live_pool().connection(target, conversation)
            # `resumed` counts after the reopened socket is ready, and the storm may close it first:
            # wait for the count too, not only for the give-up.
            await until(lambda: connection.state is ConnectionState.CLOSED and connection.resume_backoff.in_a_row == RESUMES
                        and connection.resumed == RESUMES, WITHIN, "gave up resuming")
            assert peer.connections == 1 + RESUMES  # not hundreds a second: the first socket and a few resumes
            events, _ = await ask(session, target, conversation, "two")
        finally:
            await session.aclose()
    notices = [e.text for e in events if isinstance(e, Notice) and "stopped resuming" in e.text]
    assert len(notices) == 1, events
    assert KEY not in notices[0]


async def test_a_voice_link_stops_resuming_with_one_notice():
    async with storm() as peer:
        link = GeminiLiveLink(voice_target(peer.url, "echo", KEY, "gemini"), NetworkSettings())
        seen: list = []
        states: list[ConnectionState] = []
        link.on_event = seen.append
        link.on_state = states.append
        await link.connect()
        try:
            await until(lambda: states and states[-1] is ConnectionState.CLOSED, WITHIN, "the link gave up")
        finally:
            await link.close()
    assert peer.connections == 1 + RESUMES and peer.keys_seen == peer.connections
    assert ConnectionState.RECONNECTING in states
    assert [e for e in seen if isinstance(e, Notice)] == [e for e in seen if isinstance(e, Notice) and "stopped resuming" in e.text] != []
    assert len([e for e in seen if isinstance(e, Notice)]) == 1
