"""Message templates: ``${var}`` placeholders, checked, filled, and counted as the gateway bills.

* :func:`check` refuses a template naming a variable nobody registered, or a ``${`` left open,
  with a message that names it: templates are checked when saved, never discovered broken at
  send time.
* :func:`render` fills the placeholders for one customer (and order) from the registered
  :class:`~shopcrm.variables.TemplateVariable` objects: text only, no code runs.
* :func:`compose` adds what every SMS carries: the shop's signature 【…】 first and, for
  marketing, the opt-out text (拒收请回复R) last. A channel whose kind does not sign its
  messages (email: it adds its own unsubscribe link) gets the body as written.
* :func:`sms_parts` is what a gateway bills: 70 characters for one SMS, 67 per part beyond, the
  signature and opt-out text included. :func:`estimate` counts a template with each variable's
  example value, for the editor and a campaign's estimated cost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from shopcrm.variables import RenderContext, TemplateVariable

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
OPEN = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")
OPT_OUT_TEXT = "拒收请回复R"
SINGLE = 70
PER_PART = 67


class TemplateError(ValueError):
    """A template that cannot be saved; the message says what to change."""


def placeholders(text: str) -> list[str]:
    """The variable names ``text`` uses, each once, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def check(text: str, known: Iterable[str]) -> list[str]:
    """The variables ``text`` uses; :class:`TemplateError` for an unknown one or an open ``${``."""
    if not text.strip():
        raise TemplateError("the template is empty")
    broken = OPEN.search(text)
    if broken:
        snippet = text[broken.start():broken.start() + 20]
        raise TemplateError(f"a placeholder is not closed or not a variable name: {snippet!r} "
                            "(write ${name}, letters, digits and _ only)")
    names = placeholders(text)
    known_names = set(known)
    unknown = [name for name in names if name not in known_names]
    if unknown:
        raise TemplateError(f"unknown variable(s): {', '.join('${' + n + '}' for n in unknown)} "
                            f"(known: {', '.join('${' + n + '}' for n in sorted(known_names)) or 'none'})")
    return names


def render(text: str, ctx: RenderContext, variables: Mapping[str, TemplateVariable]) -> str:
    """``text`` with each placeholder replaced by its variable's value for ``ctx``."""
    values = {name: variables[name].value(ctx) if name in variables else "" for name in placeholders(text)}
    return render_values(text, values)


def render_values(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value in ``values`` (empty when absent)."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), text)


def compose(body: str, signature: str | None, marketing: bool, opt_out_text: str = OPT_OUT_TEXT,
            signed: bool = True) -> str:
    """The SMS as the phone shows it: 【signature】body, and the opt-out text for marketing;
    ``signed=False`` (a channel kind that carries neither, see :mod:`shopcrm.channel_kinds`):
    the body alone."""
    text = body.strip()
    if not signed:
        return text
    if signature:
        text = f"【{signature.strip('【】 ')}】{text}"
    if marketing and opt_out_text and opt_out_text not in text:
        text = f"{text} {opt_out_text}"
    return text


def sms_parts(text: str) -> int:
    """Billed SMS for ``text``: one up to 70 characters, else one per 67 (0 for no text)."""
    length = len(text)
    if length == 0:
        return 0
    return 1 if length <= SINGLE else -(-length // PER_PART)


@dataclass(slots=True, frozen=True)
class Estimate:
    """A template's length and parts with every variable at its example value."""

    text: str
    characters: int
    parts: int

    def cost(self, recipients: int, price_per_part: Decimal) -> Decimal:
        """What sending it to ``recipients`` costs at ``price_per_part`` (yuan)."""
        return (price_per_part * self.parts * recipients).quantize(Decimal("0.01"))


def estimate(body: str, variables: Mapping[str, TemplateVariable], signature: str | None,
             marketing: bool, opt_out_text: str = OPT_OUT_TEXT, signed: bool = True,
             count: Callable[[str], int] = sms_parts) -> Estimate:
    """The message with each variable's example (its longest likely value) and what it bills,
    counted by ``count`` (a channel's ``count_segments``; SMS parts by default)."""
    filled = PLACEHOLDER.sub(lambda m: variables[m.group(1)].example if m.group(1) in variables else "", body)
    text = compose(filled, signature, marketing, opt_out_text, signed)
    return Estimate(text, len(text), count(text))


__all__ = ["Estimate", "OPT_OUT_TEXT", "TemplateError", "check", "compose", "estimate", "placeholders",
           "render", "render_values", "sms_parts"]
