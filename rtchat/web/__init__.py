"""`rtchat web`: the app in a browser tab through textual-serve, one app process per tab.

textual-serve alone answers anyone who can reach its port and any web page's WebSocket; this
package adds what makes it safe to run on a machine with keys in its keyring: a per-run secret
that becomes a cookie (`guard.py`), an Origin check on the WebSocket, loopback-only unless asked
(`address.py`), a page that loads nothing from the internet (`page.py`), and a session limit and
per-tab temporary directories (`server.py`).
"""
