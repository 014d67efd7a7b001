"""Compiled message catalogues (.mo) for Flask-Babel, made from the .po files when needed.

The .po files are the source and live in the repository; ``make translations`` (run by
``make install``) compiles them next to themselves. When a .mo file is missing or older than
its .po (a fresh checkout, an edited translation, an install that skipped that step) the
catalogues are compiled into the instance folder instead, which is always writable, so the UI
never silently falls back to English msgids.

Plugins bring their own catalogues: a ``translations/`` folder inside the plugin's package,
laid out like the core's. :func:`plugin_catalogue_folders` finds them for
every loaded plugin, compiled the same way (into ``<instance>/translations/plugins/<name>``
when needed); the core's catalogue is merged last, so a plugin cannot change the core's wording.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import ModuleType

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"


def catalogue_sources(source: Path) -> list[Path]:
    """Every ``<locale>/LC_MESSAGES/messages.po`` under ``source``."""
    return sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def is_current(po: Path, mo: Path) -> bool:
    """True when ``mo`` exists and is not older than ``po``."""
    return mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime


def compile_catalogue(po: Path, mo: Path) -> None:
    """Compile ``po`` into ``mo`` (fuzzy entries included, as ``pybabel compile --use-fuzzy``).

    The file is written under a temporary name and renamed, so a process reading it at the
    same moment sees the old or the new catalogue, never half of one.
    """
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=True)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compiled_catalogues(instance_path: str | Path, source: Path = TRANSLATIONS_DIR,
                        cache: Path | None = None) -> Path:
    """The folder Flask-Babel should load catalogues from.

    ``source`` itself when every .mo there is current; otherwise ``cache`` (by default
    ``<instance>/translations``), compiled from ``source``'s .po files where needed.
    """
    sources = catalogue_sources(source)
    if all(is_current(po, po.with_suffix(".mo")) for po in sources):
        return source
    cache = cache or Path(instance_path) / "translations"
    for po in sources:
        mo = cache / po.relative_to(source).with_suffix(".mo")
        if not is_current(po, mo):
            compile_catalogue(po, mo)
    return cache


def plugin_translations_folder(plugin: object) -> Path | None:
    """The ``translations/`` folder a package plugin ships inside its package, if any.

    Only packages: loose single-file plugins share a folder, so a ``translations/`` beside one
    of them would belong to none of them in particular."""
    file = getattr(plugin, "__file__", None) if isinstance(plugin, ModuleType) else None
    if not file or Path(file).name != "__init__.py":
        return None
    folder = Path(file).parent / "translations"
    return folder if folder.is_dir() else None


def plugin_catalogue_folders(instance_path: str | Path) -> list[Path]:
    """Compiled catalogue folders of every loaded plugin that ships translations, by plugin name."""
    from shopcrm.plugins import get_plugin_manager

    folders = []
    for name, plugin in sorted(get_plugin_manager().list_name_plugin(), key=lambda pair: pair[0]):
        source = plugin_translations_folder(plugin)
        if source is not None and catalogue_sources(source):
            cache = Path(instance_path) / "translations" / "plugins" / name
            folders.append(compiled_catalogues(instance_path, source, cache))
    return folders
