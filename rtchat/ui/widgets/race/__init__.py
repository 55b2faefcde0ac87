"""Widgets of the race view: one column per racer."""
