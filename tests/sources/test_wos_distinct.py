"""The Web of Science → references path computes each parse and normalisation once per distinct printed string
(references repeat across citing records): results must not depend on repetition, order or company."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.sources.batch import CITED_SCHEMA
from junkan.sources.refmatch import match_references
from junkan.sources.wos import parse_references

from .test_refmatch import HAND_ROWS, WORKS

ROWS = [
    *HAND_ROWS,
    {"raw": "Aria M., 2017, JOURNAL OF INFORMETRICS, V11, P959", "first_author": "Aria M.", "year": 2017,
     "source_title": "JOURNAL OF INFORMETRICS", "volume": "V11", "first_page": "P959"},
]
# hand-checked: DOI; key (abbreviated source, volume, page); key (volume 82 → W2); volume disagrees; one agreement
# only; two candidates; key again with another spelling of the same author, source, volume and page
EXPECTED = [("W1", "doi", 1), ("W1", "key", 1), ("W2", "key", 1), (None, "synthetic", 0), (None, "synthetic", 0),
            (None, "synthetic", 2), ("W1", "key", 1)]


def _cited(idx: list[int]) -> pa.Table:
    return pa.Table.from_pylist([{"citing_id": f"WOS:{k}", "ordinal": k, **ROWS[i]} for k, i in enumerate(idx)],
                                schema=CITED_SCHEMA)


def _rows(t: pa.Table) -> list[tuple]:
    return list(zip(t["cited_work_id"].to_pylist(), t["matched_by"].to_pylist(), t["candidates"].to_pylist(),
                    strict=True))


SINGLE = [_rows(match_references(_cited([i]), WORKS))[0] for i in range(len(ROWS))]


def test_each_reference_alone_matches_as_hand_checked() -> None:
    for (wid, how, n), (got_id, got_how, got_n) in zip(EXPECTED, SINGLE, strict=True):
        assert (got_how, got_n) == (how, n)
        assert got_id == wid if wid else got_id.startswith("R:")
    assert SINGLE[3][0] != SINGLE[4][0] != SINGLE[5][0]


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(0, len(ROWS) - 1), min_size=1, max_size=25))
def test_matching_does_not_depend_on_repetition_or_order(idx: list[int]) -> None:
    assert _rows(match_references(_cited(idx), WORKS)) == [SINGLE[i] for i in idx]


RAWS = ["Aria M, 2017, J INFORMETR, V11, P959, DOI 10.1016/j.joi.2017.08.007", "[Anonymous], 2001, NATURE, V1, P2",
        "2003, SCIENCE, V5, P6", "Smith J, 2010, SCIENTOMETRICS, V82, P10, DOI [10.1/a, 10.1/b]", None]


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(0, len(RAWS) - 1), min_size=1, max_size=25))
def test_parsing_repeated_references_equals_parsing_each_alone(idx: list[int]) -> None:
    def table(pos: list[int]) -> pa.Table:
        return pa.table({"citing_id": pa.array([f"WOS:{k:03d}" for k in range(len(pos))], pa.string()),
                         "ordinal": pa.array(range(len(pos)), pa.int32()),
                         "raw": pa.array([RAWS[i] for i in pos], pa.string())})

    many = parse_references(table(idx)).to_pylist()
    alone = [dict(parse_references(table([i])).to_pylist()[0], citing_id=f"WOS:{k:03d}", ordinal=k)
             for k, i in enumerate(idx)]
    assert many == alone
    first = parse_references(table([0])).to_pylist()[0]
    assert (first["first_author"], first["year"], first["source_title"], first["volume"], first["first_page"],
            first["doi"]) == ("Aria M", 2017, "J INFORMETR", "11", "959", "10.1016/j.joi.2017.08.007")
