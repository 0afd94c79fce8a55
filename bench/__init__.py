"""Zhiyuan's scale data generator and benchmark harness (docs/benchmarks.md).

* ``python -m bench.generate`` fills a database with a seeded, realistic dataset.
* ``python -m bench.run <benchmark>`` runs one benchmark and writes a JSON result to
  ``bench/results/``.
"""
