"""Shared fixtures: every engine test runs on DuckDB and on PySpark (local[2])."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from junkan.engine import Engine, connect, spark_session

os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def spark():
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session


@pytest.fixture(params=["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_engine(backend: str, request: pytest.FixtureRequest) -> Callable[[Path], Engine]:
    """``open_engine(store_path)`` on the test's backend."""

    def _open(path: Path) -> Engine:
        if backend == "pyspark":
            return connect(path, backend="pyspark", spark=request.getfixturevalue("spark"))
        return connect(path, backend="duckdb", threads=2)

    return _open
