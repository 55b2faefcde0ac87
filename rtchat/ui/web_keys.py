"""The keys rtchat uses in a browser tab (`rtchat web`), where the browser keeps some for itself.

In a tab the app reads keys through xterm.js, which takes every key it can turn
into terminal input and cancels the browser's default for it. That is enough for
the browser's ordinary shortcuts (ctrl+o open file, ctrl+r and F5 reload, ctrl+l
address bar, ctrl+f find, ctrl+e/ctrl+k search, ctrl+j downloads, F1 help, F3
find next, F6 focus, F7 caret browsing): the page sees them first and keeps them,
as the issue's run in Chromium showed for ctrl+c, ctrl+o, F1 and ctrl+p. Chromium
(Linux, not full screen) never hands a page its *reserved* shortcuts, the ones
that open, close or switch tabs and windows: ctrl+n, ctrl+shift+n, ctrl+t,
ctrl+shift+t, ctrl+w, ctrl+shift+w, ctrl+f4, ctrl+tab, ctrl+shift+tab, ctrl+pgup,
ctrl+pgdn, ctrl+shift+q. Of rtchat's bindings (rtchat/ui/bindings.py) two are on
those keys; they move here. F10 and alt+letters reach the page (xterm.js sends
ESC [21~ and ESC letter); F11 (full screen) and F12 (developer tools) are left alone.

xterm.js sends shift+enter as a plain Enter (it sends), so the newline keys a tab
can type are ctrl+j and alt+enter (ESC CR): the newline binding names just those.

A user's own `[keys]` entry wins over every default here.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.driver import Driver

BROWSER_RESERVED = frozenset({  # Chromium's reserved shortcuts (above), as Textual names the keys
    "ctrl+n", "ctrl+shift+n", "ctrl+t", "ctrl+shift+t", "ctrl+w", "ctrl+shift+w", "ctrl+f4",
    "ctrl+tab", "ctrl+shift+tab", "ctrl+pageup", "ctrl+pagedown", "ctrl+shift+q",
})

WEB_KEYS = {
    "cycle_protocol": "f10",  # ctrl+n opens a browser window; F10 is free in rtchat and reaches the page
    "toggle_all_thinking": "alt+t",  # ctrl+t opens a browser tab; alt+t keeps the letter
    "newline": "ctrl+j,alt+enter",  # shift+enter arrives as Enter (it sends); these two arrive as themselves
}

NEWLINE_HINT = "Enter sends; ctrl+j or alt+enter adds a line (shift+enter sends too)"
SERVER_MACHINE = "/attach, /export and voice use the server's files and devices."
PLACEHOLDER = "Message rtchat — Enter sends · ctrl+j or alt+enter new line · F1 keys"


BROWSER_KEEPS = {"cycle_protocol": "ctrl+n", "toggle_all_thinking": "ctrl+t"}  # the keys moved, for F1 to name


def moved_keys_line(keymap: Mapping[str, str]) -> str:
    """F1's line in a browser tab: which keys the browser keeps and where their actions went."""
    moved = ", ".join(f"{BROWSER_KEEPS[binding_id]} is {keymap[binding_id]} here" for binding_id in BROWSER_KEEPS)
    return f"In a browser tab the browser keeps ctrl+n, ctrl+t and ctrl+w: {moved}. {NEWLINE_HINT}."


def web_keymap(user_keys: Mapping[str, str]) -> dict[str, str]:
    """The browser-safe defaults with the user's own `[keys]` entries over them."""
    return {**WEB_KEYS, **user_keys}


def kept_by_browser(user_keys: Mapping[str, str]) -> list[str]:
    """One warning for each of the user's `[keys]` entries that a browser never hands the page."""
    warnings = []
    for binding_id, keys in user_keys.items():
        kept = [key.strip() for key in keys.split(",") if key.strip() in BROWSER_RESERVED]
        if kept:
            warnings.append(f"[keys] {binding_id} = {keys!r}: a browser keeps {' and '.join(kept)} for itself, so in this tab it never reaches rtchat")
    return warnings


def is_web_driver(driver_class: type[Driver]) -> bool:
    """Whether the app will run under Textual's web driver (textual-serve sets TEXTUAL_DRIVER to it),
    known before the driver exists (`App.is_web` answers only once it runs). By name: a terminal
    app never loads the web driver's modules."""
    return any(f"{c.__module__}.{c.__qualname__}" == "textual.drivers.web_driver.WebDriver" for c in driver_class.__mro__)
