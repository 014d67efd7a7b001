"""Messages for operators that are written outside a web request (import reports, job results)
and still read in the operator's language.

A :class:`Message` keeps its English template (marked with :func:`N_` so that the catalogue
extraction finds it) apart from its values: ``str(message)`` is the English text (logs, the
command line, the API), and :meth:`Message.render` gives it in any language, through a
``gettext`` function such as :func:`translator` returns for a locale::

    message = Message(N_("not an amount: %(value)r"), value="12元x")
    str(message)                          # "not an amount: '12元x'"
    message.render(translator("zh_CN"))   # "不是金额：'12元x'"

Templates use ``%(name)s``-style placeholders, as the catalogue does everywhere else.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

Gettext = Callable[[str], str]


def N_(template: str) -> str:
    """Mark ``template`` for the catalogue without translating it here."""
    return template


def english(template: str) -> str:
    return template


@dataclass(frozen=True, slots=True)
class Message:
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Gettext = english) -> str:
        text = gettext(self.template)
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        return self.render()


def render_all(messages: tuple[Message, ...] | list[Message], gettext: Gettext = english) -> str:
    """Several messages as one text (sentences joined by a space)."""
    return " ".join(message.render(gettext) for message in messages)


@functools.lru_cache(maxsize=8)
def translator(locale: str | None) -> Gettext:
    """``gettext`` of the core's catalogue for ``locale`` (English, the templates, for ``None``,
    ``en`` or a locale without a catalogue)."""
    if not locale or locale.split("_")[0] == "en":
        return english
    from babel.support import Translations

    from shopcrm.web.catalogues import TRANSLATIONS_DIR, is_current

    po = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return english
    mo = po.with_suffix(".mo")
    if is_current(po, mo):
        return Translations.load(str(TRANSLATIONS_DIR), [locale]).gettext
    with po.open("rb") as handle:  # an install that skipped `make translations`: read the .po
        from babel.messages.pofile import read_po

        catalogue = read_po(handle)
    strings = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}
    return lambda template: strings.get(template) or template


__all__ = ["Gettext", "Message", "N_", "english", "render_all", "translator"]
