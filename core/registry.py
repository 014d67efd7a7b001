"""What the plugins registered: data sources, segmenters, triggers, channels, variables.

Each registry hook returns (or yields) objects with a ``name``; names must be unique across
all plugins, and a clash is a start-up error naming both plugins. A registry hook that raises
is logged with its plugin's name and contributes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Iterator, TypeVar

from shopcrm.plugins import PluginError, call_each

T = TypeVar("T")

REGISTRY_HOOKS: dict[str, str] = {
    "data_sources": "register_data_sources",
    "segmenters": "register_segmenters",
    "triggers": "register_triggers",
    "channels": "register_channels",
    "template_variables": "register_template_variables",
}
"""Registry kind -> the hook that fills it."""


@dataclass(slots=True)
class Named(Generic[T]):
    """Objects of one kind by name, remembering which plugin gave each."""

    kind: str
    items: dict[str, T] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def add(self, plugin: str, obj: T) -> None:
        name = getattr(obj, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered a {self.kind} without a name: {obj!r}")
        if name in self.items:
            raise PluginError(
                f"{self.kind} name {name!r} is registered by two plugins: "
                f"{self.owners[name]!r} and {plugin!r}; each name must be unique"
            )
        self.items[name] = obj
        self.owners[name] = plugin

    def __getitem__(self, name: str) -> T:
        try:
            return self.items[name]
        except KeyError:
            known = ", ".join(sorted(self.items)) or "none"
            raise KeyError(f"no {self.kind} named {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self.items

    def __iter__(self) -> Iterator[T]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def by_plugin(self, plugin: str) -> list[str]:
        return [name for name, owner in self.owners.items() if owner == plugin]


@dataclass(slots=True)
class Registry:
    """Everything the loaded plugins registered."""

    data_sources: Named[Any]
    segmenters: Named[Any]
    triggers: Named[Any]
    channels: Named[Any]
    template_variables: Named[Any]

    def kinds(self) -> dict[str, Named[Any]]:
        return {kind: getattr(self, kind) for kind in REGISTRY_HOOKS}

    def registered_by(self, plugin: str) -> dict[str, list[str]]:
        """``{kind: [names]}`` of what ``plugin`` registered, leaving out empty kinds."""
        found = {kind: named.by_plugin(plugin) for kind, named in self.kinds().items()}
        return {kind: names for kind, names in found.items() if names}


_registry: Registry | None = None


def build_registry() -> Registry:
    """Collect every registry hook's objects, checking names are unique."""
    named: dict[str, Named[Any]] = {}
    for kind, hook in REGISTRY_HOOKS.items():
        bucket: Named[Any] = Named(kind.rstrip("s").replace("_", " "))
        for plugin, result in call_each(hook):
            for obj in result or ():
                bucket.add(plugin, obj)
        named[kind] = bucket
    return Registry(**named)


def get_registry() -> Registry:
    """The registry of the loaded plugins, built once."""
    global _registry
    if _registry is None:
        _registry = build_registry()
    return _registry


def reset() -> None:
    global _registry
    _registry = None
