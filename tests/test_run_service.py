"""The one way to run and record a turn (rtchat/run.py), against a real SQLite history.

The provider is the only fake (a scripted turn); the recorder, the writer thread and
the file are real.
"""

from __future__ import annotations

from pathlib import Path

from rtchat.conversation import Conversation
from rtchat.events import Done, Error, TextDelta, ThinkingDelta, ThinkingSignature
from rtchat.history import TurnRecorder
from rtchat.run import TurnService
from rtchat.store import Store
from tests.support.turns import ScriptedTurn, anthropic_target


def service_on(path: Path) -> TurnService:
    return TurnService(TurnRecorder(Store.open(path), warn=lambda text: None))


def stored(path: Path) -> list[tuple[str, str, str]]:
    with Store.open(path) as store:
        conversation_id = store.last_conversation_id()
        if conversation_id is None:
            return []
        _, messages = store.load_conversation(conversation_id, all_branches=True)
    return [(m.role, m.text, m.status) for m in messages]


async def asked(service: TurnService, text: str, conversation: Conversation) -> None:
    conversation.add_user(text)
    await service.prompt(text, anthropic_target(), "sse", None)


async def test_the_stored_answer_and_the_next_context_are_the_turns_answer(tmp_path):
    path = tmp_path / "history.db"
    service, conversation = service_on(path), Conversation()
    await asked(service, "q", conversation)
    events = [ThinkingDelta("hm"), ThinkingSignature("sig"), TextDelta("an"), TextDelta("swer")]
    shown = []
    answer = await service.run(ScriptedTurn(anthropic_target(), conversation, events, Done("complete")), shown.append)
    service.recorder.close()
    assert [type(e) for e in shown[:4]] == [type(e) for e in events] and shown[-1] == Done("complete")
    assert stored(path) == [("user", "q", "complete"), ("assistant", "answer", "complete")]
    assert conversation.messages[-1].text == answer.text == "answer"
    assert [(b.text, b.signature) for b in conversation.messages[-1].thinking] == [("hm", "sig")]


async def test_a_first_turn_with_no_answer_leaves_no_conversation(tmp_path):
    path = tmp_path / "history.db"
    service, conversation = service_on(path), Conversation()
    await asked(service, "hi", conversation)
    await service.run(ScriptedTurn(anthropic_target(), conversation, [Error("auth", "no key")], Done("error")), lambda event: None)
    service.recorder.close()
    assert stored(path) == []
    assert conversation.messages == [], "the next prompt must not follow a dangling one"


async def test_a_recorded_race_answer_keeps_its_conversation_when_the_next_turn_fails(tmp_path):
    path = tmp_path / "history.db"
    service, conversation = service_on(path), Conversation()
    await asked(service, "race me", conversation)
    racer = ScriptedTurn(anthropic_target(), Conversation(list(conversation.messages)), [TextDelta("first!")], Done("complete"))
    async for _ in racer.events():
        pass
    await service.record(racer, service.recorder.last_prompt_id)
    failing = ScriptedTurn(anthropic_target(), conversation, [Error("server", "boom")], Done("error"))
    await service.run(failing, lambda event: None, parent=service.recorder.last_prompt_id)  # a regenerate that fails
    service.recorder.close()
    assert [row[:2] for row in stored(path)] == [("user", "race me"), ("assistant", "first!"), ("assistant", "")]
