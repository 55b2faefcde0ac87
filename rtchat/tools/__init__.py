"""The tool layer: MCP servers (the official `mcp` SDK), the registry of their tools, the user's
approval of every call, and the runner a turn's tool steps go through (`turns.tool_steps.ToolRunner`).

HTTP turns, socket turns and voice share this one layer. Nothing a model or a tool says can start
a server, change the config or approve a call: servers come from the user's config, approval from
the user's key (or the `--approve-tools` flag they typed).
"""
