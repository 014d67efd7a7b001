"""Files uploaded on the import page, kept in the instance folder until they are imported.

An upload is saved as ``uploads/<token>.csv`` or ``uploads/<token>.xlsx`` under a random name
(the suffix told by the content, as the Excel reader insists on one), and what the operator
said about it (the file's own name, what it holds, the shop, who uploaded it) is kept beside it
in ``uploads/<token>.json``. Pages find an upload by its token alone, and only a token of the form
this module makes (32 hex digits) is looked up, so nothing a request sends becomes a path.

An upload is imported at most once: :func:`claim` creates ``<token>.claimed`` exclusively, so a
form sent twice (a double click) starts one import. Uploads that were never imported are
removed after :data:`STALE_SECONDS`; an imported file is kept :data:`KEEP_IMPORTED_SECONDS`
(to look into a run that went wrong), then removed too: it holds customers' names, addresses and
mobiles, and its import run keeps its counts and error report without it.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import FileStorage

UPLOADS_FOLDER = "uploads"
STALE_SECONDS = 24 * 3600
"""Uploads not imported within this time are deleted when the next file is uploaded."""
KEEP_IMPORTED_SECONDS = 30 * 24 * 3600
"""Imported uploads are deleted this long after their import, when the next file is uploaded."""

_TOKEN = re.compile(r"[0-9a-f]{32}")
XLSX_MAGIC = b"PK\x03\x04"
SUFFIXES = (".csv", ".xlsx")


@dataclass(slots=True)
class Upload:
    """A saved upload and what is known about it."""

    token: str
    path: Path
    filename: str
    """The name of the file on the operator's computer, as shown on the pages."""
    kind: str
    """``orders`` or ``customers``."""
    shop_id: int
    user_id: int
    import_run_id: int | None = None

    @property
    def meta_path(self) -> Path:
        return self.path.with_name(f"{self.token}.json")

    @property
    def claim_path(self) -> Path:
        return self.path.with_name(f"{self.token}.claimed")


def uploads_folder(instance_path: Path) -> Path:
    return instance_path / UPLOADS_FOLDER


def display_name(raw: str | None) -> str:
    """The file's own name without any folder a browser sent along (Chinese names kept)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:300]


def save_upload(instance_path: Path, file: FileStorage, kind: str, shop_id: int,
                user_id: int) -> Upload:
    """Save ``file`` under a new random name; stale uploads are cleared out first."""
    folder = uploads_folder(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    token = secrets.token_hex(16)
    partial = folder / f"{token}.part"
    file.save(partial)
    with open(partial, "rb") as handle:
        suffix = ".xlsx" if handle.read(len(XLSX_MAGIC)) == XLSX_MAGIC else ".csv"
    path = partial.rename(folder / f"{token}{suffix}")
    upload = Upload(token=token, path=path, filename=display_name(file.filename),
                    kind=kind, shop_id=shop_id, user_id=user_id)
    _write_meta(upload)
    return upload


def find_upload(instance_path: Path, token: str, shop_id: int) -> Upload | None:
    """The upload of ``token`` in ``shop_id``, or ``None`` (unknown token, other shop, gone)."""
    if not _TOKEN.fullmatch(token):
        return None
    folder = uploads_folder(instance_path)
    meta = folder / f"{token}.json"
    path = _stored_file(folder, token)
    if path is None or not meta.is_file():
        return None
    data = json.loads(meta.read_text(encoding="utf-8"))
    if data["shop_id"] != shop_id:
        return None
    return Upload(token=token, path=path, filename=data["filename"], kind=data["kind"],
                  shop_id=data["shop_id"], user_id=data["user_id"],
                  import_run_id=data.get("import_run_id"))


def claim(upload: Upload) -> bool:
    """Take the upload for one import; False when another request already took it."""
    try:
        fd = os.open(upload.claim_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def mark_imported(upload: Upload, import_run_id: int) -> None:
    """Record the import run that reads this upload."""
    upload.import_run_id = import_run_id
    _write_meta(upload)


def discard(upload: Upload) -> None:
    """Delete an upload that will not be imported."""
    for path in (upload.path, upload.meta_path, upload.claim_path):
        path.unlink(missing_ok=True)


def remove_stale(folder: Path, now: float | None = None) -> int:
    """Delete uploads older than :data:`STALE_SECONDS` that were never imported, imported ones
    :data:`KEEP_IMPORTED_SECONDS` after their import, and files a broken-off upload left half
    written."""
    now = time.time() if now is None else now
    removed = 0
    for partial in folder.glob("*.part"):
        if now - partial.stat().st_mtime >= STALE_SECONDS:
            partial.unlink(missing_ok=True)
    for meta in folder.glob("*.json"):
        token = meta.stem
        if not _TOKEN.fullmatch(token) or now - meta.stat().st_mtime < STALE_SECONDS:
            continue
        claimed = folder / f"{token}.claimed"
        if claimed.exists() and now - claimed.stat().st_mtime < KEEP_IMPORTED_SECONDS:
            continue
        for path in (*(folder / f"{token}{suffix}" for suffix in SUFFIXES), meta, claimed):
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def _stored_file(folder: Path, token: str) -> Path | None:
    for suffix in SUFFIXES:
        path = folder / f"{token}{suffix}"
        if path.is_file():
            return path
    return None


def _write_meta(upload: Upload) -> None:
    data = {"filename": upload.filename, "kind": upload.kind, "shop_id": upload.shop_id,
            "user_id": upload.user_id, "import_run_id": upload.import_run_id}
    tmp = upload.meta_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, upload.meta_path)
