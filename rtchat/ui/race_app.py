"""`rtchat race` without --json: the app, opening straight onto the race view.

A subclass rather than an option of the app: the race is set up once the app
is ready (the model resolved), and the chat goes on from there as usual.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtchat.config import Config
from rtchat.race import RaceSpec
from rtchat.ui.app import RtChatApp


class RaceApp(RtChatApp):
    def __init__(self, config: Config, specs: Sequence[RaceSpec], prompt: str, **kwargs) -> None:
        kwargs.setdefault("model", specs[0].model)
        kwargs.setdefault("protocol", specs[0].protocol)
        super().__init__(config, **kwargs)
        self.race_specs = list(specs)
        self.race_prompt = prompt

    def on_ready(self) -> None:
        """Asked once already on the command line (or --yes): a paid race is not asked again."""
        self.races.open(self.race_specs, self.race_prompt, confirmed=True)


def run_race_app(config: Config, specs: Sequence[RaceSpec], prompt: str, theme: str | None = None) -> int:
    app = RaceApp(config, specs, prompt, theme=theme)
    result = app.run()
    return app.return_code if app.return_code is not None else (result or 0)
