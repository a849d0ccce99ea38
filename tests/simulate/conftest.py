from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from junkan.simulate import simulate


def read_jsonl_gz(pattern_dir: Path) -> list[dict]:
    out = []
    for p in sorted(pattern_dir.glob("updated_date=*/part_*.gz")):
        with gzip.open(p, "rb") as fh:
            out.extend(orjson.loads(line) for line in fh)
    return out


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "w"
    res = simulate(out, works=6000, seed=7, workers=2)
    return res


@pytest.fixture(scope="session")
def small_works(small_world):
    return read_jsonl_gz(small_world.works_dir)


@pytest.fixture(scope="session")
def small_authors(small_world):
    return read_jsonl_gz(small_world.authors_dir)
