"""Chinese first, English per user; and a catalogue that translates every string."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from shopcrm.models import User
from shopcrm.web.catalogues import TRANSLATIONS_DIR, compiled_catalogues
from web_support import post_form, text

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"


def test_pages_are_in_chinese_by_default(admin_client: FlaskClient) -> None:
    page = text(admin_client.get("/"))
    assert "仪表盘" in page
    assert "Dashboard" not in page
    assert '<html lang="zh-CN"' in page


def test_switching_to_english_is_stored_on_the_user_and_changes_the_pages(
    admin_client: FlaskClient, admin: User, session: Session
) -> None:
    response = post_form(admin_client, "/account/language", {"locale": "en", "next": "/admin/users"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    session.refresh(admin)
    assert admin.locale == "en"
    page = text(admin_client.get("/"))
    assert "Dashboard" in page and "仪表盘" not in page
    assert '<html lang="en"' in page
    post_form(admin_client, "/account/language", {"locale": "zh_CN"})
    assert "仪表盘" in text(admin_client.get("/"))


def test_the_language_follows_the_user_to_a_new_session(
    login_as: Callable[[User], FlaskClient], make_user: Callable[..., User]
) -> None:
    english = make_user("lee", "operator", locale="en")
    page = text(login_as(english).get("/"))
    assert "Dashboard" in page and "Log out" in page


def test_an_unknown_language_is_refused(admin_client: FlaskClient) -> None:
    assert post_form(admin_client, "/account/language", {"locale": "fr"}).status_code == 400


def test_the_switch_does_not_redirect_to_another_site(admin_client: FlaskClient) -> None:
    response = post_form(admin_client, "/account/language",
                         {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_login_page_can_be_shown_in_english(client: FlaskClient) -> None:
    assert "登录" in text(client.get("/login"))
    page = text(client.get("/login?lang=en"))
    assert "Log in" in page and "登录" not in page
    assert "Log in" in text(client.get("/login"))  # kept for the visit


def _extracted_msgids() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_chinese_catalogue_translates_every_string_of_the_ui() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    extracted = _extracted_msgids()
    assert {"Dashboard", "Plugins", "Users", "Settings"} <= extracted
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated: {missing}; run pybabel extract/update (see babel.cfg)"
    for message in catalogue:
        if message.id:
            errors = list(message.check(catalogue))
            assert not errors, (message.id, errors)


def test_catalogues_are_compiled_into_the_instance_when_the_mo_files_are_missing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, source, ignore=shutil.ignore_patterns("*.mo"))
    used = compiled_catalogues(tmp_path / "instance", source)
    assert used == tmp_path / "instance" / "translations"
    assert (used / "zh_CN" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
    # Once compiled next to the .po files, those are used as they are.
    os.makedirs(source / "zh_CN" / "LC_MESSAGES", exist_ok=True)
    shutil.copy(used / "zh_CN" / "LC_MESSAGES" / "messages.mo", source / "zh_CN" / "LC_MESSAGES")
    assert compiled_catalogues(tmp_path / "instance", source) == source


def test_a_catalogue_older_than_its_po_is_compiled_again(tmp_path: Path) -> None:
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, source, ignore=shutil.ignore_patterns("*.mo"))
    po = source / "zh_CN" / "LC_MESSAGES" / "messages.po"
    stale = po.with_suffix(".mo")
    stale.write_bytes(b"")
    os.utime(stale, (po.stat().st_mtime - 60, po.stat().st_mtime - 60))
    used = compiled_catalogues(tmp_path / "instance", source)
    assert used != source
    assert (used / "zh_CN" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
