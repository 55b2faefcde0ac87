"""Widgets of the chat screen, one job per module."""
