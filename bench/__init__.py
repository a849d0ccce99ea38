"""junkan's benchmarks: ``python -m bench`` runs them all (see bench/harness.py and docs/benchmarks.md).

The older scripts (ingest.py, indicators.py, mobility.py, mapping.py, simulate.py) keep their own command lines.
"""
