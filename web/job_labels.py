"""How the UI names job kinds and job statuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shopcrm.jobs.registry import job_kind_label

JOB_KIND_LABELS = {
    "rollups.refresh": _l("Recompute customer totals"),
    "import.run": _l("Import a file"),
    "labels.refresh": _l("Recompute labels"),
    "campaign.send": _l("Send a campaign"),
    "automations.daily": _l("Daily care messages"),
}
"""Job kinds the core declares; a plugin's kinds show the ``label`` given to ``@job``, or their name."""

JOB_STATUS_LABELS = {
    "queued": _l("Waiting"),
    "running": _l("Running"),
    "finished": _l("Finished"),
    "failed": _l("Failed"),
}

FINAL_STATUSES = frozenset({"finished", "failed"})


def job_label(kind: str) -> str:
    label = JOB_KIND_LABELS.get(kind)
    if label is None:
        label = job_kind_label(kind)
    return str(label) if label is not None else kind


def status_label(status: str) -> str:
    label = JOB_STATUS_LABELS.get(status)
    return str(label) if label is not None else status
