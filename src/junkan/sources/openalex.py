"""OpenAlex works and authors (snapshot, JSON Lines, API pages) → a new store version.

Pipeline, per run:

1. **Discover** inputs: the snapshot layout (``data/works/updated_date=YYYY-MM-DD/part_NNN.gz`` and its
   ``manifest``), folders of ``.jsonl``/``.jsonl.gz``, API result pages (``{"meta":…, "results":[…]}``) and
   JSON arrays. Each input gets a SHA-256 and an ``input_id`` (its index in the manifest's ``inputs``).
2. **Stage** each input into ``STORE/work/<sha>/`` (resumable, both cores used): the fast path is DuckDB's
   ``read_json`` with an explicit schema (``openalex_schema``), streamed to nested Parquet. If DuckDB
   rejects the file, or an id is missing or malformed, the input is re-read record by record in Python:
   every bad record is quarantined with its file, line, field and reason, and the good ones are staged.
3. **Merge** the staged records with the previous store version: for each work id the latest version wins
   (``updated_date``, then the partition date, then the later input and line); losers from this run are
   quarantined as ``superseded``, ``duplicate_id`` or ``stale``; then every canonical table is written
   sorted by its key and the version is published atomically (``junkan.store.VersionWriter``).

For every input and in total, ``read = kept + rejected``.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import os
import re
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from junkan.errors import BadInputError, ConfigError, IngestError
from junkan.model.schema import TABLES, arrow_schema
from junkan.sources.openalex_schema import AUTHOR_SPEC, WORK_SPEC, duckdb_columns, validate
from junkan.store import Store, VersionWriter, disk_full_error, file_sha256, is_disk_full, open_store

__all__ = ["IngestReport", "InputFile", "discover", "ingest"]

log = logging.getLogger(__name__)

OnError = Literal["raise", "collect", "skip"]
Entity = Literal["works", "authors"]
Progress = Callable[[str, int, int], None]

_PARTITION = re.compile(r"^updated_date=(\d{4}-\d{2}-\d{2})$")
_DATA_SUFFIXES = (".gz", ".jsonl", ".ndjson", ".json")
_ID_PATTERN = {"works": r"(https://openalex\.org/)?W\d+", "authors": r"(https://openalex\.org/)?A\d+"}
_SPECS = {"works": WORK_SPEC, "authors": AUTHOR_SPEC}
_MAX_OBJECT = 1 << 28  # 256 MiB: hyperauthored records are large


@dataclass(frozen=True)
class InputFile:
    """One input file of an ingest run."""

    path: str
    entity: Entity
    format: Literal["jsonl", "json"]
    partition_date: str | None
    sha256: str
    size: int
    source: str = "openalex"


@dataclass
class _Staged:
    inp: InputFile
    dir: Path
    read: int
    rejected: int
    path_taken: str
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # read / flatten, in this input's worker thread


@dataclass
class IngestReport:
    """What an ingest run did; also written into the manifest."""

    store: Store | None
    inputs: list[dict[str, Any]]
    read: int
    kept: int
    rejected: int
    replaced: int
    rejected_by_reason: dict[str, int]
    warnings: list[str]
    skipped_inputs: list[str]
    first_errors: list[dict[str, Any]]
    #: Where the time went (seconds; not in the manifest, which must not depend on the machine): ``stage``,
    #: ``merge`` and ``publish`` are wall times of the phases; ``read`` and ``flatten`` are summed over the
    #: inputs' worker threads (parsing the JSON vs writing the per-input canonical tables).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.read == self.kept + self.rejected


# --------------------------------------------------------------------------------------------------
# 1. discovery


def _entity_of(path: Path, default: Entity | None) -> Entity:
    if default:
        return default
    parts = {p.lower() for p in path.parts}
    return "authors" if "authors" in parts else "works"


def _partition_of(path: Path) -> str | None:
    for part in reversed(path.parts):
        m = _PARTITION.match(part)
        if m:
            return m.group(1)
    return None


def _format_of(path: Path) -> Literal["jsonl", "json"]:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".json"):
        return "json"
    return "jsonl"


def discover(paths: Sequence[str | os.PathLike[str]], *, entity: Entity | None = None) -> list[InputFile]:
    """Expand files and folders into input files, in a deterministic order.

    Folders are searched recursively for ``*.gz``, ``*.jsonl``, ``*.ndjson`` and ``*.json``; snapshot
    ``manifest`` files are checked (every listed part must exist).
    """
    if not paths:
        raise ConfigError("no input paths given")
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise BadInputError("no such file or directory", file=str(p))
        if p.is_dir():
            files = sorted(
                f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(_DATA_SUFFIXES)
            )
            for manifest in sorted(p.rglob("manifest")):
                _check_snapshot_manifest(manifest)
            if not files:
                raise BadInputError("folder holds no .jsonl, .jsonl.gz, .gz or .json files", file=str(p))
            found.extend(files)
        else:
            found.append(p)
    out: list[InputFile] = []
    seen: set[Path] = set()
    for f in found:
        rp = f.resolve()
        if rp in seen:
            continue
        seen.add(rp)
        out.append(
            InputFile(
                path=str(rp),
                entity=_entity_of(rp, entity),
                format=_format_of(rp),
                partition_date=_partition_of(rp),
                sha256=file_sha256(rp),
                size=rp.stat().st_size,
            )
        )
    out.sort(key=lambda i: (i.entity, i.partition_date or "", i.path))
    return out


def _check_snapshot_manifest(manifest: Path) -> None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"snapshot manifest is not valid JSON ({exc})", file=str(manifest)) from exc
    for i, entry in enumerate(data.get("entries", [])):
        url = str(entry.get("url", ""))
        m = re.search(r"(updated_date=[^/]+/[^/]+)$", url)
        if m and not (manifest.parent / m.group(1)).exists():
            raise BadInputError(
                f"the snapshot manifest lists {m.group(1)} but that file is missing",
                file=str(manifest),
                line=None,
                field=f"entries[{i}].url",
            )


# --------------------------------------------------------------------------------------------------
# 2. staging


def _connect(threads: int, memory_limit: str | None, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {max(1, int(threads))}")
    con.execute("SET enable_progress_bar = false")
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    temp_dir.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(temp_dir)])
    return con


def _read_json_sql(entity: Entity) -> str:
    cols = duckdb_columns(_SPECS[entity])
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
    return (
        f"read_json(?, columns={spec}, format='newline_delimited', compression='auto_detect', "
        f"maximum_object_size={_MAX_OBJECT})"
    )


def _iter_lines(path: str, *, chunk: int = 1 << 20) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield (line_no, line, problem) for a JSON Lines file, plain or gzip (also multi-member).

    Lines are split on ``\n`` only (OpenAlex text may hold U+2028). A compressed stream that ends early
    or is corrupt yields a last item with ``problem`` set and the partial line (possibly empty).
    """
    gz = _is_gzip(path)
    line_no = 0
    rest = b""
    problem: str | None = None
    with open(path, "rb") as f:
        d = zlib.decompressobj(wbits=31) if gz else None
        while True:
            block = f.read(chunk)
            if d is not None:
                try:
                    data = d.decompress(block) if block else d.flush()
                    while d.eof and d.unused_data:  # concatenated gzip members
                        tail = d.unused_data
                        d = zlib.decompressobj(wbits=31)
                        data += d.decompress(tail)
                except zlib.error as exc:
                    problem = f"truncated or corrupt file (gzip: {exc})"
                    break
            else:
                data = block
            rest += data
            if b"\n" in rest:
                *lines, rest = rest.split(b"\n")
                for ln in lines:
                    line_no += 1
                    yield line_no, ln, None
            if not block:
                if d is not None and not d.eof:
                    problem = "truncated or corrupt file (the compressed stream ended before its end marker)"
                break
    if problem is not None:
        yield line_no + 1, rest, problem
    elif rest:
        yield line_no + 1, rest, None


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _json_records(path: str) -> Iterator[tuple[int, Any, bytes | None, str | None]]:
    """Records of a .json file (API page, array or single record): (record_no, obj, raw, problem)."""
    if _is_gzip(path):
        try:
            with open(path, "rb") as f:
                data = zlib.decompress(f.read(), wbits=47)
        except zlib.error as exc:
            yield 1, None, None, f"truncated or corrupt file (gzip: {exc})"
            return
    else:
        with open(path, "rb") as f:
            data = f.read()
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield exc.lineno, None, data, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return
    if isinstance(doc, dict) and "results" in doc:
        records = doc["results"]
        if not isinstance(records, list):
            yield 1, None, data, "API page: 'results' is not an array"
            return
    elif isinstance(doc, list):
        records = doc
    elif isinstance(doc, dict):
        records = [doc]
    else:
        yield 1, None, data, "expected an API page, a JSON array or a JSON object"
        return
    for i, rec in enumerate(records, start=1):
        yield i, rec, None, None


