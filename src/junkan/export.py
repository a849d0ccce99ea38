"""Write result tables with their provenance: table (terminal), CSV, Parquet, JSON, Excel.

Provenance (store version, content hash, filters, counting method, …) travels with every table:
Parquet key-value metadata ``junkan.provenance``; a ``provenance`` sheet in Excel; a top-level
``provenance`` object in JSON; a sidecar ``<file>.provenance.json`` next to CSV files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from junkan.errors import ConfigError

__all__ = ["FORMATS", "write_table"]

FORMATS = ("table", "csv", "parquet", "json", "xlsx")


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and v != v:  # NaN
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _flat_for_csv(table: pa.Table) -> pa.Table:
    """CSV has no nested types: list and struct columns become JSON text."""
    for i, f in enumerate(table.schema):
        if pa.types.is_nested(f.type):
            text = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(text, pa.string()))
    return table


def write_table(table: pa.Table, path: str | os.PathLike[str], fmt: str, provenance: dict[str, Any]) -> Path:
    """Write ``table`` to ``path`` in ``fmt`` (csv, parquet, json, xlsx) with ``provenance``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    prov = json.dumps(provenance, ensure_ascii=False, default=str)
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "csv":
        pacsv.write_csv(_flat_for_csv(table), tmp)
        Path(f"{out}.provenance.json").write_text(prov + "\n", encoding="utf-8")
    elif fmt == "parquet":
        meta = dict(table.schema.metadata or {})
        meta[b"junkan.provenance"] = prov.encode()
        pq.write_table(table.replace_schema_metadata(meta), tmp, compression="zstd")
    elif fmt == "json":
        rows = [{k: _jsonable(v) for k, v in r.items()} for r in table.to_pylist()]
        tmp.write_text(json.dumps({"provenance": provenance, "data": rows}, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "data"
        ws.append(table.column_names)
        for r in table.to_pylist():
            ws.append([_jsonable(r[c]) if not isinstance(r[c], (list, dict)) else json.dumps(r[c]) for c in table.column_names])
        pws = wb.create_sheet("provenance")
        for k, v in provenance.items():
            pws.append([k, v if isinstance(v, (str, int, float, bool)) or v is None else json.dumps(v, ensure_ascii=False, default=str)])
        wb.save(tmp)
    else:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(f for f in FORMATS if f != 'table')}")
    os.replace(tmp, out)
    return out
