"""Telling a CSV file's encoding: UTF-8 (with or without BOM) or GB18030 (a superset of GBK).

Chinese shop exports are GBK when saved by Excel on Windows and UTF-8 elsewhere; the operator is
never asked. A sample is decoded as UTF-8: GBK text fails on nearly every Chinese character, while
a UTF-8 file with a few damaged bytes fails on a few, whose rows are then reported, not the file
garbled.
"""
from __future__ import annotations

import codecs
from pathlib import Path

SAMPLE_BYTES = 1 << 20


def detect_encoding(path: Path, sample_bytes: int = SAMPLE_BYTES) -> str:
    """``utf-8-sig`` (a BOM), ``utf-8`` or ``gb18030``."""
    with open(path, "rb") as handle:
        sample = handle.read(sample_bytes)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(sample, final=len(sample) < sample_bytes)  # a cut multi-byte tail is fine
    damaged = text.count("\ufffd")
    if damaged == 0:
        return "utf-8"
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return "utf-8" if damaged * 10 <= non_ascii else "gb18030"
