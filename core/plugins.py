"""The plugin manager: discovery, loading and isolated hook calls.

Plugins are found three ways:

* the core's own default plugins (:data:`DEFAULT_PLUGINS`), always registered;
* distributions with an entry point in the ``shopcrm`` group (every built-in plugin is one);
  ``SHOPCRM_PLUGINS`` (a comma list of entry-point or distribution names) loads only those;
* loose ``*.py`` files in the folder named by ``SHOPCRM_PLUGINS_DIR``.

``check_pending()`` runs after loading, so an implementation of a misspelled hook fails loudly.
A hook implementation that raises is logged with its plugin's name and skipped (see
:func:`call_each`); programming errors in the core still fail loudly.
"""
from __future__ import annotations

import importlib
import inspect
import importlib.metadata
import importlib.util
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pluggy

from shopcrm import PROJECT_NAME, __version__, hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = PROJECT_NAME

DEFAULT_PLUGINS: tuple[str, ...] = (
    "shopcrm.default_plugins.automations",
    "shopcrm.default_plugins.files",
    "shopcrm.default_plugins.menu",
    "shopcrm.default_plugins.receipts",
    "shopcrm.default_plugins.replies",
    "shopcrm.default_plugins.variables",
)
"""Modules of the core that are registered as plugins, in the style of datasette's defaults."""


class PluginError(RuntimeError):
    """A plugin could not be loaded or conflicts with another one."""


@dataclass(slots=True, frozen=True)
class PluginInfo:
    """What ``shopcrm plugins`` shows about one plugin."""

    name: str
    version: str | None
    source: str
    """``default``, ``entrypoint`` or ``directory``."""
    hooks: tuple[str, ...]


class ShopcrmPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and its version."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.origins: dict[str, tuple[str, str | None]] = {}

    def register_from(
        self, plugin: object, name: str, source: str, version: str | None
    ) -> None:
        self.register(plugin, name=name)
        self.origins[name] = (source, version)


_manager: ShopcrmPluginManager | None = None


def get_plugin_manager() -> ShopcrmPluginManager:
    """The process-wide plugin manager, loaded on first use."""
    global _manager
    if _manager is None:
        _manager = build_plugin_manager()
    return _manager


def reset_plugin_manager() -> None:
    """Forget the loaded plugins; the next :func:`get_plugin_manager` loads them anew."""
    global _manager
    _manager = None
    from shopcrm import registry

    registry.reset()


def build_plugin_manager(
    plugins: str | None = None, plugins_dir: str | None = None
) -> ShopcrmPluginManager:
    """A new plugin manager with the default plugins and whatever the environment selects."""
    if plugins is None:
        plugins = os.environ.get("SHOPCRM_PLUGINS")
    if plugins_dir is None:
        plugins_dir = os.environ.get("SHOPCRM_PLUGINS_DIR")

    pm = ShopcrmPluginManager()
    for module_name in DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        pm.register_from(module, f"default_{module_name.rsplit('.', 1)[1]}", "default", __version__)

    _load_entry_points(pm, _parse_list(plugins) if plugins is not None else None)
    if plugins_dir:
        _load_directory(pm, Path(plugins_dir))
    pm.check_pending()
    return pm


def _canonical(name: str) -> str:
    """Distribution and plugin names compare like pip compares them: case and -_. alike."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_list(value: str) -> set[str]:
    return {_canonical(part.strip()) for part in value.split(",") if part.strip()}


def _load_entry_points(pm: ShopcrmPluginManager, only: set[str] | None) -> None:
    seen: set[str] = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        dist_name = _canonical(dist.metadata["Name"]) if dist is not None else None
        if only is not None and _canonical(ep.name) not in only and dist_name not in only:
            continue
        if _canonical(ep.name) in seen:
            raise PluginError(
                f"two installed distributions declare the plugin {ep.name!r} "
                f"(entry-point group {ENTRY_POINT_GROUP!r}); uninstall one of them"
            )
        if pm.has_plugin(ep.name):
            raise PluginError(
                f"the installed plugin {ep.name!r} ({ep.value}) is named like one of the core's own plugins"
            )
        seen.add(_canonical(ep.name))
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party install must say which plugin it is
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
        pm.register_from(plugin, ep.name, "entrypoint", dist.version if dist is not None else None)
    if only is not None:
        missing = only - seen - {
            _canonical(ep.dist.metadata["Name"]) if ep.dist is not None else ""
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        }
        if missing:
            raise PluginError(
                "SHOPCRM_PLUGINS names plugins that are not installed: " + ", ".join(sorted(missing))
            )


def _load_directory(pm: ShopcrmPluginManager, folder: Path) -> None:
    if not folder.is_dir():
        raise PluginError(f"SHOPCRM_PLUGINS_DIR {str(folder)!r} is not a folder")
    for path in sorted(folder.glob("*.py")):
        name = path.stem
        if pm.get_plugin(name) is not None:
            raise PluginError(
                f"plugin file {str(path)!r} is named like the already loaded plugin {name!r}; rename it"
            )
        module = _import_file(path, f"shopcrm_loose_plugins.{name}")
        pm.register_from(module, name, "directory", None)


def _import_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load plugin file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise PluginError(f"plugin file {str(path)!r} failed to import: {exc}") from exc
    return module


def call_each(hook_name: str, strict: bool = False, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Call every implementation of ``hook_name`` on its own, yielding ``(plugin, result)``.

    Order: ``tryfirst`` implementations, then the rest in registration order (the core's
    defaults first), then ``trylast`` ones. An implementation that raises is logged with its
    plugin's name and skipped, so the page or job goes on without that plugin's contribution;
    with ``strict=True`` it raises :class:`PluginError` naming the plugin instead.
    """
    pm = get_plugin_manager()
    caller = getattr(pm.hook, hook_name)
    impls = sorted(caller.get_hookimpls(), key=lambda i: 0 if i.tryfirst else 2 if i.trylast else 1)
    for impl in impls:
        args = {name: kwargs[name] for name in impl.argnames}
        try:
            result = impl.function(**args)
            if inspect.isgenerator(result):  # a yielding hook fails while it is consumed
                result = list(result)
        except Exception as exc:
            if strict:
                raise PluginError(f"plugin {impl.plugin_name!r} failed in hook {hook_name}: {exc}") from exc
            log.exception("plugin %r failed in hook %s", impl.plugin_name, hook_name)
            continue
        yield impl.plugin_name, result


def plugin_infos(pm: ShopcrmPluginManager | None = None) -> list[PluginInfo]:
    """Every registered plugin with its version, origin and the hooks it implements."""
    pm = pm or get_plugin_manager()
    infos = []
    for name, plugin in pm.list_name_plugin():
        if name is None:
            continue
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        source, version = pm.origins.get(name, ("unknown", None))
        infos.append(PluginInfo(name=name, version=version, source=source, hooks=hooks))
    return sorted(infos, key=lambda info: (info.source != "default", info.name))
