"""Reading and validating a cohort file (CSV or Excel): one row per programme member."""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from junkan.errors import BadInputError

__all__ = ["COLUMNS", "Cohort", "Problem", "read_cohort"]

#: canonical columns, in output order
COLUMNS = (
    "person_id",
    "orcid",
    "openalex_author_id",
    "name",
    "program",
    "start",
    "end",
    "host_institution",
    "host_country",
    "field",
)

#: accepted spellings (after lower-casing and turning spaces/hyphens into underscores)
_ALIASES = {
    "person": "person_id",
    "id": "person_id",
    "orcid_id": "orcid",
    "author_id": "openalex_author_id",
    "openalex_id": "openalex_author_id",
    "openalex": "openalex_author_id",
    "openalex_author": "openalex_author_id",
    "programme": "program",
    "start_year": "start",
    "end_year": "end",
    "host": "host_institution",
    "institution": "host_institution",
    "country": "host_country",
}

_ORCID_RE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_AUTHOR_RE = re.compile(r"^A\d+$")
_YEAR_MIN, _YEAR_MAX = 1900, 2100


@dataclass(frozen=True)
class Problem:
    """One problem of a cohort file: where (file, 1-based line, field) and what."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        return str(self.error())

    def error(self) -> BadInputError:
        return BadInputError(self.message, file=self.file, line=self.line, field=self.field)


@dataclass
class Cohort:
    """The valid members of a cohort file (``members``, an Arrow table with :data:`COLUMNS` plus ``line``) and
    every problem found (``problems``). Rows with a problem that makes them unusable are left out of ``members``."""

    path: str
    members: pa.Table
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        """Raise :class:`BadInputError` for the first problem (the message counts the others)."""
        if self.problems:
            p = self.problems[0]
            more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
            raise BadInputError(p.message + more, file=p.file, line=p.line, field=p.field)

    def problems_table(self) -> pa.Table:
        return pa.table(
            {
                "file": pa.array([p.file for p in self.problems], pa.string()),
                "line": pa.array([p.line for p in self.problems], pa.int64()),
                "field": pa.array([p.field for p in self.problems], pa.string()),
                "message": pa.array([p.message for p in self.problems], pa.string()),
            }
        )


def _canon(name: str) -> str:
    n = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return _ALIASES.get(n, n)


def orcid_checksum_ok(digits: str) -> bool:
    """ISO 7064 mod 11-2 check of a 16-character ORCID (15 digits + check character)."""
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def normalize_orcid(value: str) -> str | None:
    """``0000-0002-1825-0097`` from any usual spelling (URL prefix, no dashes); ``None`` if not an ORCID."""
    v = value.strip().upper()
    for prefix in ("HTTPS://ORCID.ORG/", "HTTP://ORCID.ORG/", "ORCID.ORG/"):
        if v.startswith(prefix):
            v = v[len(prefix):]
    m = _ORCID_RE.match(v)
    if not m:
        return None
    digits = "".join(m.groups())
    if not orcid_checksum_ok(digits):
        return None
    return "-".join(m.groups())


def normalize_author_id(value: str) -> str | None:
    """Short OpenAlex author id ``A123`` from ``https://openalex.org/A123``/``a123``; ``None`` if malformed."""
    v = value.strip()
    for prefix in ("https://openalex.org/", "http://openalex.org/", "openalex.org/"):
        if v.lower().startswith(prefix):
            v = v[len(prefix):]
    v = v.upper()
    return v if _AUTHOR_RE.match(v) else None


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and ``(line, values)`` rows of a CSV or Excel file (lines 1-based, header = line 1)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            import openpyxl
        except ImportError as exc:  # pragma: no cover - depends on installation
            raise BadInputError("reading Excel files needs openpyxl", file=str(path)) from exc
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            if header is None:
                return [], []
            rows = [(i, list(r)) for i, r in enumerate(it, start=2)]
        finally:
            wb.close()
        return ["" if h is None else str(h) for h in header], rows
    if suffix not in (".csv", ".txt", ".tsv"):
        raise BadInputError(f"unsupported cohort file type {suffix!r}; use .csv, .tsv or .xlsx", file=str(path))
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ",")
        header = next(reader, None)
        if header is None:
            return [], []
        rows = [(reader.line_num, r) for r in reader]
    return header, rows


