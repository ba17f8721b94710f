"""The dashboard as a WSGI app for a server of one's choosing: ``gunicorn 'dashboard.wsgi:app'``.

Settings come as for every command: the file named by ``SLOBOARD_CONFIG`` (if set) and the
``SLOBOARD_*`` environment variables. The app is built when this module is imported, so in
each gunicorn worker (do not pass ``--preload``: workers must not share the database
connections of the master).
"""

from __future__ import annotations

import os
from pathlib import Path

from sloboard.settings import load_settings
from sloboard.wiring import report_service

from .app import create_app

_config = os.environ.get("SLOBOARD_CONFIG")
app = create_app(load_settings(Path(_config) if _config else None), reports=report_service()).server
