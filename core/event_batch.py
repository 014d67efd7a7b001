"""Handling many events at once from a hook called once per event.

``on_order_event`` is called once per event, but an ingested batch raises its events together:
an API request of ten orders, a file's thousand fresh changes. A plugin whose handling costs a
transaction and a few statements per call (writing messages, points, a tier) would pay that per
event. :func:`handle` lets it pay it once per batch instead::

    @hookimpl
    def on_order_event(event):
        handle(my_handler, event)      # my_handler(events: list[OrderEvent]) -> None

Outside a batch, ``my_handler([event])`` runs at once, as a plain hook would. Inside
``with event_batch():`` (what the core's ingestion wraps each batch's events in), the events
handed to the same handler are collected in order, and the handler runs once with all of them
when the block ends, after every hook implementation has seen every event. Handlers run in the
order they were first used; one that raises is logged and the others still run, as
:func:`shopcrm.plugins.call_each` does for hooks. A batch opened inside another collects its own
events and runs them when it ends.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Hashable, Iterator, TypeVar

log = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[list[Any]], None]


class EventBatch:
    """The events collected per handler while a batch is open."""

    def __init__(self) -> None:
        self._groups: dict[Hashable, tuple[Handler, list[Any]]] = {}

    def add(self, key: Hashable, handler: Handler, event: Any) -> None:
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = (handler, [])
        group[1].append(event)

    def __len__(self) -> int:
        return sum(len(events) for _, events in self._groups.values())

    def run(self) -> None:
        """Hand each handler its events, once; a handler that raises is logged and skipped."""
        groups, self._groups = self._groups, {}
        for handler, events in groups.values():
            try:
                handler(events)
            except Exception:
                log.exception("event handler %s failed on %d events", _name(handler), len(events))


_current: ContextVar[EventBatch | None] = ContextVar("shopcrm_event_batch", default=None)


@contextmanager
def event_batch() -> Iterator[EventBatch]:
    """Collect the events :func:`handle` is given in the block; run their handlers at its end
    (also when the block raises: the events were raised, their changes are committed)."""
    batch = EventBatch()
    token = _current.set(batch)
    try:
        yield batch
    finally:
        _current.reset(token)
        batch.run()


def handle(handler: Callable[[list[E]], None], event: E, key: Hashable | None = None) -> None:
    """Have ``handler`` handle ``event``: now, or with the other events of the open batch.

    ``key`` (the handler itself by default) says which events go together: give one when the
    handler is made anew per call (a ``functools.partial``, a bound method)."""
    batch = _current.get()
    if batch is None:
        handler([event])
    else:
        batch.add(handler if key is None else key, handler, event)


def _name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


__all__ = ["EventBatch", "event_batch", "handle"]
