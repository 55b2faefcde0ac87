"""Voice and WebRTC libraries cost ~300 ms: they must not load until voice is first used.

Checked in a fresh interpreter (the test process itself has imported them for other tests).
"""

import json
import subprocess
import sys

from tests.support.env import isolated_env

PROBE = """
import asyncio, json, sys
from rtchat.config import load_config
from rtchat.ui.app import RtChatApp
from tests.support.ui import ready

async def main():
    app = RtChatApp(load_config(), model="loopback/echo")
    async with app.run_test() as pilot:
        await ready(pilot)  # started up: the model resolved and the loopback answering
asyncio.run(main())
import rtchat.cli, rtchat.session, rtchat.loopback, rtchat.commands.ask
print(json.dumps(sorted(name for name in ("aiortc", "sounddevice", "numpy", "av") if name in sys.modules)))
"""


def test_app_cli_session_and_loopback_load_no_voice_libraries(tmp_path):
    result = subprocess.run([sys.executable, "-c", PROBE], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


FIRST_FRAME_PROBE = """
import json, sys
import rtchat.ui.app
print(json.dumps(sorted(name for name in ("httpx", "keyring", "rtchat.wire", "aiohttp", "websockets") if name in sys.modules)))
"""


def test_the_app_module_leaves_http_keyring_and_wire_formats_for_after_the_first_frame(tmp_path):
    # Each is tens of milliseconds the first frame would wait for; the app loads them once it has painted.
    result = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


ASK_PROBE = """
import json, sys
from rtchat.cli import main
try:
    main(["ask", "-m", "loopback/echo@rate=0", "--no-history", "ping"])
except SystemExit:
    pass
print(json.dumps(sorted(name for name in ("keyring", "secretstorage") if name in sys.modules)))
"""


def test_ask_against_the_loopback_never_loads_the_keyring(tmp_path):
    # The loopback takes no key: waking the keyring's backends would cost ~65 ms before the first byte.
    result = subprocess.run([sys.executable, "-c", ASK_PROBE], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0] != "" and json.loads(lines[-1]) == []
