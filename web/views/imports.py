"""The import pages: upload a CSV or Excel file, check its columns, import it, see the result.

1. ``/imports/`` — the upload form (operators and administrators) and the latest imports.
2. ``/imports/uploads/<token>`` — the preview: the first rows, the layout the core detected
   (or that none matched), a layout selector and a column-mapping form prefilled from it.
3. Confirming starts the ``import.run`` job and leads to ``/imports/runs/<id>``: its progress
   bar (the jobs fragment) and the result, which polls itself until the run is over — counts
   and a link to the error report.
4. ``/imports/history`` — every recent import run of the shop.

Viewers see the runs and their results; importing and the error report, which holds the
file's cells as they were, need the operator role. A file that cannot be read at all gets the
core's message on the page and nothing is imported; the operator still has their file.
"""
from __future__ import annotations

from typing import Any

from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectChoice, SelectField

from shopcrm.files.presets import FIELDS, PRESETS
from shopcrm.files.source import preview
from shopcrm.files.tables import FileFormatError
from shopcrm.mobiles import normalise_mobile
from shopcrm.models import User
from shopcrm.shops import default_shop
from shopcrm.web import column_mapping, import_runs, uploads
from shopcrm.web.access import role_required
from shopcrm.web.app_config import MAX_REQUEST_BYTES
from shopcrm.web.database import current_config, db
from shopcrm.web.import_labels import KIND_LABELS, field_label, kind_label, preset_label
from shopcrm.web.job_labels import status_label
from shopcrm.web.masking import mask, may_see_full_numbers
from shopcrm.web.views.jobs import render_progress

bp = Blueprint("imports", __name__, url_prefix="/imports")

IMPORTER_ROLE = "operator"
"""The lowest role that imports files and downloads error reports."""
RECENT_RUNS = 5
HISTORY_RUNS = 100
PREVIEW_ROWS = 10


class UploadForm(FlaskForm):
    kind = SelectField(_l("The file holds"), default="orders",
                       choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()])
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])


def _shop_id() -> int:
    """The shop the pages work on; the read or write this needed is ended here, so that
    what follows may write in sessions of its own."""
    session = db()
    shop_id = default_shop(session).id
    session.commit()
    return shop_id


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _cannot_read(error: FileFormatError) -> str:
    return _("This file cannot be imported: %(reason)s", reason=error.render(_))


def _index_page(form: UploadForm | None, error: str | None = None,
                status: int = 200) -> ResponseReturnValue:
    runs = import_runs.recent_runs(db(), _shop_id(), RECENT_RUNS)
    limit_mb = MAX_REQUEST_BYTES // (1024 * 1024)
    return render_template("imports/index.html", form=form, error=error, runs=runs,
                           limit_mb=limit_mb, **_run_helpers()), status


def _run_helpers() -> dict[str, Any]:
    return {"kind_label": kind_label, "status_label": status_label,
            "may_import": current_user.can(IMPORTER_ROLE)}


@bp.route("/")
def index() -> ResponseReturnValue:
    return _index_page(UploadForm() if current_user.can(IMPORTER_ROLE) else None)


@bp.route("/", methods=["POST"])
@role_required(IMPORTER_ROLE)
def upload() -> ResponseReturnValue:
    """Save the file and go to its preview; a file the core cannot read is deleted again and
    its message shown above the form."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form)
    shop_id = _shop_id()
    saved = uploads.save_upload(current_config().instance_path, form.file.data, form.kind.data,
                                shop_id, _user().id)
    try:
        preview(saved.path, saved.kind, limit=1, filename=saved.filename)
    except FileFormatError as exc:
        uploads.discard(saved)
        return _index_page(form, error=_cannot_read(exc))
    return redirect(url_for("imports.preview_page", token=saved.token))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the size limit: say so on the upload form (nothing was saved)."""
    limit_mb = MAX_REQUEST_BYTES // (1024 * 1024)
    message = _("The file is larger than %(size)s MB. Split it into smaller files and import "
                "them one after another.", size=limit_mb)
    return _index_page(UploadForm(formdata=None), error=message, status=413)


def _upload_or_404(token: str) -> uploads.Upload:
    found = uploads.find_upload(current_config().instance_path, token, _shop_id())
    if found is None:
        abort(404)
    return found


def _shown_rows(rows: list[list[str]]) -> list[list[str]]:
    """The preview's cells as the user may see them: mobile numbers masked for the roles that
    see them masked everywhere else."""
    if may_see_full_numbers():
        return rows
    return [[mask(cell) if normalise_mobile(cell)[1] else cell for cell in row] for row in rows]


