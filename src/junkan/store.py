"""Build and publish store versions atomically; read the manifest.

Layout of a store folder::

    STORE/
      CURRENT                 name of the published version (replaced atomically with os.replace)
      versions/v000001/       one Parquet file per table (see junkan.model.schema) + manifest.json
      versions/v000002/
      work/                   resumable staging of an ingest in progress (safe to delete)

A new version is written into ``versions/.<name>.tmp`` and renamed to ``versions/<name>`` only when
complete; ``CURRENT`` is then replaced in one ``os.replace``. Killing a writer at any moment therefore
leaves the previous version published and readable; the next run removes the unfinished folder.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from junkan import __version__
from junkan.errors import StoreError, StoreNotFoundError
from junkan.model.schema import SCHEMA_VERSION, TABLES, arrow_schema

__all__ = [
    "Store",
    "VersionWriter",
    "disk_full_error",
    "file_sha256",
    "is_disk_full",
    "open_store",
    "write_store",
]

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"


def file_sha256(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def table_content_hash(path: str | os.PathLike[str], con: duckdb.DuckDBPyConnection | None = None) -> str:
    """A hash of a Parquet table's rows that ignores row order and file layout.

    The content of a table is the multiset of its rows: two files with the same rows in another order or in
    other row groups (DuckDB's parallel writers choose them) hash the same. Computed in DuckDB as the sum,
    modulo 2^64, of its per-row hash of all columns; ``sha256`` of the files still guards their integrity.
    ``con``: a DuckDB connection to reuse (a store version hashes ~20 tables; a connection costs ~10 ms).
    """
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        con.execute("SET enable_progress_bar = false")
        names = [f.name for f in pq.read_schema(path)]
        args = ", ".join(f'"{n}"' for n in names) if names else "1"
        n, h = con.execute(
            f"SELECT count(*), coalesce(sum(hash({args})::HUGEINT) % 18446744073709551616, 0) FROM read_parquet(?)",
            [str(path)],
        ).fetchone()
    finally:
        if own:
            con.close()
    return f"{int(n)}:{int(h):016x}"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Store:
    """A published store version, opened read-only."""

    root: Path
    version: str
    manifest: dict[str, Any]

    @property
    def version_dir(self) -> Path:
        return self.root / "versions" / self.version

    def table_path(self, name: str) -> Path:
        if name not in TABLES:
            raise StoreError(f"unknown table {name!r}; tables are: {', '.join(TABLES)}")
        return self.version_dir / f"{name}.parquet"

    @property
    def tables(self) -> list[str]:
        return [n for n in TABLES if self.table_path(n).exists()]

    def row_count(self, name: str) -> int:
        return int(self.manifest.get("tables", {}).get(name, {}).get("rows", 0))

    def verify(self) -> None:
        """Check every table file against the checksum recorded in the manifest."""
        for name, meta in self.manifest.get("tables", {}).items():
            self._check_table(name, meta, full=True)

    def check_files(self) -> None:
        """Cheap check run by :func:`open_store`: every table file exists, and a file whose size or
        modification time differs from what the manifest recorded at publish time is hashed in full.

        Reliability (issue 11): a corrupted table (bytes changed in place) is reported when the store is
        opened (``connect``), naming the table and both checksums, without hashing unchanged files.
        """
        for name, meta in self.manifest.get("tables", {}).items():
            self._check_table(name, meta, full=False)

    def _check_table(self, name: str, meta: dict[str, Any], *, full: bool) -> None:
        path = self.table_path(name)
        where = f"store {self.root} version {self.version}"
        try:
            st = path.stat()
        except FileNotFoundError:
            raise StoreError(f"{where}: table {name!r}: file {path.name} is missing") from None
        if not full and "size" in meta and (st.st_size, st.st_mtime_ns) == (meta["size"], meta.get("mtime_ns")):
            return  # unchanged since publish (stores published before sizes were recorded are only checked by verify)
        if not full and "size" not in meta:
            return
        actual = file_sha256(path)
        if actual != meta.get("sha256"):
            raise StoreError(
                f"{where}: table {name!r}: {path.name} does not match its checksum in manifest.json "
                f"(sha256 expected {str(meta.get('sha256'))[:16]}…, found {actual[:16]}…; the store is corrupted: "
                "rebuild it or publish an earlier version)"
            )

    @property
    def provenance(self) -> dict[str, Any]:
        """What every table and chart derived from this store carries."""
        return {
            "store": str(self.root),
            "store_version": self.version,
            "content_hash": self.manifest.get("content_hash"),
            "created": self.manifest.get("created"),
            "junkan_version": self.manifest.get("junkan_version"),
            "simulated": bool(self.manifest.get("simulated", False)),
            "data_sources": sorted({i.get("source", "?") for i in self.manifest.get("inputs", [])}),
        }


def open_store(path: str | os.PathLike[str]) -> Store:
    """Open the published version of the store at ``path``."""
    root = Path(path)
    if not root.exists():
        raise StoreNotFoundError(f"no store at {root} (create one with `junkan ingest openalex ... --store {root}`)")
    current = root / CURRENT
    if not current.exists():
        raise StoreNotFoundError(f"{root} has no published store version (missing {CURRENT})")
    version = current.read_text(encoding="utf-8").strip()
    vdir = root / "versions" / version
    try:
        manifest = json.loads((vdir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StoreError(f"store {root}: published version {version!r} has no {MANIFEST}") from exc
    except json.JSONDecodeError as exc:
        raise StoreError(f"store {root}: {vdir / MANIFEST} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables", {}), dict):
        raise StoreError(f"store {root}: {vdir / MANIFEST} is not a junkan manifest (the store is corrupted)")
    major = str(manifest.get("schema_version", "0")).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise StoreError(
            f"store {root} has schema version {manifest.get('schema_version')}; "
            f"this junkan reads {SCHEMA_VERSION}. Rebuild the store with this version."
        )
    store = Store(root=root, version=version, manifest=manifest)
    store.check_files()  # reliability (issue 11): missing or changed table files are reported on open
    return store


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (an OSError, a DuckDB or Arrow I/O error) means the disk or quota is full."""
    return getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "no space left on device" in str(exc).lower()


def disk_full_error(root: str | os.PathLike[str], exc: BaseException) -> StoreError:
    """The clear error raised instead of a raw I/O error when a write into store ``root`` hits a full disk."""
    try:
        current = (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
        state = f"the store is unchanged: version {current} stays published"
    except OSError:
        state = "no store version was published"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"no space left on device while writing store {root} ({first}); {state}. "
        "Free some space (or pass a store on another disk) and rerun."
    )


def _next_version(root: Path) -> str:
    vroot = root / "versions"
    numbers = [
        int(p.name[1:])
        for p in vroot.glob("v*")
        if p.is_dir() and p.name[1:].isdigit()
    ] if vroot.exists() else []
    return f"v{(max(numbers) + 1) if numbers else 1:06d}"


class VersionWriter:
    """Writes one new store version; :meth:`publish` makes it current atomically.

    Usage::

        with VersionWriter(root) as w:
            w.write_table("works", arrow_table)   # or write Parquet yourself into w.path(name)
            w.publish(manifest_extra)
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        (self.root / "versions").mkdir(parents=True, exist_ok=True)
        cleanup_unfinished(self.root)
        self.version = _next_version(self.root)
        self.tmp_dir = self.root / "versions" / f".{self.version}.tmp"
        self.tmp_dir.mkdir()
        self.published = False

    def path(self, table: str) -> Path:
        return self.tmp_dir / f"{table}.parquet"

    def write_table(self, name: str, data: pa.Table) -> None:
        schema = arrow_schema(name)
        pq.write_table(data.select(schema.names).cast(schema), self.path(name), compression="zstd")

    def publish(self, manifest: dict[str, Any]) -> Store:
        """Finish the version: checksums, row counts, manifest, rename, then CURRENT."""
        tables: dict[str, Any] = {}
        for name in TABLES:
            p = self.path(name)
            if not p.exists():  # every version has every table, possibly empty
                pq.write_table(arrow_schema(name).empty_table(), p, compression="zstd")
            tables[name] = {"rows": pq.ParquetFile(p).metadata.num_rows, "sha256": file_sha256(p)}
            st = p.stat()  # reliability (issue 11): lets open_store notice a changed file without hashing it
            tables[name].update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        content = hashlib.sha256()
        with duckdb.connect() as con:
            for name in sorted(tables):
                tables[name]["content"] = table_content_hash(self.path(name), con)
                content.update(f"{name}:{tables[name]['rows']}:{tables[name]['content']}\n".encode())
        full = {
            "schema_version": SCHEMA_VERSION,
            "junkan_version": __version__,
            "version": self.version,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **manifest,
            "tables": tables,
            "content_hash": content.hexdigest(),
            "content_hash_method": f"sha256 over tables' (rows, sum of DuckDB row hashes); duckdb {duckdb.__version__}",
        }
        mpath = self.tmp_dir / MANIFEST
        with open(mpath, "w", encoding="utf-8") as f:
            json.dump(full, f, indent=2, ensure_ascii=False, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        for p in self.tmp_dir.iterdir():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
        final = self.root / "versions" / self.version
        os.rename(self.tmp_dir, final)
        _fsync_dir(self.root / "versions")
        tmp_current = self.root / f".{CURRENT}.tmp"
        with open(tmp_current, "w", encoding="utf-8") as f:
            f.write(self.version + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_current, self.root / CURRENT)
        _fsync_dir(self.root)
        self.published = True
        log.info("published store version %s at %s", self.version, self.root)
        return open_store(self.root)

    def abort(self) -> None:
        if not self.published and self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def __enter__(self) -> VersionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


def cleanup_unfinished(root: Path) -> None:
    """Remove version folders left by a killed writer (never the published one)."""
    for p in (root / "versions").glob(".v*.tmp"):
        log.info("removing unfinished store version %s", p)
        shutil.rmtree(p, ignore_errors=True)


def prune_versions(root: str | os.PathLike[str], *, keep: int = 2) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the published one). Returns removed names."""
    root = Path(root)
    current = (root / CURRENT).read_text(encoding="utf-8").strip() if (root / CURRENT).exists() else None
    versions = sorted(p.name for p in (root / "versions").glob("v*") if p.is_dir())
    removed = []
    for name in versions[:-keep] if keep > 0 else versions:
        if name != current:
            shutil.rmtree(root / "versions" / name)
            removed.append(name)
    return removed


def write_store(
    root: str | os.PathLike[str],
    tables: dict[str, pa.Table | list[dict[str, Any]]],
    *,
    manifest: dict[str, Any] | None = None,
) -> Store:
    """Publish a store version from in-memory tables (rows as dicts or Arrow tables).

    Missing tables are written empty. Used by tests with hand-computed fixtures and by readers of
    small inputs; large inputs go through :mod:`junkan.sources.openalex`.
    """
    try:
        return _write_store(root, tables, manifest)
    except OSError as exc:  # reliability (issue 11): a full disk is a clear StoreError; nothing is published
        if is_disk_full(exc):
            raise disk_full_error(root, exc) from exc
        raise


def _write_store(root: str | os.PathLike[str], tables: dict[str, Any], manifest: dict[str, Any] | None) -> Store:
    with VersionWriter(root) as w:
        for name, data in tables.items():
            if name not in TABLES:
                raise StoreError(f"unknown table {name!r}")
            schema = arrow_schema(name)
            if not isinstance(data, pa.Table):
                data = pa.Table.from_pylist(list(data), schema=schema)
            w.write_table(name, data)
        base = {"inputs": [], "counts": {"read": 0, "kept": 0, "rejected": 0}}
        return w.publish({**base, **(manifest or {})})