def _year(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if hasattr(raw, "year") and not isinstance(raw, str):  # date/datetime from Excel
        return int(raw.year)
    s = str(raw).strip()
    m = re.fullmatch(r"(\d{4})(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?(?:\.0)?", s)
    return int(m.group(1)) if m else None


def read_cohort(path: str | os.PathLike[str]) -> Cohort:
    """Read a cohort file and validate every row; problems are collected, not raised.

    Raises :class:`BadInputError` only when the file cannot be used at all (missing, empty, no ``start``/``end``
    column, no id column).
    """
    p = Path(path)
    fname = str(p)
    if not p.is_file():
        raise BadInputError("cohort file not found", file=fname)
    header, rows = _read_rows(p)
    if not header:
        raise BadInputError("the cohort file is empty (no header line)", file=fname, line=1)
    problems: list[Problem] = []
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        c = _canon(h)
        if not c:
            continue
        if c not in COLUMNS:
            problems.append(
                Problem(fname, 1, str(h), f"unknown column {h!r}; known columns: {', '.join(COLUMNS)} (column ignored)")
            )
            continue
        if c in cols:
            problems.append(Problem(fname, 1, str(h), f"column {c!r} appears twice (the first one is used)"))
            continue
        cols[c] = i
    for need in ("start", "end"):
        if need not in cols:
            raise BadInputError(f"missing required column {need!r}", file=fname, line=1, field=need)
    if "orcid" not in cols and "openalex_author_id" not in cols:
        raise BadInputError(
            "the cohort file needs an 'orcid' or 'openalex_author_id' column", file=fname, line=1
        )

    out: dict[str, list[Any]] = {c: [] for c in (*COLUMNS, "line")}
    seen: dict[tuple[str, str], int] = {}
    for line, values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue

        def get(c: str, values: list[Any] = values) -> Any:
            i = cols.get(c)
            if i is None or i >= len(values) or values[i] is None:
                return None
            v = values[i]
            return None if isinstance(v, str) and v.strip() == "" else v

        bad = False
        rec: dict[str, Any] = {}
        for c in ("person_id", "name", "program", "host_institution", "host_country", "field"):
            v = get(c)
            rec[c] = None if v is None else str(v).strip()
        if rec["host_country"] is not None:
            rec["host_country"] = rec["host_country"].upper()
        raw_orcid, raw_aid = get("orcid"), get("openalex_author_id")
        rec["orcid"] = rec["openalex_author_id"] = None
        if raw_orcid is not None:
            rec["orcid"] = normalize_orcid(str(raw_orcid))
            if rec["orcid"] is None:
                problems.append(Problem(fname, line, "orcid", f"{raw_orcid!r} is not a valid ORCID iD (format or check digit)"))
                bad = True
        if raw_aid is not None:
            rec["openalex_author_id"] = normalize_author_id(str(raw_aid))
            if rec["openalex_author_id"] is None:
                problems.append(Problem(fname, line, "openalex_author_id", f"{raw_aid!r} is not an OpenAlex author id (A…)"))
                bad = True
        if raw_orcid is None and raw_aid is None:
            problems.append(Problem(fname, line, None, "no ORCID and no OpenAlex author id: the member cannot be found"))
            bad = True
        for c in ("start", "end"):
            raw = get(c)
            y = None if raw is None else _year(raw)
            if raw is None:
                problems.append(Problem(fname, line, c, f"missing {c} year"))
                bad = True
            elif y is None or not (_YEAR_MIN <= y <= _YEAR_MAX):
                problems.append(Problem(fname, line, c, f"{raw!r} is not a year"))
                bad = True
            rec[c] = y
        if rec["start"] is not None and rec["end"] is not None and rec["end"] < rec["start"]:
            problems.append(Problem(fname, line, "end", f"end {rec['end']} is before start {rec['start']}"))
            bad = True
        if rec["person_id"] is None:
            rec["person_id"] = rec["openalex_author_id"] or rec["orcid"] or f"line{line}"
        for key in ("person_id", "orcid", "openalex_author_id"):
            v = rec[key]
            if v is None:
                continue
            first = seen.get((key, v))
            if first is not None:
                problems.append(Problem(fname, line, key, f"duplicate {key} {v!r} (first on line {first}); row skipped"))
                bad = True
        if bad:
            continue
        for key in ("person_id", "orcid", "openalex_author_id"):
            if rec[key] is not None:
                seen[(key, rec[key])] = line
        for c in COLUMNS:
            out[c].append(rec[c])
        out["line"].append(line)
    schema = pa.schema(
        [(c, pa.int64() if c in ("start", "end") else pa.string()) for c in COLUMNS] + [("line", pa.int64())]
    )
    return Cohort(path=fname, members=pa.table(out, schema=schema), problems=problems)
