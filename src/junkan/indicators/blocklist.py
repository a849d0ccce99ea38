"""The dataesr affiliation-country blocklist (METHODS §0.3, [DATAESR]).

`dataesr/openalex-affiliation-country <https://github.com/dataesr/openalex-affiliation-country>`_ (MIT licence)
lists raw affiliation strings of OpenAlex works whose institution-derived country is probably wrong
(``mismatch_country_code.csv``: "ANDRA, Ci2A, Soulaines-Dhuys, France" in W2802150657 matched to an Australian
drag-racing association, country AU, where dataesr finds FR). Each row has

``raw_affiliation_string; openalex_work_id; openalex_country; openalex_display_name; matched_country``

The published file is a semicolon-separated CSV with a header line (METHODS names ``mismatch_country_*.jsonl``;
the repository holds CSV). Both are read: ``.csv`` files in that layout and ``.jsonl`` files with one object per
line carrying the same keys. A folder stands for its ``mismatch_country_*.csv`` / ``mismatch_country_*.jsonl``
files.

**What a row removes.** At the authorships of ``openalex_work_id`` that list ``raw_affiliation_string`` (compared
after collapsing runs of spaces, tabs and line breaks and trimming), every affiliation unit of country ``openalex_country`` (after the
country map) — except institutions whose display name is known and is none of the row's ``openalex_display_name``
(dataesr joins several with ``;``), so a second, genuine affiliation in the same country survives when the row
names the wrong institution. Rows whose two
countries coincide after the country map (``CN`` vs ``HK`` under the ``nistep``/``cwts`` presets) remove nothing:
under that map the assignment is not wrong. The removal happens before ``C(p)`` and before every counting method
(all of them read :meth:`junkan.indicators._scope.Scope.units`); nothing is added (dataesr's ``matched_country``
is itself an automatic guess).

**Validation.** A file that cannot be read, is not UTF-8, or lacks a required header column raises
:class:`BadInputError` (file, line, field). A bad line (wrong number of fields, invalid JSON, an empty raw string, a
work id that is not ``W…``, a country that is not two letters) is rejected with its reason and counted; the
provenance records every file's SHA-256 and its ``read = kept + rejected`` counts.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from junkan.errors import BadInputError, ConfigError
from junkan.store import file_sha256

__all__ = ["COLUMNS", "Blocklist", "BlocklistFile", "apply_blocklist", "blocked_units", "load_blocklist", "normalize_raw"]

#: Columns of a dataesr mismatch file (``openalex_display_name`` may be empty).
COLUMNS = ("raw_affiliation_string", "openalex_work_id", "openalex_country", "openalex_display_name", "matched_country")
_REQUIRED = ("raw_affiliation_string", "openalex_work_id", "openalex_country", "matched_country")
_WORK_ID = re.compile(r"^(?:https?://openalex\.org/)?(W[0-9]+)$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_WS = re.compile(r"[ \t\n\r]+")
_GLOBS = ("mismatch_country_*.csv", "mismatch_country_*.jsonl")


def normalize_raw(s: str) -> str:
    """Raw affiliation string as compared: runs of spaces, tabs, CR and LF → one space, trimmed (the engine does the
    same; form feed and vertical tab are left alone because Spark SQL reads their escapes as the letters f and v)."""
    return _WS.sub(" ", s).strip(" ")


def _normalize_expr(col: ir.StringValue) -> ir.StringValue:
    # not .strip(): Ibis renders it for Spark as TRIM(' \t\n\r\v\f' FROM …), and Spark reads \v and \f as v and f
    return col.re_replace("[ \t\n\r]+", " ").re_replace("^ | $", "")


@dataclass(frozen=True)
class BlocklistFile:
    """One blocklist file as read: path, SHA-256, ``read = kept + rejected`` lines and the rejected lines' reasons."""

    path: str
    sha256: str
    read: int
    kept: int
    rejected: int
    errors: tuple[tuple[int, str, str], ...] = ()  #: (line, field, reason) of every rejected line

    def provenance(self) -> dict[str, Any]:
        return {"file": self.path, "sha256": self.sha256, "read": self.read, "kept": self.kept,
                "rejected": self.rejected,
                "first_errors": [{"line": ln, "field": f, "reason": r} for ln, f, r in self.errors[:5]]}


