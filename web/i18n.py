"""Languages: Chinese (zh_CN) first, English on request, through Flask-Babel.

A signed-in user sees the language stored in ``User.locale`` (switched from the top bar); a
visitor on the log-in page sees the one picked there (kept in the session), else Chinese.
Times are shown in the shop's time zone.

Language names are written in their own language ("中文", "English"), as language menus do,
so they are not translated.
"""
from __future__ import annotations

from functools import cached_property

from babel import Locale, support
from flask import Flask, g, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user
from sqlalchemy import select

from shopcrm.models import Shop
from shopcrm.models.shop import DEFAULT_TIMEZONE
from shopcrm.web.catalogues import compiled_catalogues, plugin_catalogue_folders
from shopcrm.web.database import db

DEFAULT_LOCALE = "zh_CN"
LOCALES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
"""Locale code -> the language's own name, in the order the switch shows them."""

SESSION_LOCALE_KEY = "locale"


class CatalogueDomain(Domain):
    """The message domain, finding a catalogue by the code it is filed under.

    Babel reads ``zh_CN`` as the locale ``zh_Hans_CN`` and would look for a catalogue folder of
    that name only; ours are filed under the codes of :data:`LOCALES` (``zh_CN``), the name
    translators and ``pybabel`` use. This looks under those codes first.
    """

    def get_translations(self) -> support.NullTranslations:
        locale = get_locale()
        if locale is None:  # outside a request or app context
            return support.NullTranslations()
        key = (str(locale), self.domain[0])
        translations = self.cache.get(key)
        if translations is None:
            names = [code for code in LOCALES if Locale.parse(code) == locale] + [str(locale)]
            translations = support.Translations()
            for directory in self.translation_directories:
                translations.merge(support.Translations.load(directory, names, self.domain[0]))
            self.cache[key] = translations
        return translations


class ShopBabel(Babel):
    """Flask-Babel with :class:`CatalogueDomain` as its message domain."""

    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain(domain=self.domain)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel for ``app``, with catalogues compiled where needed (see
    :mod:`shopcrm.web.catalogues`); each app gets its own instance, and so its own cache."""
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    folders = [*plugin_catalogue_folders(app.instance_path), compiled_catalogues(app.instance_path)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(folder) for folder in folders)
    ShopBabel().init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["locales"] = LOCALES
    app.context_processor(lambda: {"current_locale": select_locale()})


def select_locale() -> str:
    """The user's stored language; else the one chosen on the log-in page; else Chinese."""
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    chosen = session.get(SESSION_LOCALE_KEY)
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def select_timezone() -> str:
    """The first shop's time zone: the one its operators and customers live in."""
    if "shop_timezone" not in g:
        timezone = db().scalar(select(Shop.timezone).order_by(Shop.id).limit(1))
        g.shop_timezone = timezone or DEFAULT_TIMEZONE
    return str(g.shop_timezone)
