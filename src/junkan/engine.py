"""One engine over a store: the same Ibis expressions on DuckDB (default) or PySpark.

>>> eng = connect("my-store")                         # doctest: +SKIP
>>> works = eng.table("works")                        # an ibis.Table
>>> works.group_by("publication_year").count().to_pyarrow()

Every analysis module takes Ibis tables and returns Ibis tables; it never names a backend. What a
backend cannot do is declared in :data:`CAPABILITIES`; asking for it raises
:class:`~junkan.errors.BackendCapabilityError` instead of silently computing something else.
"""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from junkan.errors import BackendCapabilityError, ConfigError, ResourceError
from junkan.model.schema import TABLES
from junkan.store import Store, open_store

__all__ = ["BACKENDS", "CAPABILITIES", "Engine", "connect", "resource_error", "spark_session"]

log = logging.getLogger(__name__)

BACKENDS = ("duckdb", "pyspark")

#: capability -> (backends that support it, why the others do not)
CAPABILITIES: Mapping[str, tuple[frozenset[str], str]] = {
    "exact_aggregates": (frozenset(BACKENDS), ""),
    "window_functions": (frozenset(BACKENDS), ""),
    "unnest": (frozenset(BACKENDS), ""),
    "exact_quantiles": (frozenset(BACKENDS), ""),
    "memory_limit": (frozenset({"duckdb"}), "Spark sizes memory with spark.driver/executor.memory at session start"),
    "spill_directory": (frozenset({"duckdb"}), "Spark spills to spark.local.dir, set at session start"),
    "seeded_sample": (frozenset({"duckdb"}), "Ibis 12 raises UnsupportedOperationError for Table.sample on PySpark"),
    "ordered_collect": (frozenset({"duckdb"}), "collect(order_by=...) raises on PySpark (ibis issue #11859)"),
    "pandas_udf": (frozenset({"pyspark"}), "DuckDB has no pandas UDFs in Ibis 12; junkan code is UDF-free"),
    "approximate_aggregates": (
        frozenset(),
        "approx_nunique/approx_quantile give different values per engine; junkan never uses them for results",
    ),
}


def spark_session(master: str | None = None, *, app_name: str = "junkan", conf: Mapping[str, str] | None = None) -> Any:
    """Get or create the SparkSession junkan uses (local[2] unless ``master`` or JUNKAN_SPARK_MASTER says otherwise)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on installation
        raise ConfigError("the pyspark backend needs the spark extra: pip install 'junkan[spark]' (and Java 17)") from exc
    master = master or os.environ.get("JUNKAN_SPARK_MASTER", "local[2]")
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("JUNKAN_SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("JUNKAN_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.legacy.parquet.nanosAsLong", "false")
        # Ibis plans of long analyses (a cohort evaluation runs ~460 queries) have plan strings of many MB; Spark
        # builds one per query and keeps the last ones for its status store, which exhausted a 4g driver heap
        .config("spark.sql.maxPlanStringLength", "1000000")
        .config("spark.sql.ui.retainedExecutions", "50")
    )
    for k, v in (conf or {}).items():
        builder = builder.config(k, v)
    return builder.getOrCreate()


@dataclass
class Engine:
    """Ibis tables over one published store version, on one backend."""

    store: Store
    backend: str
    con: Any
    _tables: dict[str, ibis.Table] = field(default_factory=dict)
    #: materialise shared intermediates once per engine (:meth:`cached`; DuckDB temp tables, Spark cached DataFrames)
    cache_intermediates: bool = True
    #: at most this many cached intermediates (least recently used dropped first): a long-lived engine (dashboard)
    #: asked for many option sets does not accumulate temporary tables; one indicator needs at most ~6
    max_cached: int = 24
    _cache: dict[Any, ibis.Table] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> ibis.Table:
        """The store table ``name`` as an Ibis table."""
        if name not in TABLES:
            raise ConfigError(f"unknown table {name!r}; tables are: {', '.join(TABLES)}")
        if name not in self._tables:
            path = self.store.table_path(name)
            # Spark reads a folder or file URI; DuckDB a path. Both register a named view.
            # View names are unique per engine: Spark temp views are global to the session.
            view = f"junkan_{name}_{self.store.version}_{uuid.uuid4().hex[:8]}"
            self._tables[name] = self.con.read_parquet(str(path), table_name=view)
        return self._tables[name]

    def __getattr__(self, name: str) -> ibis.Table:
        if name in TABLES:
            return self.table(name)
        raise AttributeError(name)

    def cached(self, expr: ibis.Table) -> ibis.Table:
        """``expr`` computed once per engine and reused by every structurally equal expression.

        On DuckDB the result is a temporary table (Ibis ``.cache()``), held until :meth:`close`; the key is the
        expression itself (Ibis expressions compare by structure, and they name this engine's store views, which
        carry the store version), so two indicators with the same document set and options share the table and
        different options never do. Temporary tables live in DuckDB's buffer pool and are written to the
        ``temp_directory`` under ``memory_limit``. On PySpark it is a cached DataFrame (Ibis ``.cache()``;
        Spark otherwise recomputes the intermediate in every query that uses it: the rankings parity case went
        from 283 s to 41 s). With ``cache_intermediates = False``, ``expr`` is returned unchanged
        (docs/benchmarks.md, "Indicator core").
        """
        if not self.cache_intermediates:
            return expr
        key = expr.op()
        hit = self._cache.pop(key, None)
        if hit is None:
            try:
                hit = expr.cache()
            except Exception as exc:
                err = resource_error(exc, con=self.con)
                if err is None:
                    raise
                raise err from exc
            while len(self._cache) >= max(1, self.max_cached):
                self._cache.pop(next(iter(self._cache))).release()  # least recently used
        self._cache[key] = hit  # most recently used last
        return hit

    def clear_cache(self) -> None:
        """Drop the temporary tables of the intermediates :meth:`cached` holds (expressions built on them then
        fail to execute; results already computed are unaffected)."""
        for expr in self._cache.values():
            expr.release()  # drops the table now, while the connection is open (not at garbage collection)
        self._cache.clear()

    def supports(self, capability: str) -> bool:
        try:
            backends, _ = CAPABILITIES[capability]
        except KeyError:
            raise ConfigError(f"unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}") from None
        return self.backend in backends

    def require(self, capability: str) -> None:
        """Raise :class:`BackendCapabilityError` unless the backend supports ``capability``."""
        if not self.supports(capability):
            _, why = CAPABILITIES[capability]
            raise BackendCapabilityError(f"the {self.backend} backend does not support {capability}: {why}")

    def to_pyarrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute ``expr`` on this engine and return an Arrow table.

        Running out of memory (DuckDB under its ``memory_limit``, or a Java OutOfMemoryError on Spark) raises
        :class:`~junkan.errors.ResourceError` naming the limit and what to change (:func:`resource_error`).
        """
        try:
            return self.con.to_pyarrow(expr)
        except Exception as exc:
            err = resource_error(exc, con=self.con if self.backend == "duckdb" else None)
            if err is None:
                raise
            raise err from exc

    @property
    def provenance(self) -> dict[str, Any]:
        return {**self.store.provenance, "backend": self.backend}

    def close(self) -> None:
        self.clear_cache()
        if self.backend == "duckdb":
            self.con.disconnect()


