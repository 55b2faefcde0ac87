"""API keys: the OS keyring first-class, environment variables as the fallback.

The environment wins when both exist (it is the more deliberate, more local
choice). A key is never written to a file of ours; on a machine with no
keyring backend, setting one explains how to use the environment instead.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from rtchat.catalog import Provider
from rtchat.errors import ConfigFailure

SERVICE = "rtchat"


class KeyStoreUnavailable(ConfigFailure, RuntimeError):
    """No OS keyring backend; the message says what to do instead."""


@dataclass(frozen=True)
class KeyLookup:
    value: str | None
    source: str | None  # "env:NAME" | "keyring" | None

    def __repr__(self) -> str:  # never show the key, even in a debugger or traceback
        return f"KeyLookup(source={self.source!r}, value={'<set>' if self.value else None})"


def no_keyring_message(provider: Provider) -> str:
    env = provider.key_env[0] if provider.key_env else f"{provider.id.upper()}_API_KEY"
    return (
        "No OS keyring is available on this machine (keyring found no backend, as on a headless Linux "
        f"without a Secret Service). Put the key in the environment instead: export {env}=... "
        "in your shell profile, or install and unlock a keyring (e.g. gnome-keyring or KWallet). "
        "rtchat never writes keys to a plain file."
    )


def _keyring():
    import keyring  # imported on first use: it costs start-up time

    return keyring


BACKEND_ENV = "PYTHON_KEYRING_BACKEND"


def keyring_problem() -> str | None:
    """Why the keyring backend cannot even be loaded (an unimportable PYTHON_KEYRING_BACKEND), or None.

    keyring imports whatever module that variable names, so any exception can come out."""
    try:
        _keyring().get_keyring()
    except Exception as exc:  # noqa: BLE001 - a user-named module failed to import
        name = os.environ.get(BACKEND_ENV)
        detail = f"{type(exc).__name__}: {exc}"
        if name:
            return (
                f"{BACKEND_ENV}={name} cannot be loaded ({detail}); unset it, or name an installed "
                "backend such as keyring.backends.SecretService.Keyring"
            )
        return f"the OS keyring could not be loaded ({detail})"
    return None


def _usable_keyring():
    problem = keyring_problem()
    if problem:
        raise KeyStoreUnavailable(problem)
    return _keyring()


def keyring_get(provider_id: str) -> str | None:
    try:
        return _keyring().get_password(SERVICE, provider_id)
    except Exception:  # NoKeyringError, a locked keyring, a broken backend: fall back to env
        return None


def lookup_key(provider: Provider) -> KeyLookup:
    if not provider.needs_key and not provider.key_env:
        # A provider that takes no key at all (the built-in loopback) never wakes the keyring:
        # loading its backends costs ~65 ms of start-up.
        return KeyLookup(None, None)
    for name in provider.key_env:
        value = os.environ.get(name)
        if value:
            return KeyLookup(value.strip(), f"env:{name}")
    value = keyring_get(provider.id)
    if value:
        return KeyLookup(value, "keyring")
    return KeyLookup(None, None)


def has_key(provider: Provider) -> bool:
    return lookup_key(provider).value is not None


def set_key(provider: Provider, value: str) -> None:
    keyring = _usable_keyring()
    try:
        keyring.set_password(SERVICE, provider.id, value)
    except keyring.errors.NoKeyringError:
        raise KeyStoreUnavailable(no_keyring_message(provider)) from None
    except keyring.errors.KeyringError as exc:
        raise KeyStoreUnavailable(f"the keyring refused the key ({type(exc).__name__}). {no_keyring_message(provider)}") from None


def delete_key(provider: Provider) -> bool:
    keyring = _usable_keyring()
    try:
        keyring.delete_password(SERVICE, provider.id)
        return True
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.NoKeyringError:
        raise KeyStoreUnavailable(no_keyring_message(provider)) from None


_KEY_PARAM = re.compile(r"([?&](?:key|api_key|access_token)=)[^&\s]+", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]{8,}")


def redact(text: str, *secrets: str | None) -> str:
    """The one redactor (messages, the `--debug` wire log): any of `secrets` that found its way
    into `text`, raw, URL-encoded or JSON-escaped (`\u0073k-...`, any mix, either hex case), and
    any bearer token or `key=` query parameter, known or not, become `[redacted]`."""
    for secret in secrets:  # known keys first: a generic pattern could take only part of one
        if secret and len(secret) >= 4:
            text = _echoes(secret).sub("[redacted]", text)
    text = _KEY_PARAM.sub(r"\1[redacted]", text)
    return _BEARER.sub(r"\1[redacted]", text)


@functools.lru_cache(maxsize=32)
def _echoes(secret: str) -> re.Pattern[str]:
    """A pattern for `secret` as a server may echo it: each character raw, `%XX` or `\\uXXXX`."""

    def hex_digits(number: int, width: int) -> str:
        return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{number:0{width}x}")

    def forms(char: str) -> str:
        code = ord(char)
        alternatives = [re.escape(char), r"\\u" + hex_digits(code, 4)]
        if code < 0x80:
            alternatives.append("%" + hex_digits(code, 2))
        if char == "/":
            alternatives.append(r"\\/")  # JSON may escape a slash
        return "(?:" + "|".join(alternatives) + ")"

    return re.compile("".join(forms(char) for char in secret))
