"""What desk writes for people and other programs: printouts as text (``text.py``)
and PDF (``pdf.py``), where they are written (``files.py``), and CSV/Excel
exports (``export.py``). No Textual here: the screens show the result."""
