"""Imports: a data source's records fed into ingestion, recorded as an ``import_run``.

An import keeps every good row of a bad file, and writes every bad row (row number, column,
reason, value) to an error report CSV in the instance folder that the operator can download.
The same code runs from ``shopcrm import`` and as the ``import.run`` job behind the import page.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any, Mapping

from shopcrm.config import Config
from shopcrm.db import get_engine, session_scope, utcnow
from shopcrm.files.tables import FileFormatError, count_rows
from shopcrm.ingest import IngestStats, Ingestor
from shopcrm.jobs import Progress, job
from shopcrm.labels import relabel_changed
from shopcrm.messages import Gettext, N_, english, translator
from shopcrm.models import ImportRun, User
from shopcrm.registry import get_registry
from shopcrm.sources import RowError

REPORTS_FOLDER = "reports"


class ErrorReport:
    """Bad rows written as they come, to ``reports/import-<id>-errors.csv`` (UTF-8 with BOM,
    so Excel opens it right); the file exists only when there was an error."""

    HEADER = (N_("row"), N_("column"), N_("reason"), N_("value"))

    def __init__(self, folder: Path, import_run_id: int, gettext: Gettext = english) -> None:
        self.path = folder / f"import-{import_run_id}-errors.csv"
        self.gettext = gettext
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def add(self, error: RowError) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow([self.gettext(title) for title in self.HEADER])
        reason = error.message.render(self.gettext) if error.message is not None else error.reason
        self._writer.writerow((error.row, error.column or "", reason, error.value or ""))
        self.count += 1

    def close(self) -> str | None:
        if self._handle is not None:
            self._handle.close()
            return str(self.path)
        return None


def create_import_run(config: Config, shop_id: int, kind: str, params: Mapping[str, Any],
                      source: str = "file", created_by: int | None = None) -> int:
    with session_scope(config) as session:
        run = ImportRun(shop_id=shop_id, source=source, kind=kind, filename=params.get("filename"),
                        params=dict(params), status="queued", created_by=created_by)
        session.add(run)
        session.flush()
        return run.id


def run_import(config: Config, import_run_id: int, progress: Progress | None = None,
               relabel: str = "queue") -> dict[str, Any]:
    """Run a queued import; returns what ``shopcrm import --json`` prints.

    Afterwards the customers the import touched are relabelled by every segmenter, as a
    ``labels.refresh`` job: queued (``relabel="queue"``), run before returning (``"wait"``,
    the command line), or not at all (``"skip"``)."""
    started = utcnow()
    with session_scope(config) as session:
        run = session.get(ImportRun, import_run_id)
        if run is None:
            raise LookupError(f"import run {import_run_id} does not exist")
        run.status = "running"
        shop_id, kind, source_name, params = run.shop_id, run.kind, run.source, dict(run.params)
        # The report and the message are in the language of whoever started the import from the
        # pages; in English for the command line.
        starter = session.get(User, run.created_by) if run.created_by is not None else None
        gettext = translator(starter.locale if starter is not None else None)
    report = ErrorReport(config.instance_path / REPORTS_FOLDER, import_run_id, gettext)
    stats = IngestStats()
    status, message = "finished", None

    def on_batch(current: IngestStats) -> None:
        _save(config, import_run_id, current, None, "running", None)
        if progress is not None:
            progress.update(done=current.rows)

    try:
        source = get_registry().data_sources[source_name]
        if kind not in source.kinds:
            raise FileFormatError(f"the {source.label} source cannot import {kind}")
        if progress is not None and "path" in params:
            progress.update(done=0, total=count_rows(Path(params["path"])), message=params.get("filename") or "",
                            force=True)
        ingestor = Ingestor(get_engine(config), shop_id, source=source_name, on_error=report.add, on_batch=on_batch)
        stats = ingestor.feed(source.fetch({**params, "kind": kind}))
    except FileFormatError as exc:
        status, message = "failed", exc.render(gettext)
    finally:
        error_report = report.close()
    _save(config, import_run_id, stats, error_report, status, message)
    if progress is not None:
        progress.update(done=stats.rows, message=message or "", force=True)
    labels_job = None
    if relabel != "skip" and (stats.inserted or stats.updated or stats.customers_inserted or stats.customers_updated):
        labels_job = relabel_changed(config, shop_id, started, wait=relabel == "wait")
    return {
        "import_run": import_run_id,
        "status": status,
        "message": message,
        "rows": stats.rows,
        "inserted": stats.inserted,
        "updated": stats.updated,
        "unchanged": stats.unchanged,
        "errors": stats.errors,
        "error_report": error_report,
        "customers_inserted": stats.customers_inserted,
        "customers_updated": stats.customers_updated,
        "labels_job": labels_job,
    }


def _save(config: Config, import_run_id: int, stats: IngestStats, error_report: str | None,
          status: str, message: str | None) -> None:
    with session_scope(config) as session:
        run = session.get(ImportRun, import_run_id)
        assert run is not None
        run.rows, run.inserted, run.updated = stats.rows, stats.inserted, stats.updated
        run.unchanged, run.errors = stats.unchanged, stats.errors
        run.status, run.message = status, message
        if status != "running":
            run.error_report = error_report
            run.finished_at = utcnow()


@job("import.run")
def import_job(progress: Progress, import_run_id: int) -> dict[str, Any]:
    """The import page's job: run one queued import, reporting rows done."""
    return run_import(progress.config, import_run_id, progress)
