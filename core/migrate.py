"""Schema migrations: the core's Alembic revisions plus every plugin's versions folder.

The core's chain has the branch label ``shopcrm``; a plugin's folder (from its
``register_migrations`` hook) is its own branch, labelled with the plugin's name, whose first
revision depends on the core. ``upgrade()`` applies all heads.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

from shopcrm.plugins import call_each

CORE_BRANCH = "shopcrm"


def migrations_path() -> Path:
    return Path(str(resources.files("shopcrm.migrations")))


def core_head() -> str:
    """The latest revision of the core's own migrations (``0006`` ...)."""
    return max(path.name.split("_", 1)[0] for path in (migrations_path() / "versions").glob("[0-9]*_*.py"))


def plugin_version_locations() -> dict[str, Path]:
    """``{plugin name: versions folder}`` from ``register_migrations``."""
    found: dict[str, Path] = {}
    # Strict: a plugin whose migrations cannot be found must stop an upgrade, not be skipped.
    for plugin, path in call_each("register_migrations", strict=True):
        if path:
            folder = Path(path)
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"plugin {plugin!r} registered the migrations folder {str(folder)!r}, which does not exist"
                )
            found[plugin] = folder
    return found


def target_metadata() -> MetaData:
    """The metadata every model (core and plugins) is declared on."""
    from shopcrm.models import Base

    return Base.metadata


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_path()))
    locations = [migrations_path() / "versions", *plugin_version_locations().values()]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    # ConfigParser interpolates "%": escape it (encoded passwords, socket paths).
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Apply the core's and every installed plugin's revisions."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def downgrade(engine: Engine, target: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, target)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def pending(engine: Engine) -> bool:
    """True when the database lacks revisions the installed code has."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    every = {rev.revision for rev in script.walk_revisions()}
    # Alembic records a branch's head alone when it depends on another branch, so what is
    # applied is everything the recorded heads reach through down revisions and dependencies.
    applied: set[str] = set()
    todo = list(current_heads(engine))
    while todo:
        rev = script.get_revision(todo.pop())
        if rev is None or rev.revision in applied:
            continue
        applied.add(rev.revision)
        for parent in (*_as_tuple(rev.down_revision), *_as_tuple(rev.dependencies)):
            todo.append(parent)
    return bool(every - applied)


def _as_tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
