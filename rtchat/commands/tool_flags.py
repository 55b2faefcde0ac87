"""`--tools` / `--no-tools`: which MCP servers one `rtchat ask` run offers (typed or spoken)."""

from __future__ import annotations

from rtchat.commands.common import fail
from rtchat.session import Session
from rtchat.target import Target
from rtchat.tools.approval import ConversationTools


def tool_choices(session: Session, target: Target, args) -> ConversationTools | None:
    """The servers this run offers (`--tools`, `--no-tools`, else every one for the model); None
    after saying which named server does not exist."""
    if args.no_tools:
        return ConversationTools(servers=set())
    if not args.tools:
        return ConversationTools()
    named = {name.strip() for name in args.tools.split(",") if name.strip()}
    known = session.tool_servers(target, "sse", ConversationTools())
    unknown = sorted(named - set(known))
    if unknown:
        fail(f"--tools: no MCP server {', '.join(map(repr, unknown))} for {target.ref} (servers: {', '.join(known) or 'none: add [mcp.servers.NAME] to the config'})")
        return None
    return ConversationTools(servers=named)
