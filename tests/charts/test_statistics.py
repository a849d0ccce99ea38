"""Official statistics: import with metadata, rejected rows with file/line/field, bad files, the MPIDR dataset."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError, ConfigError
from junkan.reports.statistics import (
    import_statistics,
    list_statistics,
    load_statistics,
    metadata_of,
    mpidr_dataset,
)
from tests.charts.world import EXCHANGE_CSV

META = {"title": "Researchers sent abroad", "unit": "researchers", "source": "MEXT survey 2023 (fixture)",
        "licence": "CC BY 4.0"}


def test_import_keeps_metadata_and_rejects_bad_rows(tmp_path: Path) -> None:
    f = tmp_path / "exchange.csv"
    f.write_text(EXCHANGE_CSV, encoding="utf-8")
    res = import_statistics(f, tmp_path / "store", **META)
    assert res.dataset == "exchange" and res.path == tmp_path / "store" / "statistics" / "exchange.parquet"
    t = load_statistics(tmp_path / "store", "exchange")
    assert t.to_pylist() == [
        {"dataset": "exchange", **META, "country": "JP", "year": y, "series": s, "value": v}
        for y, s, v in ((2019, "long-term", 200.0), (2021, "long-term", 150.0), (2019, "short-term", 1000.0),
                        (2020, "short-term", 1250.0))
    ]
    meta = metadata_of(t)
    assert {k: meta[k] for k in META} == META and meta["counts"] == {"read": 6, "kept": 4, "rejected": 2}
    assert len(meta["input"]["sha256"]) == 64
    rej = pq.read_table(tmp_path / "store" / "statistics" / "exchange.rejected.parquet").to_pylist()
    assert [(r["line"], r["field"]) for r in rej] == [(5, "country"), (6, "value")]
    assert rej[0]["file"] == str(f) and "J1" in rej[0]["reason"] and "abc" in rej[1]["reason"]
    listing = list_statistics(tmp_path / "store").to_pylist()
    assert [r["dataset"] for r in listing] == ["mpidr", "exchange"] and listing[1]["rejected"] == 2


def test_strict_and_bad_files_name_file_line_field(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(EXCHANGE_CSV, encoding="utf-8")
    with pytest.raises(BadInputError) as e:
        import_statistics(f, tmp_path / "s", strict=True, **META)
    assert (e.value.file, e.value.line, e.value.field) == (str(f), 5, "country")
    g = tmp_path / "nov.csv"
    g.write_text("country,year,amount\nJP,2020,1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="no value column 'value'") as e:
        import_statistics(g, tmp_path / "s", **META)
    assert (e.value.line, e.value.field) == (1, "value")
    h = tmp_path / "allbad.csv"
    h.write_text("country,year,value\nJP,twenty,1\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="no usable row.*line 2, field 'year'"):
        import_statistics(h, tmp_path / "s", **META)
    with pytest.raises(ConfigError, match="licence"):
        import_statistics(f, tmp_path / "s", **{**META, "licence": " "})
    with pytest.raises(BadInputError, match="file not found"):
        import_statistics(tmp_path / "missing.csv", tmp_path / "s", **META)


def test_xlsx_national_series_without_country_column(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["年度", "派遣研究者数"])
    ws.append([2018, 180000])
    ws.append([2022, 110000])
    wb.save(tmp_path / "haken.xlsx")
    res = import_statistics(tmp_path / "haken.xlsx", tmp_path / "s", dataset="haken", year_col="年度",
                            value_col="派遣研究者数", country="JP", **META)
    assert [(r["country"], r["year"], r["value"]) for r in res.table.to_pylist()] == [("JP", 2018, 180000.0),
                                                                                      ("JP", 2022, 110000.0)]


def test_mpidr_dataset_keeps_namibia_and_values() -> None:
    t = mpidr_dataset()
    assert "NA" in set(t["country"].to_pylist())  # "NA" is Namibia, not a missing value
    jp = {(r["year"], r["series"]): r["value"] for r in t.to_pylist() if r["country"] == "JP"}
    import csv
    from importlib import resources

    with (resources.files("junkan") / "data" / "mpidr" / "country_year.csv").open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["iso2"] == "JP" and r["year"] == "2010")
    assert jp[(2010, "out-migration rate (Scopus)")] == float(row["scopus_out_rate"])
    assert metadata_of(t)["licence"] == "CC BY 4.0"


_cells = st.one_of(st.sampled_from(["JP", "US", "WLD", "jp", "J1", "", "Japan"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_cells, st.one_of(st.integers(1990, 2030), st.sampled_from(["x", "", "2020.5"])),
                               st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["n/a", "", "1,5"]))),
                     min_size=1, max_size=25))
def test_read_is_kept_plus_rejected(tmp_path: Path, rows: list) -> None:
    f = tmp_path / "h.csv"
    f.write_text("country,year,value\n" + "".join(f"{c},{y},\"{v}\"\n" for c, y, v in rows), encoding="utf-8")
    try:
        res = import_statistics(f, tmp_path / "s", **META)
    except BadInputError as e:
        assert "no usable row" in str(e)
        return
    c = res.metadata["counts"]
    records = [r for r in rows if any(str(x).strip() for x in r)]  # a line of empty cells is a blank line, not a record
    assert c["read"] == len(records) == c["kept"] + c["rejected"] == res.table.num_rows + res.rejected.num_rows
    keys = [(r["country"], r["year"]) for r in res.table.to_pylist()]
    assert len(keys) == len(set(keys))  # duplicates are rejected, never kept twice
    assert all(len(k[0]) == 2 or k[0] == "WLD" for k in keys)