def _stage(
    inp: InputFile,
    stage_dir: Path,
    *,
    on_error: OnError,
    threads: int,
    memory_limit: str | None,
) -> _Staged:
    """Validate and stage one input into ``stage_dir``: its canonical tables, quarantine.parquet, stats.json."""
    stats_path = stage_dir / "stats.json"
    if stats_path.exists():  # staged by an earlier, interrupted run
        s = json.loads(stats_path.read_text(encoding="utf-8"))
        return _Staged(inp, stage_dir, s["read"], s["rejected"], s["path"], s.get("warnings", []), s.get("seconds", {}))
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    tmp = stage_dir.with_name(stage_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    con = _connect(threads, memory_limit, tmp / "duckdb")
    warnings: list[str] = []
    try:
        path_taken = "fast"
        read = rejected = 0
        fast_ok = False
        t_read = time.perf_counter()
        if inp.format == "jsonl" and inp.size > 0:
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE w AS SELECT * FROM {_read_json_sql(inp.entity)}", [inp.path])
                read, bad = con.execute(
                    "SELECT count(*), count(*) FILTER (WHERE id IS NULL OR NOT regexp_full_match(id, ?)) FROM w",
                    [_ID_PATTERN[inp.entity]],
                ).fetchone()
                fast_ok = bad == 0
            except (duckdb.Error, UnicodeDecodeError) as exc:  # DuckDB's message may quote undecodable bytes
                if isinstance(exc, duckdb.OutOfMemoryException):  # reliability (issue 11): not a bad file
                    raise _out_of_memory(inp.path, exc) from exc
                log.info("%s: DuckDB could not read it as is (%s); checking record by record", inp.path, exc)
        if not fast_ok:
            path_taken = "checked"
            read, rejected = _stage_checked(inp, tmp, con, on_error=on_error)
        if read == 0:
            msg = f"{inp.path}: the file holds no records"
            if on_error == "raise":
                raise BadInputError("the file holds no records (empty input)", file=inp.path)
            warnings.append(msg)
            log.warning(msg)
        t_flatten = time.perf_counter()
        _flatten(con, inp.entity, tmp)
        seconds = {"read": round(t_flatten - t_read, 4), "flatten": round(time.perf_counter() - t_flatten, 4)}
        if not (tmp / "quarantine.parquet").exists():
            pq.write_table(arrow_schema("quarantine").empty_table(), tmp / "quarantine.parquet")
        shutil.rmtree(tmp / "duckdb", ignore_errors=True)
        stats = {"read": int(read), "rejected": int(rejected), "path": path_taken, "warnings": warnings, "seconds": seconds}
        (tmp / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    finally:
        con.close()
    os.rename(tmp, stage_dir)
    return _Staged(inp, stage_dir, int(read), int(rejected), path_taken, warnings, seconds)


def _create_empty_w(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    cols = duckdb_columns(_SPECS[entity])
    select = ", ".join(f'CAST(NULL AS {t}) AS "{k}"' for k, t in cols.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE w AS SELECT {select} LIMIT 0")


#: Staged per-input tables are read once by the merge and then deleted: LZ4 writes and reads faster than the
#: store's ZSTD (measured: references of 50k works 1.28 s vs 1.73 s), at a larger temporary size.
_STAGED_FORMAT = "FORMAT parquet, COMPRESSION lz4_raw"


def _flatten(con: duckdb.DuckDBPyConnection, entity: Entity, out: Path) -> None:
    """Write this input's canonical tables (plus ``_ord``, the record's position) from temp table ``w``.

    No global sort is needed anywhere: a store's content hash ignores row order (``table_content_hash``).
    """
    if not _has_table(con, "w"):
        _create_empty_w(con, entity)
    key = "work_id" if entity == "works" else "author_id"
    con.execute(f"CREATE OR REPLACE TEMP VIEW nw AS SELECT *, rowid AS _ord, {_short('id')} AS {key} FROM w")
    if entity == "works":
        con.execute(
            """CREATE OR REPLACE TEMP VIEW nw_auth AS
               SELECT work_id, _ord, unnest(range(len(authorships))) AS pos, unnest(authorships) AS a FROM nw"""
        )
        for table, sql in _WORK_TABLE_SQL.items():
            cols = _cols(table, staged=True)
            order = f" ORDER BY _ord, {_key_order(table)}" if table in _GROUPED else ""
            con.execute(f"COPY (SELECT {cols} FROM ({sql}){order}) TO '{out / table}.parquet' ({_STAGED_FORMAT})")
        for table, sql in _ENTITY_SQL.items():
            cols = _cols(table) + ", _ord, pos"
            con.execute(f"COPY (SELECT {cols} FROM ({sql})) TO '{out / ('obs_' + table)}.parquet' ({_STAGED_FORMAT})")
    else:
        for table, sql in _AUTHOR_TABLE_SQL.items():
            cols = _cols(table, staged=True)
            order = f" ORDER BY _ord, {_key_order(table)}" if table in _GROUPED else ""
            con.execute(f"COPY (SELECT {cols} FROM ({sql}){order}) TO '{out / table}.parquet' ({_STAGED_FORMAT})")
    con.execute("DROP TABLE IF EXISTS w")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def _stage_checked(
    inp: InputFile, tmp: Path, con: duckdb.DuckDBPyConnection, *, on_error: OnError
) -> tuple[int, int]:
    """Record-by-record validation: good records into temp table ``w``, bad ones to quarantine.parquet."""
    spec = _SPECS[inp.entity]
    id_re = re.compile(_ID_PATTERN[inp.entity])
    quarantine: list[dict[str, Any]] = []
    read = 0
    clean_path = tmp / "clean.jsonl"
    origin: list[int] = []  # reliability (issue 11): the input line (record number) of each clean line

    def reject(line: int | None, raw: bytes | None, rid: Any, fld: str | None, reason: str) -> None:
        if on_error == "raise":
            raise BadInputError(reason, file=inp.path, line=line, field=fld or None)
        quarantine.append(
            {
                "input_id": -1,  # set at merge time
                "file": inp.path,
                "line": line,
                "record_id": str(rid) if isinstance(rid, (str, int)) else None,
                "field": fld or None,
                "reason": reason,
                "raw": None if on_error == "skip" or raw is None else raw.decode("utf-8", errors="replace"),
            }
        )

    with open(clean_path, "wb") as clean:
        if inp.format == "json":
            for rec_no, obj, raw, problem in _json_records(inp.path):
                read += 1
                if problem:
                    reject(rec_no, raw, None, None, problem)
                    continue
                bad = validate(obj, spec)
                if bad is None and not id_re.fullmatch(obj["id"]):
                    bad = ("id", f"id {obj['id'][:60]!r} is not an OpenAlex {inp.entity[:-1]} id")
                if bad:
                    reject(rec_no, orjson.dumps(obj), obj.get("id") if isinstance(obj, dict) else None, *bad)
                    continue
                origin.append(rec_no)
                clean.write(orjson.dumps(obj) + b"\n")
        else:
            for line_no, line, problem in _iter_lines(inp.path):
                if problem:
                    # The damaged tail counts as one rejected record (its partial text is kept).
                    read += 1
                    reject(line_no, line, None, None, problem)
                    continue
                if line is None or not line.strip():
                    continue
                read += 1
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    reject(line_no, line, None, None, f"malformed JSON: {exc.msg} (column {exc.colno})")
                    continue
                bad = validate(obj, spec)
                if bad is None and not id_re.fullmatch(obj["id"]):
                    bad = ("id", f"id {obj['id'][:60]!r} is not an OpenAlex {inp.entity[:-1]} id")
                if bad:
                    reject(line_no, line, obj.get("id") if isinstance(obj, dict) else None, *bad)
                    continue
                origin.append(line_no)
                clean.write(line.rstrip(b"\r") + b"\n")
    while clean_path.stat().st_size:
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE w AS SELECT * FROM {_read_json_sql(inp.entity)}", [str(clean_path)])
            break
        except (duckdb.Error, UnicodeDecodeError) as exc:  # the validator let through something DuckDB refuses: a bug
            if isinstance(exc, duckdb.OutOfMemoryException):  # reliability (issue 11): not a validator bug
                raise _out_of_memory(inp.path, exc) from exc
            # Reliability (issue 11, found by fuzzing: "publication_year": "1e3" passes the validator, DuckDB refuses
            # it): find the records DuckDB refuses by bisection (its "in line N" is not reliable), quarantine them
            # and read the rest, instead of failing the whole ingest.
            lines = clean_path.read_bytes().split(b"\n")[: len(origin)]
            try:
                refused = _refused_lines(con, inp.entity, lines, tmp / "probe.jsonl")
            except duckdb.OutOfMemoryException as oom:
                raise _out_of_memory(inp.path, oom) from oom
            if not refused:
                raise IngestError(
                    f"{inp.path}: records passed validation but DuckDB refused them ({exc}); please report this"
                ) from exc
            for k, why in refused:
                reject(origin[k], lines[k], orjson.loads(lines[k]).get("id"), None, f"DuckDB cannot read this record: {why}")
            drop = {k for k, _ in refused}
            origin = [o for k, o in enumerate(origin) if k not in drop]
            clean_path.write_bytes(b"".join(ln + b"\n" for k, ln in enumerate(lines) if k not in drop))
    else:
        _create_empty_w(con, inp.entity)
    clean_path.unlink()
    if quarantine:
        pq.write_table(pa.Table.from_pylist(quarantine, schema=arrow_schema("quarantine")), tmp / "quarantine.parquet")
    return read, len(quarantine)


def _refused_lines(con: duckdb.DuckDBPyConnection, entity: Entity, lines: list[bytes], probe: Path) -> list[tuple[int, str]]:
    """Reliability (issue 11): the lines DuckDB's reader refuses, with its reason, found by bisection."""

    def refuses(lo: int, hi: int) -> str | None:
        probe.write_bytes(b"".join(ln + b"\n" for ln in lines[lo:hi]))
        try:
            # every column is converted (a count(*) would skip them)
            con.execute(f"CREATE OR REPLACE TEMP TABLE probe AS SELECT * FROM {_read_json_sql(entity)}", [str(probe)])
            con.execute("DROP TABLE probe")
            return None
        except (duckdb.Error, UnicodeDecodeError) as exc:
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise
            m = re.search(r"in line \d+: (.*)", str(exc))
            return m.group(1).strip() if m else str(exc).strip().splitlines()[0]

    out: list[tuple[int, str]] = []
    todo = [(0, len(lines))]
    while todo:
        lo, hi = todo.pop()
        why = refuses(lo, hi)
        if why is None:
            continue
        if hi - lo == 1:
            out.append((lo, why))
        else:
            mid = (lo + hi) // 2
            todo += [(mid, hi), (lo, mid)]
    probe.unlink(missing_ok=True)
    return sorted(out)


def _out_of_memory(path: str, exc: BaseException) -> IngestError:
    """Reliability (issue 11): DuckDB's read_json reserves 2 × maximum_object_size (512 MiB) per file read."""
    first = str(exc).strip().splitlines()[0]
    return IngestError(
        f"{path}: DuckDB ran out of memory under the memory limit ({first}). Reading JSON needs about 600 MB per "
        "file read at once (2 × the largest record size allowed, 256 MiB): raise --memory-limit to 1GB or more, "
        "or lower --threads"
    )


# --------------------------------------------------------------------------------------------------
# 3. merge and publish



def _short(expr: str) -> str:
    # A prefix test and a slice: cheaper than replace() or a regular expression on billions of ids.
    return (
        f"CASE WHEN starts_with({expr}, 'https://openalex.org/') THEN ({expr})[22:] "
        f"WHEN starts_with({expr}, 'http://openalex.org/') THEN ({expr})[21:] ELSE {expr} END"
    )


def _code(expr: str) -> str:
    return f"TRY_CAST(regexp_extract({expr}, '(\\d+)$', 1) AS INTEGER)"


def _strip(expr: str, prefix_re: str) -> str:
    return f"regexp_replace({expr}, '{prefix_re}', '')"


_DOI_RE = r"^https?://(dx\.)?doi\.org/"
_ORCID_RE = r"^https?://orcid\.org/"
_ROR_RE = r"^https?://ror\.org/"


# Per-input flattening (run by _flatten on the input's records in temp table ``w``; views nw, nw_auth).
# Every query also returns ``_ord`` (the record's position in its input); ``input_id`` is added at merge time.
_WORK_TABLE_SQL: dict[str, str] = {
    "works": f"""
        SELECT work_id,
               lower({_strip('doi', _DOI_RE)}) AS doi,
               coalesce(title, display_name) AS title,
               publication_year, publication_date, type, language,
               {_short('primary_location.source.id')} AS source_id,
               primary_location.source.type AS source_type,
               is_retracted, is_paratext,
               {_short('primary_topic.id')} AS topic_id,
               {_code('primary_topic.subfield.id')} AS subfield_id,
               {_code('primary_topic.field.id')} AS field_id,
               {_code('primary_topic.domain.id')} AS domain_id,
               cited_by_count, referenced_works_count,
               CAST(coalesce(len(authorships), 0) AS INTEGER) AS authors_count,
               countries_distinct_count, institutions_distinct_count,
               fwci AS oa_fwci,
               citation_normalized_percentile.value AS oa_citation_percentile,
               citation_normalized_percentile.is_in_top_10_percent AS oa_is_top_10_percent,
               citation_normalized_percentile.is_in_top_1_percent AS oa_is_top_1_percent,
               updated_date, 'openalex' AS data_source, _ord
        FROM nw""",
    "authorships": f"""
        SELECT work_id, CAST(pos AS INTEGER) AS author_position,
               a.author_position AS author_position_label,
               {_short('a.author.id')} AS author_id,
               a.author.display_name AS author_name,
               {_strip('a.author.orcid', _ORCID_RE)} AS orcid,
               a.is_corresponding, a.raw_author_name, a.raw_affiliation_strings, _ord
        FROM nw_auth""",
    "authorship_institutions": f"""
        SELECT work_id, CAST(pos AS INTEGER) AS author_position,
               unnest(list_distinct(list_transform(a.institutions, i -> {_short('i.id')}))) AS institution_id,
               _ord
        FROM nw_auth""",
    "authorship_countries": """
        SELECT work_id, CAST(pos AS INTEGER) AS author_position,
               unnest(list_distinct(a.countries)) AS country_code, _ord
        FROM nw_auth""",
    # Distinct pairs by a row-level DISTINCT: 1.5x cheaper than list_distinct per record (measured).
    "references": f"""
        SELECT DISTINCT work_id, cited_work_id, _ord FROM (
            SELECT work_id, unnest(list_transform(referenced_works, x -> {_short('x')})) AS cited_work_id, _ord
            FROM nw)
        WHERE cited_work_id IS NOT NULL""",
    "work_topics": f"""
        SELECT work_id, topic_id, max(score) AS score, bool_or(is_primary) AS is_primary, _ord FROM (
            SELECT work_id, _ord, {_short('t.id')} AS topic_id, t.score AS score,
                   coalesce(t.id = primary_topic.id, false) AS is_primary
            FROM (SELECT work_id, _ord, primary_topic, unnest(topics) AS t FROM nw)
            UNION ALL
            SELECT work_id, _ord, {_short('primary_topic.id')}, primary_topic.score, true FROM nw
            WHERE primary_topic.id IS NOT NULL)
        WHERE topic_id IS NOT NULL GROUP BY work_id, _ord, topic_id""",
    "work_funders": f"""
        SELECT work_id, funder_id, max(funder_name) AS funder_name, max(ror) AS ror, _ord FROM (
            SELECT work_id, _ord, {_short('f.id')} AS funder_id, f.display_name AS funder_name,
                   {_strip('f.ror', _ROR_RE)} AS ror
            FROM (SELECT work_id, _ord, unnest(funders) AS f FROM nw))
        WHERE funder_id IS NOT NULL GROUP BY work_id, _ord, funder_id""",
    "work_awards": f"""
        SELECT work_id, award_key, max(funder_id) AS funder_id, max(funder_name) AS funder_name,
               max(funder_award_id) AS funder_award_id, max(display_name) AS display_name, _ord FROM (
            SELECT work_id, _ord,
                   coalesce({_short('g.id')}, {_short('g.funder_id')} || ':' || g.funder_award_id) AS award_key,
                   {_short('g.funder_id')} AS funder_id, g.funder_display_name AS funder_name,
                   g.funder_award_id, g.display_name
            FROM (SELECT work_id, _ord, unnest(awards) AS g FROM nw))
        WHERE award_key IS NOT NULL GROUP BY work_id, _ord, award_key""",
    # biblio as printed (trimmed, empty → null), one row per record that gives any of it (as the export readers)
    "work_biblio": """
        SELECT work_id, volume, issue, first_page, last_page,
               NULL::VARCHAR AS source_title, NULL::VARCHAR AS source_abbreviation, _ord FROM (
            SELECT work_id, _ord, nullif(trim(biblio.volume), '') AS volume, nullif(trim(biblio.issue), '') AS issue,
                   nullif(trim(biblio.first_page), '') AS first_page, nullif(trim(biblio.last_page), '') AS last_page
            FROM nw)
        WHERE coalesce(volume, issue, first_page, last_page) IS NOT NULL""",
}

#: Tables built with GROUP BY: sorted within their input (hash aggregation does not keep order).
_GROUPED = frozenset({"work_topics", "work_funders", "work_awards", "author_affiliations"})

# Entities observed inside works, per input; the merge keeps the newest observation (input, record, position).
_ENTITY_SQL: dict[str, str] = {
    "institutions": f"""
        SELECT {_short('i.id')} AS institution_id, {_strip('i.ror', _ROR_RE)} AS ror,
               i.display_name, i.country_code, i.type,
               list_transform(i.lineage, x -> {_short('x')}) AS lineage, _ord, pos
        FROM (SELECT _ord, pos, unnest(a.institutions) AS i FROM nw_auth)
        WHERE i.id IS NOT NULL""",
    "sources": f"""
        SELECT {_short('primary_location.source.id')} AS source_id,
               primary_location.source.display_name AS display_name,
               primary_location.source.issn_l AS issn_l,
               primary_location.source.type AS type,
               primary_location.source.is_core AS is_core, _ord, 0 AS pos
        FROM nw WHERE primary_location.source.id IS NOT NULL""",
    "topics": f"""
        SELECT {_short('t.id')} AS topic_id, t.display_name,
               {_code('t.subfield.id')} AS subfield_id, t.subfield.display_name AS subfield_name,
               {_code('t.field.id')} AS field_id, t.field.display_name AS field_name,
               {_code('t.domain.id')} AS domain_id, t.domain.display_name AS domain_name, _ord, pos
        FROM (SELECT _ord, unnest(range(len(topics))) AS pos, unnest(topics) AS t FROM nw)
        WHERE t.id IS NOT NULL""",
}

_AUTHOR_TABLE_SQL: dict[str, str] = {
    "authors": f"""
        SELECT author_id, {_strip('orcid', _ORCID_RE)} AS orcid, display_name,
               works_count, cited_by_count, updated_date, _ord
        FROM nw""",
    "author_affiliations": f"""
        SELECT author_id, institution_id, max(country_code) AS country_code, year, _ord FROM (
            SELECT author_id, _ord, {_short('f.institution.id')} AS institution_id,
                   f.institution.country_code AS country_code, unnest(f.years) AS year
            FROM (SELECT author_id, _ord, unnest(affiliations) AS f FROM nw))
        WHERE institution_id IS NOT NULL AND year IS NOT NULL
        GROUP BY author_id, _ord, institution_id, year""",
}

def _key_order(table: str) -> str:
    return ", ".join(f'"{k}"' for k in TABLES[table].key)


def _cols(table: str, *, staged: bool = False) -> str:
    """Column list of a store table; ``staged``: as written per input (``_ord`` instead of ``input_id``)."""
    names = TABLES[table].column_names
    if staged:
        names = [n for n in names if n != "input_id"] + ["_ord"]
    return ", ".join(f'"{c}"' for c in names)


def _copy(con: duckdb.DuckDBPyConnection, sql: str, table: str, out: Path, *, sort: bool = True) -> None:
    t0 = time.perf_counter()
    order = f" ORDER BY {_key_order(table)}" if sort else ""
    con.execute(
        f"COPY (SELECT {_cols(table)} FROM ({sql}){order}) TO '{out}' "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    log.debug("wrote %s in %.2f s", table, time.perf_counter() - t0)


def _staged_scan(staged: list[_Staged], input_ids: dict[str, int], entity: str, name: str) -> str:
    """SQL scanning one staged table of every input of ``entity``, in input order, with input_id and pdate.

    A projection (not a join) keeps the scan order: inputs in order, rows in record order.
    """
    mine = [s for s in staged if s.inp.entity == entity]
    files = [str(s.dir / f"{name}.parquet") for s in mine]
    ids = " ".join(f"WHEN '{f}' THEN {input_ids[s.inp.sha256 + s.inp.entity]}" for f, s in zip(files, mine, strict=True))
    dates = " ".join(f"WHEN '{f}' THEN DATE '{s.inp.partition_date}'" for f, s in zip(files, mine, strict=True) if s.inp.partition_date)
    pdate = f"CASE filename {dates} ELSE NULL::DATE END" if dates else "NULL::DATE"
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    return (
        f"SELECT * EXCLUDE (filename), CAST(CASE filename {ids} END AS INTEGER) AS input_id, {pdate} AS pdate "
        f"FROM read_parquet({file_list}, filename=true)"
    )


def _merge_entity(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    staged: list[_Staged],
    input_ids: dict[str, int],
    prev: Store | None,
) -> tuple[int, list[tuple[str, int, str]], bool]:
    """Pick the winning version of every record (temp table ``win``; ``keep_prev`` for the previous version).

    Returns (number of previous-version records replaced, [(id, input_id, reason)] for this run's losers,
    whether every staged record won and there is no previous version).
    """
    key = "work_id" if entity == "works" else "author_id"
    table = "works" if entity == "works" else "authors"
    mine = [s for s in staged if s.inp.entity == entity]
    if mine:
        con.execute(f"CREATE OR REPLACE TEMP VIEW staged_main AS {_staged_scan(staged, input_ids, entity, table)}")
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW staged_main AS SELECT NULL::VARCHAR AS {key}, NULL::INTEGER AS input_id, "
            "NULL::DATE AS pdate, NULL::TIMESTAMP AS updated_date, NULL::BIGINT AS _ord LIMIT 0"
        )
    prev_sql = ""
    if prev is not None:
        dates = [(i["input_id"], i.get("partition_date")) for i in prev.manifest.get("inputs", []) if i.get("entity") == entity]
        con.execute("CREATE OR REPLACE TEMP TABLE prev_inp (input_id INTEGER, pdate DATE)")
        if dates:
            con.executemany("INSERT INTO prev_inp VALUES (?, CAST(? AS DATE))", dates)
        prev_sql = f"""UNION ALL
            SELECT p.{key}, p.input_id, pi.pdate, p.updated_date, -1 AS _ord, true AS from_prev
            FROM read_parquet('{prev.table_path(table)}') p LEFT JOIN prev_inp pi ON p.input_id = pi.input_id"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cand AS
            SELECT *, row_number() OVER (
                       PARTITION BY {key}
                       ORDER BY updated_date DESC NULLS LAST, pdate DESC NULLS LAST, input_id DESC, _ord DESC) AS rk
            FROM (SELECT {key}, input_id, pdate, updated_date, _ord, false AS from_prev FROM staged_main {prev_sql})"""
    )
    replaced = con.execute(
        f"SELECT count(*) FROM cand WHERE from_prev AND rk > 1 AND {key} IN (SELECT {key} FROM cand WHERE rk = 1 AND NOT from_prev)"
    ).fetchone()[0]
    losers = con.execute(
        f"""SELECT l.{key}, l.input_id,
                   CASE WHEN l.updated_date IS NOT DISTINCT FROM w.updated_date
                             AND l.pdate IS NOT DISTINCT FROM w.pdate THEN 'duplicate_id'
                        WHEN w.from_prev THEN 'stale'
                        ELSE 'superseded' END AS reason
            FROM cand l JOIN cand w ON l.{key} = w.{key} AND w.rk = 1
            WHERE l.rk > 1 AND NOT l.from_prev
            ORDER BY l.input_id, l.{key}"""
    ).fetchall()
    con.execute(f"CREATE OR REPLACE TEMP TABLE win AS SELECT {key}, input_id, _ord FROM cand WHERE rk = 1 AND NOT from_prev")
    con.execute(f"CREATE OR REPLACE TEMP TABLE keep_prev AS SELECT {key} FROM cand WHERE rk = 1 AND from_prev")
    simple = prev is None and not losers
    return int(replaced), [(r[0], int(r[1]), r[2]) for r in losers], simple


def _merged_table_sql(
    staged: list[_Staged], input_ids: dict[str, int], entity: str, table: str, prev: Store | None, simple: bool
) -> str:
    """This run's winning rows of ``table`` (plus the previous version's kept rows), store columns."""
    key = "work_id" if entity == "works" else "author_id"
    cols = _cols(table)
    if not [s for s in staged if s.inp.entity == entity]:
        new = ""  # nothing new for this entity: only the previous version's rows
    else:
        scan = _staged_scan(staged, input_ids, entity, table)
        new = f"SELECT {cols} FROM ({scan}) s"
        if not simple:
            new += f" SEMI JOIN win ON s.{key} = win.{key} AND s.input_id = win.input_id AND s._ord = win._ord"
    if prev is not None:
        old = f"SELECT {cols} FROM read_parquet('{prev.table_path(table)}') SEMI JOIN keep_prev USING ({key})"
        return f"({new}) UNION ALL ({old})" if new else old
    return new


def _find_raw(path: str, fmt: str, ids: set[str]) -> dict[str, list[tuple[int, str]]]:
    """Locate every occurrence (line, raw text) of records with the given short ids in one input file."""
    found: dict[str, list[tuple[int, str]]] = {}
    if fmt == "json":
        for rec_no, obj, _raw, problem in _json_records(path):
            if problem or not isinstance(obj, dict):
                continue
            rid = re.sub(r"^https?://openalex\.org/", "", str(obj.get("id", "")))
            if rid in ids:
                found.setdefault(rid, []).append((rec_no, orjson.dumps(obj).decode()))
        return found
    for line_no, line, problem in _iter_lines(path):
        if problem or not line:
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        rid = re.sub(r"^https?://openalex\.org/", "", str(obj.get("id", ""))) if isinstance(obj, dict) else ""
        if rid in ids:
            found.setdefault(rid, []).append((line_no, line.decode("utf-8", errors="replace")))
    return found


def _disk_full_is_a_store_error(fn: Callable[..., IngestReport]) -> Callable[..., IngestReport]:
    """Reliability (issue 11): a full disk during ingest raises a clear StoreError (not DuckDB's raw
    IOException) and removes the unfinished staging folders that filled it; finished ones are kept for the rerun."""
    import functools

    @functools.wraps(fn)
    def wrapper(paths: Sequence[str | os.PathLike[str]], store: str | os.PathLike[str], *args: Any, **kwargs: Any) -> IngestReport:
        try:
            return fn(paths, store, *args, **kwargs)
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            work = Path(store) / "work"
            for p in [*work.glob("*.tmp"), work / "duckdb-merge"]:
                shutil.rmtree(p, ignore_errors=True)
            raise disk_full_error(store, exc) from exc

    return wrapper


@_disk_full_is_a_store_error
def ingest(
    paths: Sequence[str | os.PathLike[str]],
    store: str | os.PathLike[str],
    *,
    entity: Entity | None = None,
    on_error: OnError = "collect",
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest OpenAlex inputs into ``store``, publishing a new version (the previous one stays intact).

    ``on_error``: ``collect`` (default) keeps bad records in the ``quarantine`` table with file, line, field
    and reason; ``skip`` does the same without the raw text; ``raise`` stops at the first bad record with
    :class:`~junkan.errors.BadInputError` and publishes nothing.
    """
    if on_error not in ("raise", "collect", "skip"):
        raise ConfigError(f"on_error must be raise, collect or skip, not {on_error!r}")
    root = Path(store)
    threads = threads or os.cpu_count() or 1
    tick = progress or (lambda stage, done, total: None)
    inputs = discover(paths, entity=entity)
    root.mkdir(parents=True, exist_ok=True)
    try:
        prev: Store | None = open_store(root)
    except Exception:  # no published version yet
        if (root / "CURRENT").exists():
            raise
        prev = None
    prev_inputs: list[dict[str, Any]] = list(prev.manifest.get("inputs", [])) if prev else []
    done_keys = {(i["sha256"], i["entity"]) for i in prev_inputs}
    skipped = [i.path for i in inputs if (i.sha256, i.entity) in done_keys]
    todo = [i for i in inputs if (i.sha256, i.entity) not in done_keys]
    # Identical files given twice in one run are staged once; the copy is reported as skipped.
    uniq: dict[tuple[str, str], InputFile] = {}
    for i in todo:
        if (i.sha256, i.entity) in uniq:
            skipped.append(i.path)
        else:
            uniq[(i.sha256, i.entity)] = i
    todo = list(uniq.values())
    if skipped:
        log.info("%d input(s) already in the store (same checksum), skipped", len(skipped))
    work = root / "work"
    if prev is not None and not todo:  # nothing new: the published version stays as it is
        shutil.rmtree(work, ignore_errors=True)
        log.info("nothing new to ingest; store %s stays at version %s", root, prev.version)
        return IngestReport(
            store=prev, inputs=[], read=0, kept=0, rejected=0, replaced=0, rejected_by_reason={},
            warnings=[], skipped_inputs=skipped, first_errors=[],
        )
    work.mkdir(exist_ok=True)

    # -- stage (parallel over files; each DuckDB connection gets a share of the cores)
    t_stage = time.perf_counter()
    staged: list[_Staged] = []
    workers = max(1, min(threads, len(todo)))
    per = max(1, threads // workers)
    tick("stage", 0, len(todo))
    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(
                _stage, i, work / f"{i.sha256[:32]}-{i.entity}", on_error=on_error, threads=per, memory_limit=memory_limit
            ): i
            for i in todo
        }
        try:
            for n, fut in enumerate(cf.as_completed(futures), start=1):
                staged.append(fut.result())
                tick("stage", n, len(todo))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    order = {(i.sha256, i.entity): n for n, i in enumerate(todo)}
    staged.sort(key=lambda s: order[(s.inp.sha256, s.inp.entity)])
    base_id = (max((i["input_id"] for i in prev_inputs), default=-1) + 1) if prev_inputs else 0
    input_ids = {s.inp.sha256 + s.inp.entity: base_id + n for n, s in enumerate(staged)}

    # -- merge and publish
    t_merge = time.perf_counter()
    tick("merge", 0, len(TABLES))
    con = _connect(threads, memory_limit, work / "duckdb-merge")
    try:
        with VersionWriter(root) as writer:
            replaced = 0
            losers: list[tuple[str, int, str]] = []
            done_tables = 0
            for ent, table_sql in (("works", _WORK_TABLE_SQL), ("authors", _AUTHOR_TABLE_SQL)):
                ent_staged = [s for s in staged if s.inp.entity == ent]
                if not ent_staged and prev is None:
                    continue
                r, lo, simple = _merge_entity(con, ent, staged, input_ids, prev)  # type: ignore[arg-type]
                replaced += r
                losers += lo
                for table in table_sql:
                    sql = _merged_table_sql(staged, input_ids, ent, table, prev, simple)
                    # Row order carries no meaning (the content hash ignores it): no global sort.
                    _copy(con, sql, table, writer.path(table), sort=False)
                    done_tables += 1
                    tick("merge", done_tables, len(TABLES))
                if ent == "works":
                    for table in _ENTITY_SQL:
                        cols = _cols(table)
                        idc = TABLES[table].key[0]
                        parts = []
                        if ent_staged:
                            scan = _staged_scan(staged, input_ids, "works", "obs_" + table)
                            parts.append(f"SELECT {cols}, input_id, _ord, pos FROM ({scan})")
                        if prev is not None:
                            parts.append(f"SELECT {cols}, -1 AS input_id, 0 AS _ord, 0 AS pos FROM read_parquet('{prev.table_path(table)}')")
                        ranked = f"""SELECT {cols} FROM (
                            SELECT *, row_number() OVER (PARTITION BY {idc} ORDER BY input_id DESC, _ord DESC, pos DESC) AS rk
                            FROM ({' UNION ALL '.join(parts)})) WHERE rk = 1"""
                        _copy(con, ranked, table, writer.path(table))
                        done_tables += 1
                        tick("merge", done_tables, len(TABLES))

            # quarantine: previous rows, this run's bad records, this run's losing duplicates
            q_parts = []
            if prev is not None:
                q_parts.append(pq.read_table(prev.table_path("quarantine"), schema=arrow_schema("quarantine")))
            for s in staged:
                q = pq.read_table(s.dir / "quarantine.parquet", schema=arrow_schema("quarantine"))
                if q.num_rows:
                    q = q.set_column(0, "input_id", pa.array([input_ids[s.inp.sha256 + s.inp.entity]] * q.num_rows, pa.int32()))
                    q_parts.append(q)
            loser_rows = _loser_rows(losers, staged, input_ids, on_error)
            if loser_rows:
                q_parts.append(pa.Table.from_pylist(loser_rows, schema=arrow_schema("quarantine")))
            qschema = arrow_schema("quarantine")
            quarantine = pa.concat_tables([q.cast(qschema) for q in q_parts]) if q_parts else qschema.empty_table()
            if quarantine.num_rows:
                quarantine = quarantine.sort_by([("input_id", "ascending"), ("line", "ascending")])
            writer.write_table("quarantine", quarantine)
            tick("merge", len(TABLES), len(TABLES))

            # accounting per input
            lost_by_input: dict[int, int] = {}
            for _id, iid, _reason in losers:
                lost_by_input[iid] = lost_by_input.get(iid, 0) + 1
            new_inputs = []
            reasons: dict[str, int] = {}
            for row in loser_rows:
                k = _reason_class(row["reason"])
                reasons[k] = reasons.get(k, 0) + 1
            warnings: list[str] = []
            first_errors: list[dict[str, Any]] = []
            for s in staged:
                iid = input_ids[s.inp.sha256 + s.inp.entity]
                rejected = s.rejected + lost_by_input.get(iid, 0)
                kept = s.read - rejected
                warnings += s.warnings
                new_inputs.append(
                    {
                        "input_id": iid,
                        **{k: v for k, v in asdict(s.inp).items()},
                        "read": s.read,
                        "kept": kept,
                        "rejected": rejected,
                        "checked_record_by_record": s.path_taken == "checked",
                        "ingested_in": writer.version,
                    }
                )
                if s.rejected:
                    q = pq.read_table(s.dir / "quarantine.parquet")
                    first_errors += [
                        {k: r[k] for k in ("file", "line", "field", "reason")} for r in q.slice(0, 5).to_pylist()
                    ]
                    for r in q.column("reason").to_pylist():
                        k = _reason_class(r)
                        reasons[k] = reasons.get(k, 0) + 1
            read = sum(i["read"] for i in new_inputs)
            kept = sum(i["kept"] for i in new_inputs)
            rejected = sum(i["rejected"] for i in new_inputs)
            if read != kept + rejected:  # pragma: no cover - an internal invariant
                raise IngestError(f"accounting does not reconcile: read {read} != kept {kept} + rejected {rejected}")
            manifest = {
                "inputs": prev_inputs + new_inputs,
                "counts": {"read": read, "kept": kept, "rejected": rejected, "replaced": replaced},
                "rejected_by_reason": dict(sorted(reasons.items())),
                "warnings": warnings,
                "skipped_inputs": skipped,
                "previous_version": prev.version if prev else None,
                "options": {"on_error": on_error},
                "simulated": bool(prev.manifest.get("simulated")) if prev else False,
            }
            manifest["simulated"] = manifest["simulated"] or _is_simulated(new_inputs)
            # Tables this ingest does not write (work_sources, cited_references … of junkan.sources.merge, the
            # export readers' work_funding_texts): keep the previous version's rows rather than publish them empty.
            if prev is not None:
                for name in TABLES:
                    if not writer.path(name).exists() and prev.table_path(name).exists():
                        shutil.copyfile(prev.table_path(name), writer.path(name))
            t_publish = time.perf_counter()
            published = writer.publish(manifest)
    finally:
        con.close()
    shutil.rmtree(work, ignore_errors=True)
    timings = {
        "stage": t_merge - t_stage,
        "read": sum(s.seconds.get("read", 0.0) for s in staged),
        "flatten": sum(s.seconds.get("flatten", 0.0) for s in staged),
        "merge": t_publish - t_merge,
        "publish": time.perf_counter() - t_publish,
    }
    log.info("ingest timings (s): %s", ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    return IngestReport(
        store=published,
        inputs=new_inputs,
        read=read,
        kept=kept,
        rejected=rejected,
        replaced=replaced,
        rejected_by_reason=dict(sorted(reasons.items())),
        warnings=warnings,
        skipped_inputs=skipped,
        first_errors=first_errors[:10],
        timings=timings,
    )


def _is_simulated(inputs: list[dict[str, Any]]) -> bool:
    """True when the inputs come from a junkan simulated world (``simulation.json`` at its root)."""
    for i in inputs:
        for parent in Path(i["path"]).parents:
            marker = parent / "simulation.json"
            if marker.exists():
                try:
                    return bool(json.loads(marker.read_text(encoding="utf-8")).get("simulated", False))
                except ValueError:
                    return False
    return False


def _reason_class(reason: str) -> str:
    r = reason.lower()
    if r.startswith("malformed json"):
        return "malformed_json"
    if r.startswith("truncated"):
        return "truncated_file"
    if "no id" in r or r.startswith("id "):
        return "bad_id"
    if r.startswith(("duplicate_id", "superseded", "stale")):
        return r.split(":")[0]
    return "wrong_type"


def _loser_rows(
    losers: list[tuple[str, int, str]],
    staged: list[_Staged],
    input_ids: dict[str, int],
    on_error: OnError,
) -> list[dict[str, Any]]:
    if not losers:
        return []
    if on_error == "raise" and any(r == "duplicate_id" for _, _, r in losers):
        rid, iid, _ = next(x for x in losers if x[2] == "duplicate_id")
        s = next(s for s in staged if input_ids[s.inp.sha256 + s.inp.entity] == iid)
        raise BadInputError(f"duplicate id {rid} (another record has the same id and date)", file=s.inp.path, field="id")
    by_input: dict[int, set[str]] = {}
    for rid, iid, _ in losers:
        by_input.setdefault(iid, set()).add(rid)
    rows = []
    for s in staged:
        iid = input_ids[s.inp.sha256 + s.inp.entity]
        if iid not in by_input:
            continue
        raw = _find_raw(s.inp.path, s.inp.format, by_input[iid])
        used: dict[str, int] = {}
        for rid, liid, reason in losers:
            if liid != iid:
                continue
            # Losers of one input are its earliest occurrences (the last line of a file wins a tie).
            k = used.get(rid, 0)
            used[rid] = k + 1
            occurrences = raw.get(rid, [])
            line, text = occurrences[k] if k < len(occurrences) else (None, None)
            why = {
                "duplicate_id": "duplicate_id: another record has the same id and the same date; the later one is kept",
                "superseded": "superseded: a newer version of this record was ingested in the same run",
                "stale": "stale: the store already holds a newer version of this record",
            }[reason]
            rows.append(
                {
                    "input_id": iid,
                    "file": s.inp.path,
                    "line": line,
                    "record_id": rid,
                    "field": "id",
                    "reason": why,
                    "raw": None if on_error == "skip" else text,
                }
            )
    return rows
