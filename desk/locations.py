"""Where desk keeps its files (platformdirs), each overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

APP = "desk"


def data_dir() -> Path:
    env = os.environ.get("DESK_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False)


def config_dir() -> Path:
    env = os.environ.get("DESK_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False)


def default_db_path() -> Path:
    return data_dir() / "desk.db"


def backup_dir() -> Path:
    return data_dir() / "backups"


def ensure_dirs() -> None:
    for d in (data_dir(), config_dir(), backup_dir()):
        d.mkdir(parents=True, exist_ok=True)
