"""How the UI names job kinds and job statuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

JOB_KIND_LABELS = {
    "rollups.refresh": _l("Recompute customer totals"),
    "import.run": _l("Import a file"),
}
"""Job kinds the core declares (see :mod:`shopcrm.jobs.core`); a plugin's kinds show by name."""

JOB_STATUS_LABELS = {
    "queued": _l("Waiting"),
    "running": _l("Running"),
    "finished": _l("Finished"),
    "failed": _l("Failed"),
}

FINAL_STATUSES = frozenset({"finished", "failed"})


def job_label(kind: str) -> str:
    label = JOB_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def status_label(status: str) -> str:
    label = JOB_STATUS_LABELS.get(status)
    return str(label) if label is not None else status
