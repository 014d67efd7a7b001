"""Compiled message catalogues (.mo) for Flask-Babel, made from the .po files when needed.

The .po files are the source and live in the repository; ``make translations`` (run by
``make install``) compiles them next to themselves. When a .mo file is missing or older than
its .po (a fresh checkout, an edited translation, an install that skipped that step) the
catalogues are compiled into the instance folder instead, which is always writable, so the UI
never silently falls back to English msgids.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

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


def compiled_catalogues(instance_path: str | Path, source: Path = TRANSLATIONS_DIR) -> Path:
    """The folder Flask-Babel should load catalogues from.

    ``source`` itself when every .mo there is current; otherwise ``<instance>/translations``,
    compiled from ``source``'s .po files where needed.
    """
    sources = catalogue_sources(source)
    if all(is_current(po, po.with_suffix(".mo")) for po in sources):
        return source
    cache = Path(instance_path) / "translations"
    for po in sources:
        mo = cache / po.relative_to(source).with_suffix(".mo")
        if not is_current(po, mo):
            compile_catalogue(po, mo)
    return cache
