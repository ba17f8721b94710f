"""The session key made on first start: workers starting together all get one full key.

Each gunicorn worker reads (or makes) ``<data_dir>/session.key``. With the file created
first and written after, a worker could read it empty in between and sign its cookies
with an empty key (7 of 30 rounds of 8 processes here): logins on it then failed."""

from __future__ import annotations

import multiprocessing
import stat
import types

from dashboard.auth import session_key

ROUNDS = 20
WORKERS = 8


def _start(data_dir, answers, barrier) -> None:
    settings = types.SimpleNamespace(auth=types.SimpleNamespace(secret_key=None), data_dir=data_dir)
    barrier.wait()  # every process asks at the same moment
    answers.put(session_key.secret(settings))


def test_workers_starting_together_share_one_full_key(tmp_path):
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        data_dir = tmp_path / f"data{round_}"
        answers, barrier = context.Queue(), context.Barrier(WORKERS)
        processes = [context.Process(target=_start, args=(data_dir, answers, barrier)) for _ in range(WORKERS)]
        for process in processes:
            process.start()
        keys = [answers.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(60)
        assert len(set(keys)) == 1 and len(keys[0]) >= 64, (round_, keys)
        assert (data_dir / session_key.FILE).read_text().strip() == keys[0]
        assert stat.S_IMODE((data_dir / session_key.FILE).stat().st_mode) == 0o600
        assert [p.name for p in data_dir.iterdir()] == [session_key.FILE]  # no staging file left behind
