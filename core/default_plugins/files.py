"""Default plugin: the CSV/Excel file data source (generic and Taobao layouts)."""
from __future__ import annotations

from typing import Iterable

from shopcrm import hookimpl
from shopcrm.files.source import FileSource
from shopcrm.sources import DataSource


@hookimpl
def register_data_sources() -> Iterable[DataSource]:
    return [FileSource()]