def resource_error(exc: BaseException, *, con: Any = None) -> ResourceError | None:
    """The :class:`~junkan.errors.ResourceError` for an out-of-memory failure of a backend, else None.

    DuckDB's ``OutOfMemoryException`` (a query that needs more than ``memory_limit`` and cannot spill) and Spark's
    ``java.lang.OutOfMemoryError`` are mapped; ``con`` (the Ibis DuckDB backend) lets the message quote the limit
    and spill directory in force. Used by :meth:`Engine.to_pyarrow` and by the CLI for every other execution
    (an expression's own ``.to_pyarrow()``), so that the user sees the cause instead of an internal error.
    """
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        limit = temp = None
        raw = getattr(con, "con", None)
        if raw is not None:
            try:
                limit, temp = raw.execute(
                    "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
            except duckdb.Error:  # the connection may be unusable after the failure
                pass
        detail = str(exc).splitlines()[0].removeprefix("Out of Memory Error: ")
        return ResourceError(
            f"DuckDB ran out of memory under its memory limit{f' of {limit}' if limit else ''} ({detail}); "
            "rerun with a larger limit (--memory-limit where the command has it, or connect(memory_limit=...)), "
            f"a spill directory on a disk with free space (connect(temp_directory=...){f', now {temp}' if temp else ''}) "
            "or fewer threads"
        )
    text = str(exc)
    if "java.lang.OutOfMemoryError" in text:
        kind = next((ln.strip() for ln in text.splitlines() if "java.lang.OutOfMemoryError" in ln), "")
        return ResourceError(
            f"Spark ran out of memory ({kind[:200]}); rerun with more driver or executor memory "
            "(JUNKAN_SPARK_DRIVER_MEMORY, now "
            f"{os.environ.get('JUNKAN_SPARK_DRIVER_MEMORY', '4g')}, or spark.driver.memory / spark.executor.memory "
            "on your session)"
        )
    return None


def connect(
    store: str | os.PathLike[str] | Store,
    *,
    backend: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
    spark_master: str | None = None,
    spark: Any = None,
) -> Engine:
    """Open ``store`` (a path or :class:`~junkan.store.Store`) on ``backend``.

    DuckDB options: ``threads`` (default: all cores), ``memory_limit`` such as ``"2GB"`` (DuckDB spills to
    ``temp_directory`` beyond it). PySpark options: ``spark_master`` (default ``local[2]``; a cluster URL for
    real use) or an existing ``spark`` session.
    """
    st = store if isinstance(store, Store) else open_store(store)
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        raw = con.con
        if threads:
            raw.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            raw.execute("SET memory_limit = ?", [str(memory_limit)])
        tmp = Path(temp_directory) if temp_directory else Path(tempfile.gettempdir()) / "junkan-duckdb"
        raw.execute("SET temp_directory = ?", [str(tmp)])
        raw.execute("SET preserve_insertion_order = false")
    elif backend == "pyspark":
        if memory_limit or temp_directory:
            raise BackendCapabilityError(
                "memory_limit/temp_directory are DuckDB settings; for Spark set spark.driver.memory and "
                "spark.local.dir on the session"
            )
        session = spark or spark_session(spark_master)
        importlib.import_module("ibis.backends.pyspark")  # registers the dialect (STACK.md)
        con = ibis.pyspark.connect(session)
    else:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    log.debug("connected %s on %s", st.root, backend)
    return Engine(store=st, backend=backend, con=con)
