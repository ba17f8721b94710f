"""Benchmarks of sloboard (``python -m bench``): each prints its figure, its target and a ratio
against a baseline measured in the same run. See ``bench/RESULTS.md`` for the latest table."""
