"""The person at the keyboard, for tests whose edge is the approval key."""

from __future__ import annotations

from rtchat.tools.approval import Decision


class Yes:
    """Presses y for every call; `asked` keeps each request put to them."""

    def __init__(self) -> None:
        self.asked = []

    async def decide(self, request):
        self.asked.append(request)
        return Decision.ONCE


class Key:
    """Presses `answer` for every call; `asked` keeps each request put to them."""

    def __init__(self, answer: Decision) -> None:
        self.answer, self.asked = answer, []

    async def decide(self, request):
        self.asked.append(request)
        return self.answer
