"""A race: the same conversation sent to several model/protocol targets at once, measured side by side.

Pure orchestration over `Session` turns (no UI, no printing), so `rtchat race --json`
and the app's race screen read the same lanes, figures and marks.
"""

from rtchat.race.lane import Figures, Lane
from rtchat.race.runner import Race
from rtchat.race.targets import MAX_TARGETS, MIN_TARGETS, RaceSpec, parse_protocols, race_specs

__all__ = ["Figures", "Lane", "MAX_TARGETS", "MIN_TARGETS", "Race", "RaceSpec", "parse_protocols", "race_specs"]
