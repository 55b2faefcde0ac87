"""rtchat: a terminal chat client for real-time LLM APIs."""

__version__ = "0.1.0"
