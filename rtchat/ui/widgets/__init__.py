"""Widgets of the chat screen, grouped by domain: transcript/, input/, status/."""
