"""The read side: one module per question a reader asks of the store.

Every reader (the dashboard, ``sloboard status``, the HTTP API, the reports) asks
through these functions, so a number on a page, in ``status --json`` and in a PDF
cannot differ. Each takes a store, the SLOs and explicit parameters (step, time zone,
budgets), never a settings object; each reads the store and shapes the rows with the
engine, never reading the clock.

- ``plan``: how windows that end at one instant are read (hourly rollups, raw edges).
- ``status``: the status of SLOs at an instant (``sloboard status``, the API, the gate).
- ``dora``: DORA over 7 and 30 days.
- ``cost``: cost over a window, its history and trends.
- ``history``: one SLO's history, and every SLO's budget over a range.
- ``golden_signals``: the golden signals of a service.
- ``trends``: KPI trends (DORA; the cost trends are in ``cost``).
- ``health``: collection health and freshness.
"""
