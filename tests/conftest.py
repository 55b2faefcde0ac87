"""Shared fixtures."""

import pytest

from rtchat.loopback import start_loopback


@pytest.fixture
async def loopback():
    """A loopback server on an ephemeral 127.0.0.1 port, closed after the test."""
    server = await start_loopback(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.close()
