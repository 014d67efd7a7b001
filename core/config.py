"""Configuration from the environment and the instance folder.

* ``SHOPCRM_INSTANCE``: the instance folder (default ``./instance``): the SQLite database,
  the generated secret key, uploads and reports live there, never in the repository.
* ``DATABASE_URL``: a PostgreSQL URL (``postgresql://...``); default SQLite in the instance folder.
* ``REDIS_URL``: when set, jobs go to Redis for ``shopcrm worker``; unset, they run in-process.
* ``SHOPCRM_SECRET_KEY``: the instance's secret key (sessions, and the key channel secrets are
  encrypted with); unset, it is generated once into the instance folder's ``secret_key`` file.
  Every web and worker machine of one install must use the same key: share the instance folder,
  or give each machine the same ``SHOPCRM_SECRET_KEY``.
* any other ``SHOPCRM_<NAME>`` variable becomes the setting ``<NAME>`` (e.g. ``SHOPCRM_LOG_LEVEL``).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

SECRET_KEY_FILE = "secret_key"
SECRET_KEY_SETTING = "SECRET_KEY"
"""The setting (environment variable ``SHOPCRM_SECRET_KEY``) that gives the key instead of the file."""
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A setting that cannot be used, with a message saying which and why."""


@dataclass(slots=True, frozen=True)
class Config:
    instance_path: Path
    database_url: str
    redis_url: str | None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret_key(self) -> str:
        """The instance's secret key: ``SHOPCRM_SECRET_KEY`` when set (several machines share
        it), else generated on first use and kept in the instance folder."""
        given = self.extra.get(SECRET_KEY_SETTING, "").strip()
        if given:
            if len(given) < MIN_SECRET_KEY_LENGTH:
                raise ConfigError(
                    f"SHOPCRM_SECRET_KEY is too short ({len(given)} characters): use at least "
                    f"{MIN_SECRET_KEY_LENGTH}, e.g. the output of `python3 -c 'import secrets; print(secrets.token_hex(32))'`"
                )
            return given
        return load_or_create_secret(self.instance_path)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common ``postgres(ql)://`` form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the configuration; creates the instance folder if it is missing."""
    env = os.environ if environ is None else environ
    instance = Path(env.get("SHOPCRM_INSTANCE") or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'shopcrm.db'}"
    extra = {
        key[len("SHOPCRM_"):]: value
        for key, value in env.items()
        if key.startswith("SHOPCRM_") and key not in {"SHOPCRM_INSTANCE"}
    }
    return Config(
        instance_path=instance,
        database_url=normalise_database_url(url),
        redis_url=env.get("REDIS_URL") or None,
        extra=extra,
    )


def load_or_create_secret(instance: Path) -> str:
    path = instance / SECRET_KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def active_config() -> Config:
    """The configuration in force for code called from anywhere (an event hook, say): the web
    app's inside a request, the environment's otherwise (imports, jobs, commands)."""
    from flask import has_app_context

    if has_app_context():
        from shopcrm.web.database import current_config

        return current_config()
    return load_config()
