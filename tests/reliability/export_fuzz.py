"""Mutated Scopus CSV, Web of Science (plain text and tab-delimited) and OpenAlex web CSV exports, and their oracle.

Seeds are the records the readers keep from the hand-made exports in tests/data/exports; each generated record gets
a new id. Two modes:

- ``structured``: cells (CSV) or field values (WoS plain text) are mutated but the file structure is kept (written
  with :mod:`csv`, tags and ``ER`` lines intact), so the number of records is known: ``read`` must equal it, and
  every unmodified record must be kept;
- ``raw``: bytes are mutated as well (unbalanced quotes, truncation, invalid UTF-8, NUL bytes, stray lines, missing
  ``ER``): only "no crash, read = kept + rejected, every rejection with a reason" can be checked.

A reader may refuse a whole file only with ``BadInputError`` (a file-level problem such as a missing required
column); anything else is a crash.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.reliability.fuzz import _ODD_TEXT

__all__ = ["FORMATS", "ExportFormat", "check_batch", "fuzz_export"]

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    seed: str  #: file in tests/data/exports
    kind: str  #: "csv" or "wos-plain"
    delimiter: str
    id_field: str  #: column (or WoS tag) holding the record id
    make_id: Callable[[int], str]
    work_id: Callable[[str], str]  #: the store's work_id for a generated id
    suffix: str

    def reader(self) -> Callable[[Path], Any]:
        if self.name == "scopus":
            from junkan.sources.scopus import read_scopus

            return read_scopus
        if self.name.startswith("wos"):
            from junkan.sources.wos import read_wos

            return read_wos
        from junkan.sources.openalex_csv import read_openalex_csv

        return read_openalex_csv


FORMATS = {
    "scopus": ExportFormat("scopus", "scopus_current.csv", "csv", ",", "EID", lambda n: f"2-s2.0-{85_000_000_000 + n}",
                           lambda s: s, ".csv"),
    "wos-tab": ExportFormat("wos-tab", "wos_tab.txt", "csv", "\t", "UT", lambda n: f"WOS:{n:015d}", lambda s: s, ".txt"),
    "wos-plain": ExportFormat("wos-plain", "wos_plain.txt", "wos-plain", "", "UT", lambda n: f"WOS:{n:015d}", lambda s: s, ".txt"),
    "openalex-csv": ExportFormat("openalex-csv", "openalex_web.csv", "csv", ",", "id", lambda n: f"https://openalex.org/W{n}",
                                 lambda s: s.rsplit("/", 1)[-1], ".csv"),
}


#: Cell values that crash the readers (left out of generated files while a crash is open). Empty: the two this
#: fuzzer found in issue 11 (a document type made only of separators, "; ; ;", and an integer beyond int64,
#: "99999999999999999999") are fixed, rejected with a reason, and generated again (see test_fuzz_exports.py).
KNOWN_CRASHES: tuple[str, ...] = ()


def _text(rng: random.Random, *, known_crashes: bool = False) -> str:
    while (t := _text1(rng)) in KNOWN_CRASHES and not known_crashes:
        pass
    return t


def _text1(rng: random.Random) -> str:
    return rng.choice([
        "", " ", "NA", "[No author name available]", "=HYPERLINK(\"x\")", "a, b; c", "\"quoted\"", "line\nbreak", "\t",
        "x" * rng.randint(200, 3000), "2-s2.0-", "WOS:", "abc", "-1", "99999999999999999999", "2021", "20x1", "1e3",
        "; ; ;", "((", "[a] b", "Univ Tokyo, Tokyo, Japan.", "US", "../../etc/passwd", "' OR 1=1 --",
        # no NUL: the readers refuse a file holding NUL bytes as binary (BadInputError); raw mode inserts some
        "".join(rng.choice(_ODD_TEXT) for _ in range(rng.randint(1, 5))).encode("utf-8", "replace").decode("utf-8").replace("\x00", ""),
    ])


@lru_cache(maxsize=None)
def _csv_seed(name: str) -> tuple[list[str], tuple[tuple[str, ...], ...], str]:
    fmt = FORMATS[name]
    raw = (DATA / fmt.seed).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=fmt.delimiter))
    header, body = rows[0], rows[1:]
    kept = set(fmt.reader()(DATA / fmt.seed).tables["works"]["work_id"].to_pylist())
    col = header.index(fmt.id_field)
    good = tuple(tuple(r) for r in body if len(r) == len(header) and fmt.work_id(r[col]) in kept)
    assert good, name
    return header, good, ("\ufeff" if (DATA / fmt.seed).read_bytes().startswith(b"\xef\xbb\xbf") else "")


@lru_cache(maxsize=None)
def _wos_seed() -> tuple[tuple[str, ...], ...]:
    fmt = FORMATS["wos-plain"]
    kept = set(fmt.reader()(DATA / fmt.seed).tables["works"]["work_id"].to_pylist())
    records, cur = [], []
    for line in (DATA / fmt.seed).read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("PT "):
            cur = [line]
        elif line == "ER":
            ut = next((x[3:] for x in cur if x.startswith("UT ")), None)
            if ut in kept:
                records.append(tuple(cur))
            cur = []
        elif cur:
            cur.append(line)
    assert records
    return tuple(records)


def _raw_mutation(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randrange(len(b) + 1)
        if op < 0.3:
            b[pos:pos] = rng.choice([b'"', b"\x00", b"\xff\xfe", b"\r", b"\n", b"ER\n", b"PT J\n", b"\t", b",", b"\xc3"])
        elif op < 0.5 and len(b) > 10:
            del b[pos:pos + rng.randint(1, 40)]
        elif op < 0.6:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 30)))
        elif op < 0.7:
            del b[rng.randrange(len(b) // 2, len(b)):]  # truncated file
    return bytes(b)


def fuzz_export(fmt: ExportFormat, rng: random.Random, n: int, *, raw: bool = False, start_id: int = 1) -> tuple[bytes, list[tuple[str, str | None]]]:
    """An export of ``n`` records: (file bytes, [(kind, expected work_id of an unmodified record or None)])."""
    expect: list[tuple[str, str | None]] = []
    if fmt.kind == "csv":
        header, good, bom = _csv_seed(fmt.name)
        col = header.index(fmt.id_field)
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=fmt.delimiter, quoting=csv.QUOTE_ALL if fmt.delimiter == "," else csv.QUOTE_MINIMAL,
                       lineterminator="\n")
        w.writerow(header)
        for k in range(n):
            row = list(rng.choice(good))
            rid = fmt.make_id(start_id + k)
            row[col] = rid
            kind = rng.choice(["ok", "ok", "ok", "cell", "cell", "cells", "blank", "id", "short", "long"])
            if kind == "cell":
                row[rng.randrange(len(row))] = _text(rng)
            elif kind == "cells":
                for _ in range(rng.randint(2, 8)):
                    row[rng.randrange(len(row))] = _text(rng)
            elif kind == "blank":
                row[rng.randrange(len(row))] = ""
            elif kind == "id":
                row[col] = rng.choice(["", "85100000004", rid + "x", " " + rid, _text(rng)])
            elif kind == "short":
                row = row[: rng.randrange(1, len(row))]
            elif kind == "long":
                row = row + [_text(rng) for _ in range(rng.randint(1, 3))]
            if fmt.delimiter == "\t":  # the tab-delimited format has no quoting: a tab or newline in a cell splits it
                row = [c.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace('"', "'") for c in row]
            w.writerow(row)
            expect.append((kind, fmt.work_id(rid) if kind == "ok" else None))
        data = (bom + buf.getvalue()).encode("utf-8")
    else:
        lines = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
        for k in range(n):
            rec = list(rng.choice(_wos_seed()))
            rid = fmt.make_id(start_id + k)
            rec = [f"UT {rid}" if x.startswith("UT ") else x for x in rec]
            kind = rng.choice(["ok", "ok", "ok", "value", "values", "drop", "id", "cont"])
            if kind in ("value", "values"):
                for _ in range(1 if kind == "value" else rng.randint(2, 6)):
                    i = rng.randrange(1, len(rec))
                    tag = rec[i][:3] if rec[i][:2].strip() and rec[i][2:3] == " " else "   "
                    rec[i] = tag + _text(rng).replace("\n", " ").replace("\r", " ")
            elif kind == "drop":
                del rec[rng.randrange(1, len(rec))]
            elif kind == "id":
                i = next(i for i, x in enumerate(rec) if x.startswith("UT "))
                rec[i] = "UT " + rng.choice(["", "000600000000001", rid + "x", _text(rng).replace("\n", " ")])
            elif kind == "cont":  # a stray continuation line
                rec.insert(rng.randrange(1, len(rec)), "   " + _text(rng).replace("\n", " "))
            lines += [*rec, "ER", ""]
            expect.append((kind, fmt.work_id(rid) if kind == "ok" else None))
        lines.append("EF")
        data = ("\n".join(lines) + "\n").encode("utf-8")
    if raw:
        data = _raw_mutation(rng, data)
    return data, expect


def check_batch(batch: Any, path: Path, expect: list[tuple[str, str | None]] | None) -> list[str]:
    """Violations of exact accounting (and, when ``expect`` is given, of the known outcomes)."""
    bad = []
    kept = batch.tables["works"].num_rows
    if batch.read != kept + batch.rejected.num_rows:
        bad.append(f"read {batch.read} != kept {kept} + rejected {batch.rejected.num_rows}")
    rej = batch.rejected.to_pylist()
    if any(not r["reason"] for r in rej):
        bad.append("a rejected record has no reason")
    if any(Path(r["file"]).name != path.name for r in rej):
        bad.append("a rejected record names another file")
    ids = batch.tables["works"]["work_id"].to_pylist()
    if len(ids) != len(set(ids)):
        bad.append("a work id is kept twice")
    if expect is None:
        return bad
    if batch.read != len(expect):
        bad.append(f"read {batch.read} != records written {len(expect)}")
    keptset = set(ids)
    missing = [wid for kind, wid in expect if kind == "ok" and wid not in keptset]
    if missing:
        bad.append(f"{len(missing)} unmodified records not kept, e.g. {missing[:3]}")
    return bad
