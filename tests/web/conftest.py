"""A small simulated store and one dashboard over it, shared by the API and browser tests.

Under pytest-xdist the store and the result cache are built once for the whole run (the first worker builds
them under a file lock; the others read the same cache), so the charts are computed once, not once per worker.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from junkan.web import Dashboard

WORKS = 5000


@pytest.fixture(scope="session")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # the parent of a worker's basetemp belongs to this run only; without xdist it is shared with other runs
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "junkan-web"
    root.mkdir(exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (root / "store" / "CURRENT").exists():
                from junkan.simulate import simulate
                from junkan.sources.openalex import ingest

                simulate(root / "world", works=WORKS, seed=5)
                ingest([root / "world" / "data"], root / "store", threads=2)
            if not (root / "warm").exists():
                dash = Dashboard(root / "store", cache_dir=root / "cache", threads=2)
                dash.precompute([dash.catalog.ChartParams(country="JP", lang="ja")])  # every chart and page, once
                dash.state.engine.close()
                (root / "warm").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root


@pytest.fixture(scope="session")
def web_store(web_root: Path) -> Path:
    return web_root / "store"


@pytest.fixture(scope="session")
def web_cache(web_root: Path) -> Path:
    return web_root / "cache"


@pytest.fixture(scope="session")
def dashboard(web_store: Path, web_cache: Path) -> Dashboard:
    return Dashboard(web_store, cache_dir=web_cache, threads=2)
