"""Helpers for testing junkan and code built on it: compare results across engines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

__all__ = ["assert_tables_equal", "rows"]


def rows(table: pa.Table, keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows of an Arrow table as dicts, sorted by ``keys`` (default: all columns)."""
    data = table.to_pylist()
    keys = list(keys) if keys is not None else list(table.column_names)

    def sort_key(r: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((r[k] is None, r[k] if r[k] is not None else 0) for k in keys)

    return sorted(data, key=sort_key)


def assert_tables_equal(
    left: pa.Table,
    right: pa.Table,
    *,
    keys: Sequence[str],
    rtol: float = 1e-9,
    atol: float = 0.0,
) -> None:
    """Assert two result tables are equal: integers and strings exactly, floats within ``rtol``.

    This is junkan's cross-engine contract (DuckDB vs PySpark): summation order differs between
    engines, so floating-point values may differ in the last bits, never more than a relative 1e-9.
    """
    assert sorted(left.column_names) == sorted(right.column_names), (left.column_names, right.column_names)
    assert left.num_rows == right.num_rows, f"row counts differ: {left.num_rows} != {right.num_rows}"
    lrows, rrows = rows(left, keys), rows(right, keys)
    for i, (a, b) in enumerate(zip(lrows, rrows, strict=True)):
        for col in left.column_names:
            x, y = a[col], b[col]
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None:
                    assert x is None and y is None, f"row {i} column {col}: {x!r} != {y!r}"
                elif math.isnan(x) or math.isnan(y):
                    assert math.isnan(x) and math.isnan(y), f"row {i} column {col}: {x!r} != {y!r}"
                else:
                    assert math.isclose(x, y, rel_tol=rtol, abs_tol=atol), f"row {i} column {col}: {x!r} != {y!r}"
            else:
                assert x == y, f"row {i} column {col}: {x!r} != {y!r} (keys {[a[k] for k in keys]})"
