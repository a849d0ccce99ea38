"""Ranks must not depend on DuckDB's thread count (issue 11): values equal in exact arithmetic tie."""

from __future__ import annotations

import ibis
import pyarrow as pa

from junkan.mobility.abroad import rank_desc


def test_float_sums_equal_up_to_rounding_tie() -> None:
    # 2.8 and 2.8000000000000003 are the same sum added in two orders (0.1 * 28 in float): one rank, not two
    t = ibis.memtable(pa.table({"a": ["p", "q", "r", "s", "t"], "v": [2.8, 2.8000000000000003, 3.0, None, 2.7999999]}))
    out = ibis.duckdb.connect().to_pyarrow(t.mutate(r=rank_desc(t.v)).order_by("a"))
    assert out.column("r").to_pylist() == [2, 2, 1, 5, 4]  # competition ranking, distinct values stay distinct, null last
    assert sum(0.1 for _ in range(28)) != 2.8  # the premise: float sums in another order differ in the last bit