@dataclass(frozen=True)
class Blocklist:
    """The rows of one or several blocklist files (duplicates removed), ready for the engine."""

    files: tuple[BlocklistFile, ...]
    rows: tuple[tuple[str, str, str, str | None, str], ...]  #: (work_id, raw normalised, country, name, matched)

    def provenance(self) -> dict[str, Any]:
        return {"files": [f.provenance() for f in self.files], "rows": len(self.rows),
                "read": sum(f.read for f in self.files), "kept": sum(f.kept for f in self.files),
                "rejected": sum(f.rejected for f in self.files)}

    def arrow(self) -> pa.Table:
        cols = list(zip(*self.rows, strict=True)) if self.rows else [()] * 5
        return pa.table({n: pa.array(list(c), pa.string()) for n, c in
                         zip(("work_id", "raw", "country", "display_name", "matched"), cols, strict=True)})

    def table(self) -> ir.Table:
        """The rows as an in-memory Ibis table (one per blocklist object, so plans can reuse it)."""
        if "_table" not in self.__dict__:  # not a field: asdict() and equality ignore it
            object.__setattr__(self, "_table", ibis.memtable(self.arrow()))
        return self.__dict__["_table"]


def _files_of(paths: Any) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted({f for g in _GLOBS for f in path.glob(g) if f.is_file()})
            if not found:
                raise ConfigError(f"country_blocklist {path}: the folder has no mismatch_country_*.csv or "
                                  "mismatch_country_*.jsonl file")
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise ConfigError(f"country_blocklist {path}: no such file or folder")
    if not out:
        raise ConfigError("country_blocklist: no file given")
    return out


def _check(rec: dict[str, Any]) -> tuple[str, str] | tuple[list[tuple[str, str, str, str | None, str]], None]:
    """The validated row (one per display name: dataesr joins an authorship's institutions with ';'), or
    (field, reason)."""
    for k in _REQUIRED:
        v = rec.get(k)
        if v is None or (isinstance(v, str) and not v.strip()):
            return k, "missing value"
        if not isinstance(v, str):
            return k, f"expected a string, got {type(v).__name__}"
    raw = normalize_raw(rec["raw_affiliation_string"])
    m = _WORK_ID.match(rec["openalex_work_id"].strip())
    if not m:
        return "openalex_work_id", f"{rec['openalex_work_id'][:60]!r} is not an OpenAlex work id (W…)"
    for k in ("openalex_country", "matched_country"):
        if not _COUNTRY.match(rec[k].strip()):
            return k, f"{rec[k][:20]!r} is not an ISO 3166-1 alpha-2 code"
    name = rec.get("openalex_display_name")
    if name is not None and not isinstance(name, str):
        return "openalex_display_name", f"expected a string, got {type(name).__name__}"
    names = [n.strip() for n in (name or "").split(";") if n.strip()] or [None]
    wid, cc, mc = m.group(1).upper(), rec["openalex_country"].strip().upper(), rec["matched_country"].strip().upper()
    return [(wid, raw, cc, n, mc) for n in names], None


