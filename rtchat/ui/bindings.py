"""Every key binding of the app in one place, each with an `id` users can remap.

Remap in the config file: `[keys]` maps a binding id to a key, e.g.
`pick_model = "f2"`. Keys avoid ctrl+m, ctrl+i, ctrl+[ and ctrl+h, which
terminals send as Enter, Tab, Escape and Backspace.

Push-to-talk is F3: every common terminal sends it, and it means nothing to
the input box. ctrl+space also works where the terminal sends it (most send
NUL, which Textual names ctrl+@; kitty-protocol terminals say ctrl+space).
Terminals send no key-release, so the key toggles: press to talk, press to send.
"""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    Binding("ctrl+c", "interrupt", "Stop", id="interrupt", priority=True, tooltip="Stop the streaming answer; when idle, clear the input"),
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    Binding("f1", "help", "Help", id="help"),
    Binding("ctrl+o", "pick_model", "Model", id="pick_model", priority=True),
    Binding("ctrl+r", "cycle_effort", "Effort", id="cycle_effort", priority=True, show=False),
    Binding("ctrl+n", "cycle_protocol", "Protocol", id="cycle_protocol", priority=True),
    Binding("f3,ctrl+@,ctrl+space", "push_to_talk", "Talk", id="push_to_talk", priority=True, key_display="f3", tooltip="Voice: press to talk (stops a spoken answer), press again to send"),
    Binding("f7", "toggle_hands_free", "Hands-free", id="toggle_hands_free", priority=True, show=False, tooltip="Voice: switch between push-to-talk and hands-free (the server hears when you start and stop)"),
    Binding("f4", "pick_protocol", "Protocols", id="pick_protocol", show=False),
    Binding("ctrl+t", "toggle_all_thinking", "Thinking", id="toggle_all_thinking", priority=True, show=False, tooltip="Show or fold the thinking text of every answer (t: the focused one's)"),
    Binding("f5", "pick_theme", "Theme", id="pick_theme", show=False),
    Binding("ctrl+g", "jump_to_latest", "Latest", id="jump_to_latest", show=False, priority=True),
    Binding("f8", "copy_last_answer", "Copy answer", id="copy_last_answer", show=False),
    Binding("escape", "focus_transcript", "Messages", id="focus_transcript", show=False),
    Binding("ctrl+l", "list_conversations", "History", id="list_conversations", priority=True),
    Binding("ctrl+k", "new_conversation", "New chat", id="new_conversation", priority=True, show=False),
    Binding("ctrl+f", "search_history", "Search", id="search_history", priority=True, show=False),
    Binding("f6", "edit_system_prompt", "System prompt", id="edit_system_prompt", priority=True, show=False, tooltip="Show or change this conversation's system prompt (/system)"),
    Binding("f2", "copy_code_block", "Copy code block", id="copy_code_block", show=False, tooltip="Copy one code block of the focused (else the last) answer"),
    Binding("ctrl+v,alt+v", "paste_image", "Paste image", id="paste_image", priority=True, show=False, key_display="ctrl+v", tooltip="Attach the clipboard's image (alt+v where the terminal keeps ctrl+v); without one, paste what rtchat copied"),
    Binding("ctrl+s", "stop_sharing", "Stop sharing", id="stop_sharing", priority=True, tooltip="Stop sharing the screen, camera or file (shown only while sharing; ctrl+c twice too)"),
    Binding("ctrl+s", "start_slash('share')", "Share", id="share", priority=True, show=False, tooltip="Share the screen, a camera or a video file with the model: puts /share in the input (Enter starts it)"),
    Binding("f12", "pick_camera", "Camera", id="pick_camera", show=False, tooltip="The camera /share camera opens (the list is scanned again each time)"),
    Binding("f9", "run_bench", "Bench", id="run_bench", show=False, tooltip="Benchmark the protocols of the current model"),
]

INPUT_BINDINGS = [
    Binding("enter", "send", "Send", id="send", show=False),
    Binding("ctrl+j,alt+enter,shift+enter", "newline", "Newline", id="newline", show=False, key_display="ctrl+j"),
    Binding("up", "history_previous", "Earlier prompt", id="history_previous", show=False),
    Binding("down", "history_next", "Later prompt", id="history_next", show=False),
    Binding("ctrl+e", "open_editor", "Editor", id="open_editor", show=False, tooltip="Edit the prompt in $VISUAL / $EDITOR (End still ends the line)"),
]

MESSAGE_BINDINGS = [
    Binding("c", "copy_message", "Copy", id="copy_message"),
    Binding("t", "toggle_thinking", "Thinking", id="toggle_thinking"),
    Binding("i,escape", "focus_input", "Input", id="focus_input", show=False),
    Binding("up,k", "focus_previous_message", "Previous", id="focus_previous_message", show=False),
    Binding("down,j", "focus_next_message", "Next", id="focus_next_message", show=False),
    Binding("left_square_bracket,ctrl+left", "previous_branch", "Previous branch", id="previous_branch", show=False, key_display="["),
    Binding("right_square_bracket,ctrl+right", "next_branch", "Next branch", id="next_branch", show=False, key_display="]"),
    Binding("r", "regenerate_message", "Regenerate", id="regenerate_message", show=False, tooltip="Answer this prompt again; the old answer stays as a sibling"),
    Binding("e", "edit_message", "Edit and resend", id="edit_message", show=False, tooltip="Put this prompt (on an answer: its prompt) in the input; sending it makes a new branch"),
]

TOOL_CARD_BINDINGS = [  # act on a card that asks about a tool call (never from the input)
    Binding("y", "decide('once')", "Allow once", id="tool_allow_once", tooltip="Run this tool call"),
    Binding("a", "decide('always')", "Always allow", id="tool_allow_always", tooltip="Run this tool without asking for the rest of the conversation; a again saves it to the config"),
    # After `a`, the same key (and id: one keymap entry moves both) saves it; the footer says so.
    Binding("a", "save_always", "Save always", id="tool_allow_always", tooltip="Save always allow for this tool to the config"),
    Binding("n", "decide('deny')", "Deny", id="tool_deny", tooltip="Do not run it; the model is told you declined"),
    Binding("i,escape", "focus_input", "Input", id="tool_focus_input", show=False),
]

SECTIONS = (("Everywhere", APP_BINDINGS), ("Input", INPUT_BINDINGS), ("Focused message", MESSAGE_BINDINGS), ("Tool call asking", TOOL_CARD_BINDINGS))


def effective_key(binding: Binding, keymap: dict[str, str]) -> str:
    """The key(s) a binding answers to once the user's `[keys]` table is applied."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key_display or binding.key


def key_for(binding_id: str, keymap: dict[str, str]) -> str:
    """The key(s) the app binding `binding_id` answers to, for messages that name it."""
    return effective_key(next(b for b in APP_BINDINGS if b.id == binding_id), keymap)
