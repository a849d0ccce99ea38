"""Mutated OpenAlex records with known expected outcomes, and the accounting oracle that checks an ingest.

Shared by the CI tests (tests/reliability) and the bench (bench/reliability.py, >= 10^5 records). Every random
step takes a ``random.Random``; the same seed gives the same bytes.

A mutated input is a list of :class:`Line`. Each line has a ``kind`` and, when its outcome is certain, what
must happen to it:

- ``ok`` / ``dup`` (an exact copy of an earlier line): the record is kept (its id is in ``works``);
- ``truncate`` / ``garbage``: not JSON, so rejected *at that line* with a ``malformed JSON`` reason and the raw
  text kept;
- ``blank``: not a record (not counted in ``read``);
- every other kind (field replaced by a random JSON value, field deleted, bytes flipped, odd Unicode, huge
  numbers, deep nesting, stray carriage returns): either outcome, but exactly one: kept or quarantined with a
  reason, never both, never a crash.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.sources.oa_records import work

__all__ = ["KINDS", "Line", "check_ingest", "fuzz_lines", "fuzz_records", "random_json", "templates", "write_lines"]

#: Fields dropped from the real records used as templates (large and not read by junkan).
TEMPLATE_DROP = ("abstract_inverted_index", "concepts", "mesh", "locations", "related_works", "counts_by_year", "keywords")

#: Mutation kinds and their weights in a fuzzed file.
KINDS: dict[str, int] = {
    "ok": 30, "dup": 3, "replace": 20, "delete": 8, "bytes": 8, "truncate": 6, "garbage": 4, "blank": 2,
    "unicode": 6, "number": 5, "deep": 2, "cr": 2, "id": 4,
}


@dataclass(frozen=True)
class Line:
    """One line of a fuzzed JSON Lines file."""

    text: bytes  #: without the newline
    kind: str
    wid: str | None  #: the short work id the line carries unchanged (None when the id was mutated or absent)


@lru_cache(maxsize=1)
def templates() -> tuple[str, ...]:
    """The embedded real OpenAlex records (CC0), trimmed, serialised (ids are replaced per line)."""
    root = resources.files("junkan") / "data" / "openalex-sample"
    with gzip.open(Path(str(root / "openalexpro_works.jsonl.gz")), "rb") as f:
        recs = [json.loads(x) for x in f.read().split(b"\n") if x.strip()]
    with gzip.open(Path(str(root / "sample100_works.json.gz")), "rb") as f:
        recs += json.loads(f.read())
    out = []
    for r in recs:
        for k in TEMPLATE_DROP:
            r.pop(k, None)
        out.append(json.dumps(r))
    return tuple(out)


def _record(rng: random.Random, wid: int) -> dict[str, Any]:
    if rng.random() < 0.5:
        rec = json.loads(rng.choice(templates()))
    else:
        rec = work(wid, year=rng.randint(1990, 2024), refs=tuple(rng.randint(1, 10**6) for _ in range(rng.randint(0, 4))))
    rec["id"] = f"https://openalex.org/W{wid}"
    return rec


_ODD_TEXT = ["\u2028", "\u2029", "\x00", "\ud800", "\udfff", "\ufeff", "é", "循環", "\U0001f600", "\\", '"', "\t", "\x7f",
             "' OR 1=1 --", "'); DROP TABLE works; --", "../../etc/passwd", "%s%n", "\u202e"]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value (scalars, odd strings, huge numbers, lists and objects)."""
    r = rng.random()
    if depth > 3 or r < 0.55:
        return rng.choice([
            None, True, False, 0, -1, rng.randint(-(2**31), 2**31), rng.randint(2**62, 2**80), -(2**70), 1e308, -1e-308,
            rng.uniform(-1e6, 1e6), "", "2020", "2020-13-45", "abc", rng.choice(_ODD_TEXT) * rng.randint(1, 5),
            "x" * rng.randint(100, 5000),
        ])
    if r < 0.8:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["id", "a", "", "x" * 3, "\u2028"]): random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths(v, (*prefix, i))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> None:
    for p in path[:-1]:
        obj = obj[p]
    if delete:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


