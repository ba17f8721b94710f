"""``/reports/download/<run id>``: the archived PDF of one report run, as a download.

A file is found by its run id, never by a path from the request, and the run's
recorded path must resolve (symbolic links followed) inside the data dir's report
archive: a store row altered to point elsewhere, or a link out of the archive, gets
404 like an unknown run. Only the archive's PDFs are ever served.
"""

from __future__ import annotations

from pathlib import Path

import flask

from sloboard.report_archive import ARCHIVE_DIR
from sloboard.errors import StoreError

PDF = "application/pdf"


def download_href(run_id: int) -> str:
    return f"/reports/download/{run_id}"


def archived_file(data_dir: Path, relative: str | None) -> Path | None:
    """The archive file at ``relative`` (to the data dir), or None when it lies outside the archive or is missing."""
    if not relative:
        return None
    archive = (Path(data_dir) / ARCHIVE_DIR).resolve()
    target = (Path(data_dir) / relative).resolve()
    if not target.is_relative_to(archive) or target.suffix != ".pdf" or not target.is_file():
        return None
    return target


def register(server: flask.Flask, ctx) -> None:
    def download(run_id: int) -> flask.Response:
        try:
            run = ctx.store.report_run(run_id)
        except StoreError:
            flask.abort(404)
        path = archived_file(ctx.settings.data_dir, run.path)
        if path is None:
            flask.abort(404)
        return flask.send_file(path, mimetype=PDF, as_attachment=True, download_name=f"{run.kind}-{run.period}.pdf",
                               max_age=0)

    server.add_url_rule("/reports/download/<int:run_id>", "report_download", download)