def _read_file(path: Path) -> tuple[BlocklistFile, list[tuple[str, str, str, str | None, str]]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadInputError(f"cannot read the blocklist: {e.strerror or e}", file=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise BadInputError(f"not UTF-8 text (byte {e.start})", file=str(path), line=line) from None
    rows: list[tuple[str, str, str, str | None, str]] = []
    errors: list[tuple[int, str, str]] = []
    read = 0
    if path.suffix.lower() == ".jsonl":
        for ln, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            read += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append((ln, "", f"invalid JSON: {e.msg}"))
                continue
            if not isinstance(rec, dict):
                errors.append((ln, "", "a line must be a JSON object"))
                continue
            row, bad = _check(rec)
            if bad is None:
                rows += row  # type: ignore[arg-type]
            else:
                errors.append((ln, row, bad))  # type: ignore[arg-type]
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
        try:
            header = next(reader)
        except StopIteration:
            raise BadInputError("empty file: expected a header line " + ";".join(COLUMNS), file=str(path), line=1) from None
        header = [h.strip() for h in header]
        for k in _REQUIRED:
            if k not in header:
                raise BadInputError(f"the header lacks column {k!r} (expected {';'.join(COLUMNS)}, separated by ';')",
                                    file=str(path), line=1, field=k)
        try:
            for rec_fields in reader:
                ln = reader.line_num
                if not any(f.strip() for f in rec_fields):
                    continue
                read += 1
                if len(rec_fields) != len(header):
                    errors.append((ln, "", f"{len(rec_fields)} fields, the header has {len(header)}"))
                    continue
                row, bad = _check(dict(zip(header, rec_fields, strict=True)))
                if bad is None:
                    rows += row  # type: ignore[arg-type]
                else:
                    errors.append((ln, row, bad))  # type: ignore[arg-type]
        except csv.Error as e:
            raise BadInputError(f"malformed CSV: {e}", file=str(path), line=reader.line_num) from None
    info = BlocklistFile(str(path), file_sha256(path), read, read - len(errors), len(errors), tuple(errors))
    return info, rows


@functools.lru_cache(maxsize=16)
def _load(files: tuple[tuple[str, int, int], ...]) -> Blocklist:
    infos, rows = [], []
    for path, _mtime, _size in files:
        info, r = _read_file(Path(path))
        infos.append(info)
        rows += r
    return Blocklist(tuple(infos), tuple(sorted(set(rows), key=lambda r: (r[0], r[1], r[2], r[3] or "", r[4]))))


def load_blocklist(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Blocklist) -> Blocklist:
    """Read one or several blocklist files (or folders of ``mismatch_country_*`` files); cached per file state."""
    if isinstance(paths, Blocklist):
        return paths
    files = _files_of(paths)
    key = tuple((str(f.resolve()), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _load(key)


def blocked_units(units: ir.Table, t: Any, blocklist: Blocklist, country_map: dict[str, str]) -> ir.Table:
    """``work_id, author_position, unit_id`` of the affiliation units ``blocklist`` removes (see module doc)."""
    from junkan.indicators.base import _map_country

    bl = blocklist.table()
    bl = bl.mutate(country=_map_country(bl.country, country_map), matched=_map_country(bl.matched, country_map))
    bl = bl.filter(bl.country != bl.matched)
    a = t.authorships.semi_join(bl.select("work_id"), "work_id")
    raw = a.select("work_id", "author_position", raw=a.raw_affiliation_strings.unnest())
    raw = raw.mutate(raw=_normalize_expr(raw.raw)).distinct()
    hit = raw.join(bl, ["work_id", "raw"]).select("work_id", "author_position", "country", "display_name")
    hit = hit.distinct()
    u = units.semi_join(bl.select("work_id"), "work_id")
    j = u.join(hit, ["work_id", "author_position", "country"])
    inst = t.institutions.select(_iid="institution_id", _name="display_name")
    j = j.left_join(inst, j.unit_id == ibis.literal("I:") + inst._iid)
    keep_other = j.unit_id.startswith("I:") & j._name.notnull() & j.display_name.notnull() & (j._name != j.display_name)
    return j.filter(~keep_other).select("work_id", "author_position", "unit_id").distinct()


def apply_blocklist(units: ir.Table, t: Any, blocklist: Blocklist | None, country_map: dict[str, str]) -> ir.Table:
    """``units`` without the units ``blocklist`` removes; ``units`` itself when there is no blocklist."""
    if blocklist is None or not blocklist.rows:
        return units
    return units.anti_join(blocked_units(units, t, blocklist, country_map), ["work_id", "author_position", "unit_id"])