def _mutate(rng: random.Random, rec: dict[str, Any], kind: str, wid: int) -> str | None:
    """Mutate ``rec`` in place; return its short id when the mutation left the id unchanged."""
    sid: str | None = f"W{wid}"
    if kind in ("replace", "delete"):
        path = rng.choice(_paths(rec))
        _set(rec, path, random_json(rng), delete=kind == "delete")
        if path[0] == "id":
            sid = None
    elif kind == "unicode":
        rec[rng.choice(["title", "doi", "language", "type"])] = "".join(rng.choice(_ODD_TEXT) for _ in range(rng.randint(1, 6)))
    elif kind == "number":
        rec[rng.choice(["cited_by_count", "publication_year", "referenced_works_count", "fwci", "countries_distinct_count"])] = (
            rng.choice([2**63, -(2**63) - 1, 2**31, 10**30, float("inf"), float("nan"), 1.5, -0.0, 1e-320]))
    elif kind == "id":
        rec["id"] = rng.choice([None, 17, "W", "https://openalex.org/A1", f"W{wid}x", "", ["W1"], {"id": "W1"}, f"w{wid}",
                                f" W{wid}", f"https://openalex.org/W{wid}/"])
        sid = None
    elif kind != "ok":
        raise ValueError(kind)
    return sid


def fuzz_records(rng: random.Random, n: int, *, start_id: int = 1) -> list[tuple[dict[str, Any], str, str | None]]:
    """``n`` mutated records as objects (for JSON arrays and API pages): (record, kind, id if unchanged)."""
    out: list[tuple[dict[str, Any], str, str | None]] = []
    for k in range(n):
        rec = _record(rng, start_id + k)
        kind = rng.choice(["ok", "ok", "replace", "delete", "unicode", "number", "id"])
        out.append((rec, kind, _mutate(rng, rec, kind, start_id + k)))
    return out


def _dumps(rng: random.Random, obj: Any) -> bytes:
    # json.dumps writes NaN/Infinity for non-finite floats (not JSON: such a record is malformed, which is fine)
    return json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode("utf-8", errors="surrogatepass")


def fuzz_lines(rng: random.Random, n: int, *, start_id: int = 1) -> list[Line]:
    """``n`` lines of a fuzzed JSON Lines file (kinds drawn with :data:`KINDS` weights)."""
    kinds, weights = zip(*KINDS.items())
    lines: list[Line] = []
    oks: list[Line] = []
    for k in range(n):
        wid = start_id + k
        kind = rng.choices(kinds, weights)[0]
        if kind == "dup" and not oks:
            kind = "ok"
        if kind == "dup":
            src = rng.choice(oks)
            lines.append(Line(src.text, "dup", src.wid))
            continue
        if kind == "blank":
            lines.append(Line(rng.choice([b"", b" ", b"\t", b"  \t "]), "blank", None))
            continue
        if kind == "garbage":
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 60))).replace(b"\n", b"")
            lines.append(Line(rng.choice([b"#", b"{", b"[", b"\xff", b"<html>"]) + junk, "garbage", None))
            continue
        if kind in ("ok", "truncate", "bytes", "cr"):
            rec = _record(rng, wid)
            text = _dumps(rng, rec)
            if kind == "ok":
                line = Line(text, "ok", f"W{wid}")
                oks.append(line)
            elif kind == "truncate":
                line = Line(text[: rng.randint(1, len(text) - 1)], "truncate", None)
            elif kind == "cr":  # carriage returns inside and at the end of the line
                pos = rng.randint(1, len(text) - 1)
                line = Line(text[:pos] + b"\r" + text[pos:] + rng.choice([b"", b"\r"]), "cr", None)
            else:
                b = bytearray(text)
                for _ in range(rng.randint(1, 3)):
                    b[rng.randrange(len(b))] = rng.choice([c for c in range(256) if c != 0x0A])
                line = Line(bytes(b), "bytes", None)
            lines.append(line)
            continue
        if kind == "deep":
            rec = _record(rng, wid)
            depth = rng.choice([50, 600, 5000])
            rec[rng.choice(["title", "authorships", "primary_location", "extra"])] = "@DEEP@"
            nested = rng.choice([b"[", b'{"a":']) * depth
            nested += b"]" * depth if nested[:1] == b"[" else b"0" + b"}" * depth
            lines.append(Line(_dumps(rng, rec).replace(b'"@DEEP@"', nested), "deep", None))
            continue
        rec = _record(rng, wid)
        sid = _mutate(rng, rec, kind, wid)
        lines.append(Line(_dumps(rng, rec), kind, sid))
    return lines


