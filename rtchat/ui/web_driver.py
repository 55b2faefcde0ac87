"""Textual's web driver, ending the app when the server that feeds it goes away, and reading the
tab's messages only after its own start-up ones.

textual-serve runs one app process per browser tab and talks to it over the
process's stdin and stdout. When the tab closes it sends a "quit" packet, and
SIGINT/SIGTERM post the same exit: the app ends as on ctrl+q, the answer that
was streaming is stopped and kept, marked interrupted. But when the server
itself dies (killed, crashed), stdin just ends: Textual's driver stops reading
and the app ran on for ever, an orphan streaming into a closed pipe, its answer
never finished in the history. Here the end of stdin is that same exit.

At start Textual's driver posts the size it was started with and an AppBlur ("the tab has not
said it is focused yet"), both by way of the event loop, after it has started the thread that
reads the tab. A tab says its own size and focus as soon as its socket opens, long before the
app is up, so that thread posted them first and the driver's start-up blur came after: the app
thought itself unfocused for good, and Textual's footer, which draws only in a focused app,
stayed blank (after the first key, when Textual refocuses, at best). Here the thread reads the
tab only once the start-up messages are in the app's queue, so the tab's word comes last.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from textual import messages
from textual.drivers.web_driver import WebDriver


class ServedWebDriver(WebDriver):
    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        self._started_up = threading.Event()  # the driver's start-up size and blur are in the app's queue

    def start_application_mode(self) -> None:
        super().start_application_mode()
        # After the start-up size (a coroutine run on the loop, as this one) and the blur (a
        # callback in the app's queue, as the one this queues): the tab's messages go behind both.
        asyncio.run_coroutine_threadsafe(self._release_input(), asyncio.get_running_loop())

    async def _release_input(self) -> None:
        self._app.call_later(self._started_up.set)

    def stop_application_mode(self) -> None:
        self._started_up.set()  # an app that ends before its queue ran: the input thread must not wait for ever
        super().stop_application_mode()

    def run_input_thread(self) -> None:
        self._started_up.wait()  # the tab's bytes wait in the pipe meanwhile: nothing is lost
        super().run_input_thread()
        if not self.exit_event.is_set():  # the input ended before the app stopped the driver: stdin closed
            self._app.post_message(messages.ExitApp())
