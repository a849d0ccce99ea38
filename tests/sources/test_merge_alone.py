"""The merge's direct path (no base, every record its own work; issue #10) gives the general path's tables and
report, and is taken only when it applies."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest

from junkan.sources import merge as M
from junkan.sources.openalex_csv import read_openalex_csv
from junkan.sources.scopus import read_scopus
from junkan.sources.wos import read_wos

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
READERS = {"wos": read_wos, "scopus": read_scopus, "openalex": read_openalex_csv}


def _rows(t: pa.Table) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in t.to_pylist())  # order-free: the general path's order varies


def _merge(files: list[tuple[str, str]], *, general: bool) -> tuple[dict[str, pa.Table], M.MergeReport, bool]:
    batches = [READERS[kind](DATA / name) for kind, name in files]
    spy = mock.MagicMock(wraps=M._merge_alone)
    with mock.patch.object(M, "_merge_alone", spy):
        if general:
            with mock.patch.object(M, "_each_record_alone", lambda con: False):
                tables, report = M.merge(batches)
        else:
            tables, report = M.merge(batches)
    return tables, report, spy.called


@pytest.mark.parametrize("files, direct", [
    ([("wos", "wos_plain.txt")], True),
    ([("scopus", "scopus_same_author.csv")], True),
    ([("wos", "wos_same_author.txt"), ("openalex", "openalex_web_biblio.csv")], True),
    ([("wos", "wos_plain.txt"), ("wos", "wos_tab.txt")], False),  # the same UTs in two files
])
def test_direct_merge_equals_the_general_merge(files: list[tuple[str, str]], direct: bool) -> None:
    fast, frep, taken = _merge(files, general=False)
    slow, srep, _ = _merge(files, general=True)
    assert taken is direct
    for name in M.TABLES:
        assert fast[name].schema.equals(slow[name].schema), name
        assert _rows(fast[name]) == _rows(slow[name]), name
    assert frep.summary() == srep.summary() and frep.inputs == srep.inputs
    assert frep.matches.schema.equals(srep.matches.schema) and _rows(frep.matches) == _rows(srep.matches)
    if direct:
        assert fast["references"].num_rows and not fast["field_provenance"].num_rows