def _preview_page(upload: uploads.Upload, table: dict[str, Any], selected: str | None,
                  chosen: dict[int, str], errors: list[str] | None = None) -> ResponseReturnValue:
    kind = upload.kind
    return render_template(
        "imports/preview.html",
        upload=upload,
        table={**table, "rows": _shown_rows(table["rows"])},
        kind_label=kind_label(kind),
        detected=table["preset"],
        selected=selected,
        presets=[(name, preset_label(kind, name)) for name in PRESETS[kind]],
        expected=[(preset_label(kind, name), column_mapping.listed(preset.expected_headers()))
                  for name, preset in PRESETS[kind].items()],
        preset_label=preset_label,
        columns=column_mapping.mappable_columns(table["headers"]),
        form_name=column_mapping.form_name,
        chosen=chosen,
        fields=[(name, field_label(name)) for name in FIELDS[kind]],
        errors=errors or [],
    )


def _read_preview(upload: uploads.Upload) -> dict[str, Any] | None:
    """The file's first rows, or ``None`` (with a message for the next page) when it can no
    longer be read, in which case the upload is deleted."""
    try:
        return preview(upload.path, upload.kind, limit=PREVIEW_ROWS, filename=upload.filename)
    except FileFormatError as exc:
        uploads.discard(upload)
        flash(_cannot_read(exc), "error")
        return None


@bp.route("/uploads/<token>")
@role_required(IMPORTER_ROLE)
def preview_page(token: str) -> ResponseReturnValue:
    upload = _upload_or_404(token)
    if upload.import_run_id is not None:
        return redirect(url_for("imports.run_page", run_id=upload.import_run_id))
    table = _read_preview(upload)
    if table is None:
        return redirect(url_for("imports.index"))
    selected = request.args.get("preset") or None
    if selected not in PRESETS[upload.kind]:
        selected = None
    chosen = column_mapping.prefill(upload.kind, table["headers"], selected or table["preset"])
    return _preview_page(upload, table, selected, chosen)


@bp.route("/uploads/<token>", methods=["POST"])
@role_required(IMPORTER_ROLE)
def confirm(token: str) -> ResponseReturnValue:
    """Start importing the upload with the mapping the operator confirmed."""
    upload = _upload_or_404(token)
    if upload.import_run_id is not None:
        return redirect(url_for("imports.run_page", run_id=upload.import_run_id))
    table = _read_preview(upload)
    if table is None:
        return redirect(url_for("imports.index"))
    form = column_mapping.read_mapping(upload.kind, table["headers"], request.form)
    if form.errors:
        selected = request.form.get("preset") or None
        return _preview_page(upload, table, selected if selected in PRESETS[upload.kind] else None,
                             form.chosen, form.errors)
    if not uploads.claim(upload):
        flash(_("This file is already being imported."), "info")
        return redirect(url_for("imports.index"))
    run_id = import_runs.start_import(db(), current_config(), upload, form.mapping, _user(),
                                      request.remote_addr)
    return redirect(url_for("imports.run_page", run_id=run_id))


@bp.route("/uploads/<token>/discard", methods=["POST"])
@role_required(IMPORTER_ROLE)
def discard(token: str) -> ResponseReturnValue:
    upload = _upload_or_404(token)
    if upload.import_run_id is None:
        uploads.discard(upload)
        flash(_("The file %(name)s was not imported and has been deleted.", name=upload.filename),
              "info")
    return redirect(url_for("imports.index"))


def _run_or_404(run_id: int) -> import_runs.RunRow:
    found = import_runs.find_run(db(), run_id, _shop_id())
    if found is None:
        abort(404)
    return found


def _result_context(row: import_runs.RunRow) -> dict[str, Any]:
    job = import_runs.run_job_status(row.run, current_config())
    return {"row": row, "run": row.run, "job": job, "over": import_runs.is_over(row.run, job),
            **_run_helpers()}


@bp.route("/runs/<int:run_id>")
def run_page(run_id: int) -> ResponseReturnValue:
    context = _result_context(_run_or_404(run_id))
    job = context["job"]
    progress = Markup(render_progress(job)) if job is not None else None
    return render_template("imports/run.html", progress=progress, **context)


@bp.route("/runs/<int:run_id>/result")
def run_result(run_id: int) -> ResponseReturnValue:
    """The result fragment: asks for itself again every second until the run is over."""
    return render_template("imports/_result.html", **_result_context(_run_or_404(run_id)))


@bp.route("/runs/<int:run_id>/errors.csv")
@role_required(IMPORTER_ROLE)
def error_report(run_id: int) -> ResponseReturnValue:
    """The run's error report; only a file inside the instance's reports folder is served."""
    path = import_runs.error_report_path(_run_or_404(run_id).run, current_config())
    if path is None:
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"import-{run_id}-errors.csv", max_age=0)


@bp.route("/history")
def history() -> ResponseReturnValue:
    runs = import_runs.recent_runs(db(), _shop_id(), HISTORY_RUNS)
    return render_template("imports/history.html", runs=runs, limit=HISTORY_RUNS,
                           **_run_helpers())
