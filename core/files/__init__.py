"""Reading order and customer files: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX.

:mod:`.tables` streams rows from either format, :mod:`.encoding` tells a CSV's encoding,
:mod:`.fields` parses cells, :mod:`.presets` knows the column layouts (generic, Taobao), and
:mod:`.source` is the data source the core registers as its default ``file`` plugin.
"""
from shopcrm.files.tables import FileFormatError

__all__ = ["FileFormatError"]
