"""Job kinds: functions that run as jobs, by name.

A job function takes a :class:`~shopcrm.jobs.progress.Progress` and keyword arguments that
are ids and plain values (never objects), and returns a JSON-able result::

    from shopcrm.jobs import job

    @job("rollups.refresh")
    def refresh_rollups(progress, shop_id: int) -> dict: ...

Plugins declare their jobs the same way; the plugins are loaded before a job runs, so a
worker finds every kind.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, TypeVar

from shopcrm.jobs.progress import Progress


class JobFunction(Protocol):
    def __call__(self, progress: Progress, **kwargs: Any) -> Any: ...


F = TypeVar("F", bound=Callable[..., Any])

_kinds: dict[str, Callable[..., Any]] = {}
_labels: dict[str, Any] = {}


def job(kind: str, label: Any = None) -> Callable[[F], F]:
    """Declare ``kind`` as the job that runs the decorated function.

    ``label`` is how pages name it (a ``lazy_gettext`` string, so it is translated when shown);
    without one they show ``kind`` itself."""

    def register(func: F) -> F:
        existing = _kinds.get(kind)
        # The same function imported again (plugins reloaded) replaces itself.
        if existing is not None and _qualified(existing) != _qualified(func):
            raise ValueError(
                f"job kind {kind!r} is declared twice: {existing.__module__}.{existing.__qualname__} "
                f"and {func.__module__}.{func.__qualname__}"
            )
        _kinds[kind] = func
        if label is not None:
            _labels[kind] = label
        return func

    return register


def _qualified(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def get_job(kind: str) -> Callable[..., Any]:
    try:
        return _kinds[kind]
    except KeyError:
        raise LookupError(f"no job kind {kind!r} (known: {', '.join(sorted(_kinds))})") from None


def job_kind_label(kind: str) -> Any:
    """The label ``kind`` was declared with, or ``None``."""
    return _labels.get(kind)


def job_kinds() -> list[str]:
    return sorted(_kinds)
