"""The HTML page of a tab: textual-serve's terminal client, with nothing fetched from elsewhere.

textual-serve's own page loads a web font from the internet before its script (a blank tab for
as long as that hangs, and a request leaving the machine), leaves the terminal unfocused so the
first keys are lost, and lets a tab close without a word. This page serves the fonts shipped in
textual-serve's package, focuses the terminal on load, keeps keys typed before the socket opens,
and asks before a tab with a session open is closed.
"""

from __future__ import annotations

import html
from string import Template

PAGE = Template(r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<!-- Everything from this server: the fonts textual-serve's own page takes from the internet are in its package. -->
<link rel="preload" href="/static/fonts/RobotoMono-VariableFont_wght.ttf" as="font" type="font/ttf" crossorigin>
<link rel="stylesheet" href="/static/css/xterm.css">
<style>
@font-face {
  font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
  font-weight: 100 700;
  font-style: normal;
}
@font-face {
  font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-Italic-VariableFont_wght.ttf") format("truetype");
  font-weight: 100 700;
  font-style: italic;
}
body { background: #0c181f; margin: 0; }
.ended {
  display: none; position: absolute; inset: 0; z-index: 10; align-items: center; justify-content: center;
  flex-direction: column; gap: 16px; background: rgba(12, 24, 31, 0.92); color: #eee;
  font: 16px "Roboto Mono", monospace;
}
body.-closed .ended { display: flex; }
.ended button { font: inherit; padding: 8px 24px; background: #5e0ba7; color: #fff; border: none; cursor: pointer; }
</style>
<script src="/static/js/textual.js"></script>
</head>
<body>
<div class="ended"><div>This rtchat session has ended.</div><button type="button" onclick="location.reload()">Start a new one</button></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="$websocket_url" data-font-size="$font_size"></div>
<script>
"use strict";
// Keys typed while the socket still connects are kept and sent once it opens (textual.js would
// throw them away), after the terminal size textual.js sends first.
(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (this.readyState !== WebSocket.CONNECTING) return send.call(this, data);
    if (!this.rtchatQueue) {
      this.rtchatQueue = [];
      this.addEventListener("open", () => { for (const item of this.rtchatQueue.splice(0)) send.call(this, item); }, { once: true });
    }
    this.rtchatQueue.push(data);
  };
})();
// The terminal takes the keys from the start: no click needed first.
window.addEventListener("load", () => {
  const input = document.querySelector(".xterm-helper-textarea");
  if (input) input.focus();
});
// Closing the tab ends its rtchat: ask first while a session is open.
window.addEventListener("beforeunload", (event) => {
  const terminal = document.querySelector(".textual-terminal");
  if (terminal && terminal.classList.contains("-connected") && !document.body.classList.contains("-closed")) {
    event.preventDefault();
    event.returnValue = "";
  }
});
</script>
</body>
</html>
""")


def render_page(websocket_url: str, font_size: int = 16, title: str = "rtchat") -> str:
    return PAGE.substitute(
        websocket_url=html.escape(websocket_url, quote=True), font_size=int(font_size), title=html.escape(title)
    )
