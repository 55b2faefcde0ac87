"""Textual's web driver, ending the app when the server that feeds it goes away.

textual-serve runs one app process per browser tab and talks to it over the
process's stdin and stdout. When the tab closes it sends a "quit" packet, and
SIGINT/SIGTERM post the same exit: the app ends as on ctrl+q, the answer that
was streaming is stopped and kept, marked interrupted. But when the server
itself dies (killed, crashed), stdin just ends: Textual's driver stops reading
and the app ran on for ever, an orphan streaming into a closed pipe, its answer
never finished in the history. Here the end of stdin is that same exit.
"""

from __future__ import annotations

from textual import messages
from textual.drivers.web_driver import WebDriver


class ServedWebDriver(WebDriver):
    def run_input_thread(self) -> None:
        super().run_input_thread()
        if not self.exit_event.is_set():  # the input ended before the app stopped the driver: stdin closed
            self._app.post_message(messages.ExitApp())
