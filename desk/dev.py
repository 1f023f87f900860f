"""The app for Textual's development tools, with the options of ``desk`` itself::

    textual run --dev desk.dev --db demo.db --lang zh

(``pip install textual-dev`` for the ``textual`` command; ``textual console`` in
another terminal shows the log.)
"""

from __future__ import annotations

import sys

from desk.__main__ import main
from desk.cli.start import build_app
from desk.i18n import set_locale

_options = main.make_context("desk", sys.argv[1:]).params
if _options["lang"]:
    set_locale(_options["lang"])
app = build_app(_options["db"], _options["lang"], _options["user_name"])
