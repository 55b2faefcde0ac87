"""Files to attach, made here so the tests need no image library, and `ask` run as a process."""

from __future__ import annotations

import asyncio
import struct
import zlib

from tests.support.env import isolated_env, rtchat_cmd


def png(width: int = 64, height: int = 48) -> bytes:
    """A real PNG (grey), made here so the test needs no image library."""
    raw = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw) + b"\x00" * 12_000) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + b"%" * 3000


async def ask_process(tmp_path, *args: str, stdin: bytes | None = None, **env: str) -> tuple[int, str, str]:
    """`rtchat ask ARGS` as a process in an isolated environment, awaited: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *rtchat_cmd("ask", *args), env=isolated_env(tmp_path, **env),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    return process.returncode, out.decode(), err.decode()