def write_lines(path: Path, lines: list[Line], *, gz: bool = False, truncate_gz: int | None = None) -> Path:
    """Write lines as JSON Lines (optionally gzip, optionally with the compressed stream cut short)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(ln.text + b"\n" for ln in lines)
    if gz:
        import io

        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
            f.write(data)
        data = buf.getvalue()
        if truncate_gz is not None:
            data = data[: max(11, len(data) - truncate_gz)]
    path.write_bytes(data)
    return path


def check_ingest(lines: list[Line], path: Path, report: Any, *, complete: bool = True) -> list[str]:
    """The oracle: violations of exact accounting and of the known outcomes (an empty list when all hold).

    ``complete=False`` for a truncated gzip, whose tail lines are unknown: only the accounting is checked then.
    """
    bad: list[str] = []
    store = report.store
    inp = [i for i in report.inputs if i["path"] == str(path.resolve())]
    if len(inp) != 1:
        return [f"{path}: not one input in the report ({len(inp)})"]
    inp = inp[0]
    q = pq.read_table(store.table_path("quarantine"))
    q = q.filter(q["input_id"].to_numpy() == inp["input_id"]) if q.num_rows else q
    if inp["read"] != inp["kept"] + inp["rejected"]:
        bad.append(f"read {inp['read']} != kept {inp['kept']} + rejected {inp['rejected']}")
    if q.num_rows != inp["rejected"]:
        bad.append(f"quarantine rows {q.num_rows} != rejected {inp['rejected']}")
    records = [n for n, ln in enumerate(lines, start=1) if ln.text.strip()]
    qlines = q.column("line").to_pylist()
    reasons = q.column("reason").to_pylist()
    if any(not r for r in reasons):
        bad.append("a quarantined record has no reason")
    if any(f != str(path.resolve()) for f in q.column("file").to_pylist()):
        bad.append("a quarantined record names another file")
    if not complete:
        return bad
    if inp["read"] != len(records):
        bad.append(f"read {inp['read']} != non-blank lines {len(records)}")
    if len(set(qlines)) != len(qlines):
        bad.append("a line is quarantined twice")
    if any(ln is None or not 1 <= ln <= len(lines) or not lines[ln - 1].text.strip() for ln in qlines):
        bad.append("a quarantined line number does not point at a record line")
    works = pq.read_table(store.table_path("works"), columns=["work_id"]).column("work_id").to_pylist()
    kept = set(works)
    by_line = dict(zip(qlines, zip(reasons, q.column("raw").to_pylist())))
    last_of: dict[str, int] = {}
    for n, ln in enumerate(lines, start=1):
        if ln.wid and ln.kind in ("ok", "dup"):
            last_of[ln.wid] = n
    for n, ln in enumerate(lines, start=1):
        if ln.kind in ("ok", "dup"):
            if ln.wid not in kept:
                bad.append(f"line {n} ({ln.kind}) is valid but {ln.wid} is not kept")
            if last_of[ln.wid] == n and n in by_line:
                bad.append(f"line {n}: the last copy of {ln.wid} is quarantined")
        elif ln.kind in ("truncate", "garbage"):
            if n not in by_line:
                bad.append(f"line {n} ({ln.kind}) is not quarantined")
            elif not by_line[n][0].lower().startswith("malformed json"):
                bad.append(f"line {n} ({ln.kind}): reason {by_line[n][0]!r}")
            elif by_line[n][1] != ln.text.decode("utf-8", errors="replace"):
                bad.append(f"line {n} ({ln.kind}): the raw text kept differs from the line")
        elif ln.kind == "blank" and n in by_line:
            bad.append(f"line {n}: a blank line is quarantined")
        if ln.wid and ln.kind not in ("ok", "dup", "blank") and (ln.wid in kept) == (n in by_line):
            # its id is on this line only: the record is either kept or quarantined, exactly one of the two
            bad.append(f"line {n} ({ln.kind}): {ln.wid} is {'both kept and quarantined' if n in by_line else 'neither kept nor quarantined'}")
    return bad
