"""One browser tab's rtchat: its own app process and temporary directory, both gone when the tab goes.

textual-serve's `AppService` starts the app under Textual's web driver and relays its screen;
this runs one for a WebSocket, reads the tab's messages defensively (a malformed one is dropped,
not a crash of the handler), closes the tab when the app ends by itself (textual-serve leaves it
open and silent), and removes the temporary directory once the process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import tempfile
from pathlib import Path

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from rtchat.compat import app_service_process

STOP_GRACE = 10.0  # seconds for an app told to quit (it saves a partial answer first) before it is killed
MAX_CELLS = 1000  # a terminal size past this is a broken or hostile tab, not a screen


def shell_command(argv: list[str], temp_dir: Path) -> str:
    """The shell line textual-serve runs: the app replaces the shell (`exec`), so the process
    textual-serve holds is the app itself, with its own TMPDIR."""
    return "exec " + shlex.join(["env", f"TMPDIR={temp_dir}", *argv])


def cells(value: object, default: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), MAX_CELLS)


async def relay(websocket: web.WebSocketResponse, service: AppService) -> None:
    """The tab's messages to the app until the tab goes: keys, size, focus; pings answered."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            await service.set_terminal_size(cells(data.get("width"), 80), cells(data.get("height"), 24))
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


async def close_when_app_ends(service: AppService, websocket: web.WebSocketResponse) -> None:
    process = app_service_process(service)
    if process is not None:
        await process.wait()
    await websocket.close()


async def quit_and_wait(service: AppService) -> None:
    """textual-serve's stop returns once the app's output closes; the process may still be
    finishing (Python's own shutdown), so wait for it to exit too."""
    await service.stop()
    process = app_service_process(service)
    if process is not None:
        await process.wait()


async def stop(service: AppService) -> None:
    """Ask the app to quit (it keeps a partial answer, as on a kill); kill it if it will not."""
    try:
        await asyncio.wait_for(quit_and_wait(service), STOP_GRACE)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # Not ours: textual-serve's reader re-raises the cancellation of its stderr task when the
        # app ended before that task first ran (an app that failed at once). The app is gone.
    except asyncio.TimeoutError:
        process = app_service_process(service)
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


async def run_tab(websocket: web.WebSocketResponse, argv: list[str], temp_root: Path, downloads: DownloadManager, width: int, height: int) -> None:
    """Run one tab's app for an opened `websocket` until the tab or the app goes."""
    temp_dir = Path(tempfile.mkdtemp(prefix="tab-", dir=temp_root))
    service = AppService(
        shell_command(argv, temp_dir),
        write_bytes=websocket.send_bytes,
        write_str=websocket.send_str,
        close=websocket.close,
        download_manager=downloads,
    )
    watcher: asyncio.Task[None] | None = None
    try:
        await service.start(cells(width, 80), cells(height, 24))
        watcher = asyncio.create_task(close_when_app_ends(service, websocket))
        await relay(websocket, service)
    finally:
        try:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await stop(service)
        finally:
            shutil.rmtree(temp_dir, ignore_errors=True)
