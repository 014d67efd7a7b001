"""The plugin's own Chinese catalogue translates every string its code and templates show."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import shopcrm_rfm

PACKAGE = Path(shopcrm_rfm.__file__).parent
CATALOGUE = PACKAGE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def extracted_msgids() -> set[str]:
    with open(PACKAGE / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(str(PACKAGE), method_map, options_map)}


def test_the_chinese_catalogue_translates_every_string_of_the_plugin() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    extracted = extracted_msgids()
    assert len(extracted) > 20, "the templates and views were read"
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated: {missing}; run pybabel extract/update (see shopcrm_rfm/babel.cfg)"
    for message in catalogue:
        if message.id:
            assert not list(message.check(catalogue)), message.id
