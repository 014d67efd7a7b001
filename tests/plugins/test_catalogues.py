"""Every bundled plugin's Chinese catalogue translates every string its code and templates show."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path.parent for path in ROOT.glob("plugins/*/shopcrm_*/babel.cfg"))


def extracted_msgids(package: Path) -> set[str]:
    with open(package / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in extract_from_dir(str(package), method_map, options_map)}


def test_the_plugins_with_pages_have_catalogues() -> None:
    assert {package.name for package in PACKAGES} >= {"shopcrm_rfm", "shopcrm_lifecycle", "shopcrm_membership",
                                                       "shopcrm_sms_aliyun"}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_the_chinese_catalogue_translates_every_string_of_the_plugin(package: Path) -> None:
    with (package / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    extracted = extracted_msgids(package)
    assert extracted, "the code and templates were read"
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated: {missing}; run pybabel extract/update (see {package.name}/babel.cfg)"
    for message in catalogue:
        if message.id:
            assert not list(message.check(catalogue)), message.id
