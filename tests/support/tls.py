"""The loopback over TLS, for clients that only speak wss:// (google-genai's live client)."""

from __future__ import annotations

import pytest


@pytest.fixture
async def tls_loopback(tmp_path, monkeypatch):
    """The loopback over TLS with a throwaway certificate that only this test trusts.

    google-genai's live client always uses wss:// with an SSL context built from
    SSL_CERT_FILE (else certifi), so this is how it reaches a local server through its
    public options alone.
    """
    import ssl
    import subprocess

    from rtchat.loopback import start_loopback

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = await start_loopback(ssl_context=context)
    try:
        yield server
    finally:
        await server.close()
