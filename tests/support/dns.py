"""A name that does not resolve, without asking any resolver.

The system resolver is a true edge: a real lookup of `*.invalid` still goes out to
whatever DNS the machine has (slow, or answered by a hijacking resolver). Here the
lookup itself fails, for that one name, as the resolver would fail it."""

from __future__ import annotations

import asyncio
import socket

import pytest


def unresolvable(monkeypatch: pytest.MonkeyPatch, host: str) -> list[str]:
    """`host` fails DNS with EAI_NONAME in socket.getaddrinfo and the running loop's getaddrinfo;
    other names resolve as before. Returns the hosts looked up, in order. Call it in the test's loop."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(name, *args, **kwargs):
        name = name.decode() if isinstance(name, bytes) else name
        lookups.append(name)
        if name == host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name, *args, **kwargs)

    loop = asyncio.get_running_loop()
    real_loop_getaddrinfo = loop.getaddrinfo

    async def loop_getaddrinfo(name, *args, **kwargs):
        if (name.decode() if isinstance(name, bytes) else name) == host:
            return getaddrinfo(name, *args, **kwargs)
        return await real_loop_getaddrinfo(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(loop, "getaddrinfo", loop_getaddrinfo)
    return lookups
