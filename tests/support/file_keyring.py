"""A keyring backend for tests only: the OS keyring is a true edge (this CI has none).

Selected in subprocesses with PYTHON_KEYRING_BACKEND=tests.support.file_keyring.TestKeyring;
it stores into the file named by RTCHAT_TEST_KEYRING so separate processes share it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class TestKeyring(KeyringBackend):
    priority = 1

    def _path(self) -> Path:
        return Path(os.environ["RTCHAT_TEST_KEYRING"])

    def _load(self) -> dict:
        try:
            return json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such key")
        self._path().write_text(json.dumps(data))
