"""Where the history file lives: RTCHAT_DATA_DIR if set, else the platform's data folder."""

from __future__ import annotations

from pathlib import Path

from rtchat.config import data_dir

DATA_DIR_ENV = "RTCHAT_DATA_DIR"  # read by config.data_dir; named here for the messages that cite it
DB_FILENAME = "history.db"


def default_path() -> Path:
    return data_dir() / DB_FILENAME
