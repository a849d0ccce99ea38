"""One small simulated world + store per test process, shared by the chart, deck and report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.engine import Engine, connect
from junkan.simulate import simulate
from junkan.sources.openalex import ingest

WORKS = 8000
SEED = 3
_BUILT: dict[str, Path] = {}

#: A hand-made exchange-survey table (long form): two series, one bad country, one bad value.
EXCHANGE_CSV = (
    "country,year,series,value\n"
    "JP,2019,short-term,1000\n"
    "JP,2019,long-term,200\n"
    "JP,2020,short-term,\"1,250\"\n"
    "J1,2020,long-term,9\n"
    "JP,2021,short-term,abc\n"
    "JP,2021,long-term,150\n"
)


def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world folder (``data``, ``cohorts``, ``store``), built once per process."""
    if "w" not in _BUILT:
        out = tmp_path_factory.mktemp("charts-world") / "world"
        simulate(out, works=WORKS, seed=SEED)
        rep = ingest([out / "data"], out / "store")
        assert rep.rejected == 0
        _BUILT["w"] = out
    return _BUILT["w"]


def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return connect(world_dir(tmp_path_factory) / "store")
