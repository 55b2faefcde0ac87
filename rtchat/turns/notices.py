"""Merging repeated warnings: a flood of the same warning is a few lines and a count.

Why: 20,000 malformed frames became 20,000 transcript widgets and stderr lines,
and "interrupted" waited behind them. The first few of each kind are shown; the
rest are counted and said once, when the turn ends ("skipped 19,997 more like this").
"""

from __future__ import annotations

from rtchat.events import Notice

SHOWN_PER_KIND = 3  # notices of one kind shown before the rest are only counted
KEY_CHARS = 60


def notice_kind(notice: Notice) -> str:
    """What makes two warnings "alike": the words before any detail (`skipped a malformed frame: ...`)."""
    return notice.text.split(":", 1)[0][:KEY_CHARS]


class NoticeMerger:
    """Per turn: which notices to show now, and the counts to say at the end."""

    def __init__(self, shown_per_kind: int = SHOWN_PER_KIND) -> None:
        self.shown_per_kind = shown_per_kind
        self._seen: dict[str, int] = {}
        self._first: dict[str, Notice] = {}

    def admit(self, notice: Notice) -> bool:
        """Whether to show this notice now (False: it is only counted). Only warnings are
        merged: information (each retry, say) is few by construction and each one is news."""
        if notice.level != "warning":
            return True
        kind = notice_kind(notice)
        seen = self._seen.get(kind, 0) + 1
        self._seen[kind] = seen
        self._first.setdefault(kind, notice)
        return seen <= self.shown_per_kind

    def summaries(self) -> list[Notice]:
        """One line per kind that was cut short, then forget them (said once)."""
        lines = []
        for kind, seen in self._seen.items():
            skipped = seen - self.shown_per_kind
            if skipped > 0:
                first = self._first[kind]
                what = first.text.split(":", 1)[0][:KEY_CHARS]
                lines.append(Notice(f"skipped {skipped:,} more like this ({what})", first.level))
        self._seen.clear()
        self._first.clear()
        return lines
