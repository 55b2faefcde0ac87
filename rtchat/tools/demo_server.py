"""rtchat's demo MCP server (stdio): two harmless tools, so a first run with the loopback model
and no key or network shows a tool call end to end. `python -m rtchat.tools.demo_server`.

Built with the official SDK's server (`MCPServer`); it imports nothing of rtchat's but the
arithmetic, so it starts as fast as the SDK allows.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rtchat.tools.arithmetic import Refused, calculate


def zone_time(zone: str) -> str:
    try:
        now = datetime.now(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {zone!r}; use an IANA name such as UTC or Europe/Paris") from None
    return f"{now.isoformat(timespec='seconds')} ({zone})"


def build_server():  # -> mcp's MCPServer
    from mcp.server.mcpserver import MCPServer  # deferred: importing this module stays light
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("rtchat-demo", instructions="Harmless demo tools: the time in a zone, and arithmetic.", log_level="WARNING")

    @server.tool()
    def time_now(zone: str = "UTC") -> str:
        """The current date and time in an IANA time zone (such as UTC or Europe/Paris)."""
        try:
            return zone_time(zone)
        except ValueError as exc:
            raise ToolError(str(exc)) from None  # an is_error result the model reads, not a crash

    @server.tool(name="calculate")
    def calculate_tool(expression: str) -> str:
        """Work out an arithmetic expression: numbers, + - * / // % **, unary minus, parentheses."""
        try:
            return str(calculate(expression))
        except Refused as exc:
            raise ToolError(str(exc)) from None

    return server


def main() -> None:
    build_server().run("stdio")


if __name__ == "__main__":
    main()
