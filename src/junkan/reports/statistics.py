"""Official statistics next to the bibliometric indicators (briefing p6-8): exchange surveys, OECD tables,
the MPIDR aggregates.

A dataset is a long table ``dataset, title, unit, source, licence, country, year, series, value`` kept in
``STORE/statistics/DATASET.parquet`` (beside the store's versions, not inside one: importing a statistics table
does not republish 150k works, and official statistics do not change with the bibliographic data). The metadata
(title, unit, source, licence, input file with SHA-256, read/kept/rejected counts) is also in the Parquet schema
metadata (key ``junkan.statistics``). Rejected rows are kept in ``DATASET.rejected.parquet`` with file, line, field
and reason, so that read = kept + rejected.

The input is CSV or Excel (.xlsx) in long form: one row per (country, year[, series]) with a numeric value.
Column names are chosen with ``country_col``, ``year_col``, ``value_col`` and ``series_col``; a file without a
country column is a national series of ``country`` (default JP).

The MPIDR Scholarly Migration Database aggregates shipped with junkan are the ready dataset ``mpidr``
(:func:`mpidr_dataset`); it needs no import.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from junkan.errors import BadInputError, ConfigError
from junkan.store import file_sha256

__all__ = [
    "COLUMNS",
    "StatisticsImport",
    "import_statistics",
    "list_statistics",
    "load_statistics",
    "mpidr_dataset",
    "statistics_dir",
]

logger = logging.getLogger(__name__)

SCHEMA = pa.schema([
    ("dataset", pa.string()), ("title", pa.string()), ("unit", pa.string()), ("source", pa.string()),
    ("licence", pa.string()), ("country", pa.string()), ("year", pa.int32()), ("series", pa.string()),
    ("value", pa.float64()),
])
COLUMNS = tuple(SCHEMA.names)
REJECTED = pa.schema([("file", pa.string()), ("line", pa.int64()), ("field", pa.string()), ("reason", pa.string()),
                      ("raw", pa.string())])
_META_KEY = b"junkan.statistics"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MPIDR = "mpidr"


@dataclass(frozen=True)
class StatisticsImport:
    """The result of an import: the dataset table (with metadata) and the rejected rows."""

    dataset: str
    path: Path
    table: pa.Table
    rejected: pa.Table
    metadata: dict[str, Any]


def statistics_dir(store: str | os.PathLike[str]) -> Path:
    """``STORE/statistics`` (created on import)."""
    return Path(store) / "statistics"


def _read_rows(path: Path, sheet: str | None) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and (line number, cells) of a CSV or .xlsx file; line 1 is the header."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise BadInputError(f"not a readable Excel workbook ({exc})", file=str(path)) from exc
        if sheet is not None and sheet not in wb.sheetnames:
            raise BadInputError(f"no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}", file=str(path))
        ws = wb[sheet] if sheet else wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            raise BadInputError("the sheet is empty", file=str(path))
        body = [(i, list(r)) for i, r in enumerate(it, start=2) if any(c is not None and str(c).strip() for c in r)]
        wb.close()
        return [str(h).strip() if h is not None else "" for h in header], body
    if suffix not in (".csv", ".tsv", ".txt"):
        raise BadInputError("unsupported file type: give a .csv, .tsv or .xlsx file", file=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"not UTF-8 text (byte {exc.start})", file=str(path)) from exc
    delim = "\t" if suffix == ".tsv" else ","
    reader = csv.reader(text.splitlines(), delimiter=delim)
    header = next(reader, None)
    if not header:
        raise BadInputError("the file is empty", file=str(path), line=1)
    body = [(i, r) for i, r in enumerate(reader, start=2) if any(c.strip() for c in r)]
    return [h.strip() for h in header], body


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().replace(",", "").replace("\u00a0", "")
    if s.endswith("%"):
        s = s[:-1]
    try:
        f = float(s)
    except ValueError:
        return None
    return f if f == f and f not in (float("inf"), float("-inf")) else None


def _year(v: Any) -> int | None:
    f = _number(v)
    if f is None or f != int(f) or not 1800 <= f <= 2200:
        return None
    return int(f)


def import_statistics(
    path: str | os.PathLike[str],
    store: str | os.PathLike[str],
    *,
    title: str,
    unit: str,
    source: str,
    licence: str,
    dataset: str | None = None,
    country_col: str = "country",
    year_col: str = "year",
    value_col: str = "value",
    series_col: str | None = "series",
    country: str = "JP",
    sheet: str | None = None,
    strict: bool = False,
) -> StatisticsImport:
    """Import a CSV/Excel table of official statistics into ``STORE/statistics`` with its metadata.

    Each row needs a year (integer) and a numeric value (``1,234``, ``12.5%`` accepted); the country is an ISO
    alpha-2 code (``WLD`` for the world). A row that fails is rejected with file, line, field and reason (or,
    with ``strict``, raises :class:`BadInputError` naming them). A missing column, an empty file or a file with no
    usable row raises :class:`BadInputError`. Re-importing a dataset replaces it.
    """
    src = Path(path)
    if not src.is_file():
        raise BadInputError("file not found", file=str(src))
    for name, v in (("title", title), ("unit", unit), ("source", source), ("licence", licence)):
        if not v or not str(v).strip():
            raise ConfigError(f"--{name} is required: every statistics table states its {name}")
    name = dataset or re.sub(r"[^a-z0-9_-]+", "-", src.stem.lower()).strip("-")
    if not _NAME.match(name or "") or name == MPIDR:
        raise ConfigError(f"dataset name {name!r}: use lower-case letters, digits, '-' or '_' (not {MPIDR!r})")
    header, body = _read_rows(src, sheet)
    idx = {h.lower(): i for i, h in enumerate(header)}
    need = [("year", year_col), ("value", value_col)]
    for role, col in need:
        if col.lower() not in idx:
            raise BadInputError(f"no {role} column {col!r}; columns are: {', '.join(header)}", file=str(src), line=1,
                                field=col)
    ci = idx.get(country_col.lower())
    si = idx.get(series_col.lower()) if series_col else None
    if series_col and si is None and series_col != "series":
        raise BadInputError(f"no series column {series_col!r}; columns are: {', '.join(header)}", file=str(src),
                            line=1, field=series_col)
    yi, vi = idx[year_col.lower()], idx[value_col.lower()]
    default_country = country.strip().upper()
    kept: dict[str, list[Any]] = {c: [] for c in ("country", "year", "series", "value")}
    rejected: list[dict[str, Any]] = []
    seen: dict[tuple[str, int, str], int] = {}

    def cell(r: list[Any], i: int | None) -> Any:
        return r[i] if i is not None and i < len(r) else None

    for line, r in body:
        problem: tuple[str, str] | None = None
        c = cell(r, ci)
        c = default_country if ci is None else ("" if c is None else str(c).strip().upper())
        y = _year(cell(r, yi))
        v = _number(cell(r, vi))
        s = cell(r, si)
        s = "" if s is None else str(s).strip()
        if not (len(c) == 2 and c.isalpha()) and c != "WLD":
            problem = (country_col, f"country {c!r} is not an ISO alpha-2 code (or WLD)")
        elif y is None:
            problem = (year_col, f"year {cell(r, yi)!r} is not a year")
        elif v is None:
            problem = (value_col, f"value {cell(r, vi)!r} is not a number")
        elif (c, y, s) in seen:
            problem = (year_col, f"duplicate row for ({c}, {y}, {s or '-'}); first on line {seen[(c, y, s)]}")
        if problem:
            if strict:
                raise BadInputError(problem[1], file=str(src), line=line, field=problem[0])
            rejected.append({"file": str(src), "line": line, "field": problem[0], "reason": problem[1],
                             "raw": json.dumps([None if x is None else str(x) for x in r], ensure_ascii=False)})
            continue
        seen[(c, y, s)] = line
        kept["country"].append(c)
        kept["year"].append(y)
        kept["series"].append(s or None)
        kept["value"].append(v)
    n = len(kept["year"])
    if n == 0:
        first = f" (first problem: line {rejected[0]['line']}, field {rejected[0]['field']!r}: {rejected[0]['reason']})" if rejected else ""
        raise BadInputError(f"no usable row{first}", file=str(src))
    meta = {"dataset": name, "title": title, "unit": unit, "source": source, "licence": licence,
            "input": {"path": str(src.resolve()), "sha256": file_sha256(src), "sheet": sheet},
            "columns": {"country": country_col if ci is not None else None, "year": year_col, "value": value_col,
                        "series": series_col if si is not None else None},
            "default_country": default_country if ci is None else None,
            "counts": {"read": len(body), "kept": n, "rejected": len(rejected)},
            "imported": datetime.now(UTC).isoformat(timespec="seconds")}
    table = pa.table({
        "dataset": [name] * n, "title": [title] * n, "unit": [unit] * n, "source": [source] * n, "licence": [licence] * n,
        "country": kept["country"], "year": kept["year"], "series": kept["series"], "value": kept["value"],
    }, schema=SCHEMA)
    table = table.sort_by([("country", "ascending"), ("series", "ascending"), ("year", "ascending")])
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta, ensure_ascii=False).encode()})
    rej = pa.Table.from_pylist(rejected, schema=REJECTED)
    out_dir = statistics_dir(store)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{name}.parquet"
    for t, p in ((rej, out_dir / f"{name}.rejected.parquet"), (table, out)):
        tmp = p.with_name(f".{p.name}.tmp")
        pq.write_table(t, tmp)
        os.replace(tmp, p)
    logger.info("statistics %s: %d rows kept, %d rejected (%s)", name, n, len(rejected), src)
    return StatisticsImport(dataset=name, path=out, table=table, rejected=rej, metadata=meta)


def metadata_of(table: pa.Table) -> dict[str, Any]:
    raw = (table.schema.metadata or {}).get(_META_KEY)
    return json.loads(raw) if raw else {}


def load_statistics(store: str | os.PathLike[str] | None, dataset: str) -> pa.Table:
    """The dataset table (metadata in the schema, see :func:`metadata_of`); ``mpidr`` is always available."""
    if dataset == MPIDR:
        return mpidr_dataset()
    if store is None:
        raise ConfigError(f"dataset {dataset!r}: no store given")
    p = statistics_dir(store) / f"{dataset}.parquet"
    if not p.is_file():
        have = [d["dataset"] for d in list_statistics(store).to_pylist()]
        raise ConfigError(f"no statistics dataset {dataset!r} in {store}. Hint: datasets are {', '.join(have)}")
    return pq.read_table(p)


def list_statistics(store: str | os.PathLike[str] | None) -> pa.Table:
    """One row per dataset (the shipped ``mpidr`` first): dataset, title, unit, source, licence, rows, rejected."""
    out = []
    m = metadata_of(mpidr_dataset())
    out.append({**{k: m[k] for k in ("dataset", "title", "unit", "source", "licence")},
                "rows": m["counts"]["kept"], "rejected": 0, "builtin": True})
    d = statistics_dir(store) if store is not None else None
    if d is not None and d.is_dir():
        for p in sorted(d.glob("*.parquet")):
            if p.name.endswith(".rejected.parquet"):
                continue
            meta = metadata_of(pq.read_table(p))
            if not meta:
                continue
            out.append({**{k: meta[k] for k in ("dataset", "title", "unit", "source", "licence")},
                        "rows": meta["counts"]["kept"], "rejected": meta["counts"]["rejected"], "builtin": False})
    return pa.Table.from_pylist(out)


_MPIDR_CACHE: list[pa.Table] = []
_MPIDR_SERIES = {
    "scopus_out_rate": "out-migration rate (Scopus)", "scopus_in_rate": "in-migration rate (Scopus)",
    "openalex_out_rate": "out-migration rate (OpenAlex)", "openalex_in_rate": "in-migration rate (OpenAlex)",
}


def mpidr_dataset() -> pa.Table:
    """The shipped MPIDR country-year aggregates as a statistics dataset (series = database and direction)."""
    if _MPIDR_CACHE:
        return _MPIDR_CACHE[0]
    folder = resources.files("junkan") / "data" / "mpidr"
    rows: dict[str, list[Any]] = {c: [] for c in ("country", "year", "series", "value")}
    with (folder / "country_year.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):  # the csv module keeps "NA" (Namibia) as text
            for col, series in _MPIDR_SERIES.items():
                if r[col] != "":
                    rows["country"].append(r["iso2"])
                    rows["year"].append(int(r["year"]))
                    rows["series"].append(series)
                    rows["value"].append(float(r[col]))
    n = len(rows["year"])
    title = "Scholarly migration rates (MPIDR Scholarly Migration Database)"
    source = ("MPIDR Scholarly Migration Database: Akbaritabar, Theile & Zagheni (2023), doi:10.4054/MPIDR-WP-2023-018; "
              "data doi:10.5281/zenodo.11145735 (reduced table shipped with junkan)")
    meta = {"dataset": MPIDR, "title": title, "unit": "share of the padded researcher population per year",
            "source": source, "licence": "CC BY 4.0", "input": {"path": "junkan/data/mpidr/country_year.csv"},
            "counts": {"read": n, "kept": n, "rejected": 0}}
    t = pa.table({"dataset": [MPIDR] * n, "title": [title] * n, "unit": [meta["unit"]] * n, "source": [source] * n,
                  "licence": ["CC BY 4.0"] * n, **rows}, schema=SCHEMA)
    t = t.replace_schema_metadata({_META_KEY: json.dumps(meta, ensure_ascii=False).encode()})
    _MPIDR_CACHE.append(t)
    return t
