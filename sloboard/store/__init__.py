"""The store: the only part of sloboard that speaks SQL.

``Store.open(url)`` gives SQLite (``sqlite:///path``, the default) or PostgreSQL
(``postgresql+psycopg://...``) with the same schema, migrations and results.
"""

from .connection import default_url, mask_url
from .locking import this_process
from .migrate import head_revision
from .records import ApiToken, AuditEntry, CollectorRun, ReportRun, SLORecord, SLOVersion, User
from .retention import Retention
from .sample_rows import SeriesHourly, SeriesSamples, SLIHourly, SLISamples
from .store import Store

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CollectorRun",
    "ReportRun",
    "Retention",
    "SLORecord",
    "SLOVersion",
    "SLIHourly",
    "SLISamples",
    "SeriesHourly",
    "SeriesSamples",
    "Store",
    "User",
    "default_url",
    "head_revision",
    "mask_url",
    "this_process",
]
