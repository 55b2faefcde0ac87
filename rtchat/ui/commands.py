"""Every app action in the command palette (ctrl+p), so nothing needs a key to be found."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, help, action) - the action runs on the app
COMMANDS = (
    ("Conversations", "stored conversations: filter, open, rename (F2), delete (ctrl+d)", "list_conversations"),
    ("New conversation", "start afresh; the current one stays in the history", "new_conversation"),
    ("Search history", "full-text search over every stored message", "search_history"),
    ("Switch model", "fuzzy-find a model of any configured provider", "pick_model"),
    ("Cycle reasoning effort", "off → low → medium → high → max", "cycle_effort"),
    ("Cycle protocol", "SSE → WebSocket → WebRTC among those the model supports", "cycle_protocol"),
    ("Push to talk", "voice: press to talk, again to send (F3); opens voice mode on first use", "push_to_talk"),
    ("Hands-free voice", "voice: switch between push-to-talk and hands-free, the server hears when you start and stop (F7)", "toggle_hands_free"),
    ("Regenerate answer", "answer the last prompt again with the current model; the old answer stays ([ ] flip)", "regenerate"),
    ("Edit last prompt", "put the last prompt in the input; sending makes a new branch, the old one stays", "edit_prompt"),
    ("Race this prompt across protocols", "the prompt in the input (else the last one) over every protocol of this model, side by side", "race"),
    ("Benchmark protocols for this model", "connection set-up, time to first token, inter-token and interrupt latency per protocol", "run_bench"),
    ("Tools", "this conversation's MCP servers and tools, each on or off (/tools)", "pick_tools"),
    ("Choose protocol", "all protocols, with why some are unavailable", "pick_protocol"),
    ("Change theme", "live preview; the choice is saved in the config", "pick_theme"),
    ("Toggle all thinking", "show or fold the thinking text of every answer", "toggle_all_thinking"),
    ("System prompt", "show or change this conversation's system prompt (F6, /system)", "edit_system_prompt"),
    ("Apply persona", "a configured [personas.NAME]: prompt, model, effort (/persona NAME)", "start_slash('persona')"),
    ("Reload personas", "re-read the config and name the personas it holds (/persona)", "list_personas"),
    ("Attach a file", "an image, PDF or text file for the next prompt (/attach PATH)", "start_slash('attach')"),
    ("Paste image from clipboard", "attach the clipboard's image to the next prompt (ctrl+v, /paste)", "paste_image"),
    ("Share screen, camera or video file", "show the model what you see: /share screen|camera|FILE (ctrl+s); the status line says while it lasts", "start_slash('share')"),
    ("Stop sharing", "stop the screen, camera or file share (ctrl+s, ctrl+c twice, /share off)", "use_share('off')"),
    ("Choose camera", "the camera /share camera opens, the list scanned again (F12)", "pick_camera"),
    ("Open input in editor", "write the prompt in $VISUAL / $EDITOR (ctrl+e)", "open_editor"),
    ("Copy a code block", "one code block of the focused (else the last) answer (F2)", "copy_code_block"),
    ("Clear conversation", "start afresh keeping the system prompt (/clear)", "clear_conversation"),
    ("Export conversation", "write it as Markdown to the current folder (/export [PATH])", "export_conversation"),
    ("Copy last answer", "put the latest answer on the clipboard (OSC 52)", "copy_last_answer"),
    ("Jump to latest", "scroll to the end and follow the stream again", "jump_to_latest"),
    ("Stop answer / clear input", "interrupt the streaming answer, or clear the input when idle", "interrupt"),
    ("Focus messages", "move focus to the latest message (c copies, t toggles thinking)", "focus_transcript"),
    ("Keys and help", "every key binding", "help"),
    ("Quit", "leave rtchat (a streaming answer is kept)", "quit"),
)


class RtChatCommands(Provider):
    """The app's own actions, searchable by name."""

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)
