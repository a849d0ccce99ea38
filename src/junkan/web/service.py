"""The dashboard's data side: store versions, strict parameters, chart results cached per store version.

Everything the web app shows comes from :class:`Dashboard`. It opens the store read-only, notices a newly
published store version (``CURRENT`` is re-read at most once per ``check_interval`` seconds), validates
request parameters against what the store holds, and renders charts of the chart catalog
(:mod:`junkan.charts.catalog`) once per *(store version, chart, parameters)*: lazily on first request, kept
in memory (bounded LRU) and on disk in a cache folder outside the store, so a restarted server answers
from disk. Cached chart results are kept as ready JSON bytes, so a cache hit costs no serialisation.

One DuckDB connection is not thread-safe: all engine work runs under one lock, in worker threads (the
web app never queries on its event loop).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from junkan import __version__
from junkan.engine import Engine, connect
from junkan.errors import ConfigError, JunkanError
from junkan.export import write_table
from junkan.model.countries import COUNTRY_NAMES, country_name
from junkan.store import CURRENT, Store, open_store

__all__ = [
    "COUNTINGS",
    "DOWNLOAD_FORMATS",
    "LANGS",
    "PARAMETERS",
    "ChartEntry",
    "Dashboard",
    "ParamError",
    "StoreMeta",
    "default_cache_dir",
]

log = logging.getLogger(__name__)

LANGS = ("ja", "en")
COUNTINGS = ("whole", "fractional")
#: download format -> media type
DOWNLOAD_FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "png": "image/png",
    "svg": "image/svg+xml",
}
#: the query parameters every page, JSON twin and download accepts (nothing else is accepted)
PARAMETERS = ("country", "field", "start", "end", "counting", "lang")
MAX_QUERY_LENGTH = 1024
_RE_COUNTRY = re.compile(r"[A-Za-z]{2}")
_RE_YEAR = re.compile(r"[0-9]{4}")
_RE_FIELD = re.compile(r"[0-9]{1,4}")


class ParamError(JunkanError, ValueError):
    """A request parameter is missing, malformed or outside what the store holds (HTTP 400)."""

    def __init__(self, message: str, *, parameter: str | None = None, status: int = 400) -> None:
        self.parameter = parameter
        self.status = status
        super().__init__(message)


def default_cache_dir() -> Path:
    """``$JUNKAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/junkan/dashboard``, else ``~/.cache/junkan/dashboard``."""
    if os.environ.get("JUNKAN_CACHE_DIR"):
        return Path(os.environ["JUNKAN_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "junkan" / "dashboard"


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=_default)


def _default(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_FINGERPRINTS: dict[str, str] = {}


def _code_fingerprint(catalog: ModuleType) -> str:
    """Changes when the chart code changes, so that cached results of older chart code are not served.

    Computed once per process (the code a process runs is the code it imported).
    """
    src = getattr(catalog, "__file__", None) or ""
    if src in _FINGERPRINTS:
        return _FINGERPRINTS[src]
    h = hashlib.sha256(__version__.encode())
    if src:
        pkg = Path(src).parent
        for p in sorted(pkg.rglob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    _FINGERPRINTS[src] = h.hexdigest()[:12]
    return _FINGERPRINTS[src]


GZIP_MIN_BYTES = 1024


def gzipped(body: bytes) -> bytes | None:
    """``body`` compressed once for clients that accept gzip (None when too small to be worth it)."""
    return gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None


def png_with_text(png: bytes, key: str, text: str) -> bytes:
    """Insert an ``iTXt`` chunk (UTF-8 ``key``/``text``) before ``IEND``: provenance travels inside the PNG."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or png[-12:-8] != b"\x00\x00\x00\x00" or png[-8:-4] != b"IEND":
        raise ConfigError("not a PNG image ending with IEND")
    body = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    chunk = len(body).to_bytes(4, "big") + b"iTXt" + body + zlib.crc32(b"iTXt" + body).to_bytes(4, "big")
    return png[:-12] + chunk + png[-12:]


@dataclass(frozen=True)
class StoreMeta:
    """What the selectors offer and the data-quality page shows, computed once per store version."""

    version: str
    content_hash: str | None
    simulated: bool
    countries: dict[str, int]  # code -> works with an authorship in that country, most first
    fields: dict[int, str]  # field id -> name
    years: tuple[int, int] | None
    quarantine: list[dict[str, Any]]  # [{"reason": ..., "records": n}], most first
    manifest: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "content_hash": self.content_hash,
            "simulated": self.simulated,
            "countries": self.countries,
            "fields": {str(k): v for k, v in self.fields.items()},
            "years": list(self.years) if self.years else None,
            "quarantine": self.quarantine,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], manifest: dict[str, Any]) -> StoreMeta:
        return cls(
            version=doc["version"],
            content_hash=doc["content_hash"],
            simulated=bool(doc["simulated"]),
            countries={str(k): int(v) for k, v in doc["countries"].items()},
            fields={int(k): str(v) for k, v in doc["fields"].items()},
            years=tuple(doc["years"]) if doc["years"] else None,  # type: ignore[arg-type]
            quarantine=list(doc["quarantine"]),
            manifest=manifest,
        )


def compute_meta(engine: Engine) -> StoreMeta:
    """Countries (with their number of works), fields, years and quarantine reasons of a store, with the engine."""
    store = engine.store
    ac = engine.table("authorship_countries")
    countries = engine.to_pyarrow(
        ac.filter(ac.country_code.notnull() & (ac.country_code.length() == 2))
        .group_by("country_code")
        .aggregate(works=ac.work_id.nunique())
        .order_by([ac.country_code])
    ).to_pylist()
    countries.sort(key=lambda r: (-r["works"], r["country_code"]))
    w = engine.table("works")
    yr = engine.to_pyarrow(w.aggregate(lo=w.publication_year.min(), hi=w.publication_year.max())).to_pylist()[0]
    fids = engine.to_pyarrow(w.filter(w.field_id.notnull()).select("field_id").distinct()).column("field_id").to_pylist()
    t = engine.table("topics")
    names = {
        r["field_id"]: r["field_name"]
        for r in engine.to_pyarrow(
            t.filter(t.field_id.notnull()).group_by("field_id").aggregate(field_name=t.field_name.max())
        ).to_pylist()
    }
    q = engine.table("quarantine")
    quarantine = engine.to_pyarrow(q.group_by("reason").aggregate(records=q.count())).to_pylist()
    quarantine.sort(key=lambda r: (-r["records"], r["reason"]))
    return StoreMeta(
        version=store.version,
        content_hash=store.manifest.get("content_hash"),
        simulated=bool(store.manifest.get("simulated", False)),
        countries={r["country_code"]: int(r["works"]) for r in countries},
        fields={int(f): names.get(f) or f"field {f}" for f in sorted(fids)},
        years=(int(yr["lo"]), int(yr["hi"])) if yr["lo"] is not None else None,
        quarantine=[{"reason": r["reason"], "records": int(r["records"])} for r in quarantine],
        manifest=store.manifest,
    )


@dataclass
class ChartEntry:
    """One rendered chart: the JSON twin's bytes, and (when it rendered) its data table and spec."""

    chart_id: str
    body: bytes  # JSON object of the chart (or {"id", "error"} when it could not be rendered)
    ok: bool
    table: pa.Table | None = None
    spec: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    gz: bytes | None = None  # the body gzip-compressed (large bodies only)

    def __post_init__(self) -> None:
        if self.gz is None:
            self.gz = gzipped(self.body)

    def doc(self) -> dict[str, Any]:
        return orjson.loads(self.body)


@dataclass
class _State:
    store: Store
    engine: Engine
    meta: StoreMeta
    dir: Path  # cache folder of this store version and chart code


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            v = self.data.get(key)
            if v is not None:
                self.data.move_to_end(key)
            return v

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


class Dashboard:
    """The dashboard over one store: parameters, cached chart results, pages, downloads.

    ``catalog`` is the chart catalog module (default :mod:`junkan.charts.catalog`); ``cache_dir`` a folder
    outside the store (default :func:`default_cache_dir`). The store is only read.
    """

    def __init__(
        self,
        store: str | os.PathLike[str],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        catalog: ModuleType | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        check_interval: float = 1.0,
        memory_entries: int = 4096,
    ) -> None:
        if catalog is None:
            from junkan.charts import catalog as _catalog

            catalog = _catalog
        self.catalog = catalog
        self.root = Path(store).resolve()
        self.cache_root = Path(cache_dir).resolve() if cache_dir else default_cache_dir().resolve()
        if self.cache_root == self.root or self.root in self.cache_root.parents:
            raise ConfigError(f"the cache folder {self.cache_root} is inside the store {self.root}; the store is read-only")
        self.threads = threads
        self.memory_limit = memory_limit
        self.check_interval = check_interval
        self.fingerprint = _code_fingerprint(catalog)
        self.engine_lock = threading.RLock()
        self.reload_lock = threading.Lock()
        self.render_lock = threading.Lock()  # PNG/SVG rendering and download files
        self.charts = _LRU(memory_entries)
        self.pages = _LRU(memory_entries)
        self.misc = _LRU(256)
        self._state: _State | None = None
        self._checked = 0.0
        self.refresh(force=True)

    # ---- store versions -------------------------------------------------------------------------------
    @property
    def state(self) -> _State:
        assert self._state is not None
        return self._state

    def needs_check(self) -> bool:
        return time.monotonic() - self._checked >= self.check_interval

    def refresh(self, *, force: bool = False) -> bool:
        """Re-read ``CURRENT``; open the newly published store version if it changed. Returns True on change."""
        self._checked = time.monotonic()
        try:
            current = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except OSError:
            current = None
        if not force and self._state is not None and current == self._state.store.version:
            return False
        with self.reload_lock:
            if not force and self._state is not None and current == self._state.store.version:
                return False
            try:
                store = open_store(self.root)
            except JunkanError as exc:
                if self._state is None:
                    raise
                log.warning("store %s: keeping version %s: %s", self.root, self._state.store.version, exc)
                return False
            engine = connect(store, threads=self.threads, memory_limit=self.memory_limit)
            slug = hashlib.sha256(str(self.root).encode()).hexdigest()[:10]
            chash = (store.manifest.get("content_hash") or "nohash")[:12]
            vdir = self.cache_root / f"{slug}-{store.version}-{chash}-{self.fingerprint}"
            meta = self._load_meta(engine, vdir)
            old = self._state
            self._state = _State(store=store, engine=engine, meta=meta, dir=vdir)
            self.charts.clear()
            self.pages.clear()
            self.misc.clear()
            if old is not None:
                with self.engine_lock:
                    old.engine.close()
                log.info("store %s: now serving version %s (was %s)", self.root, store.version, old.store.version)
            return True

    def _load_meta(self, engine: Engine, vdir: Path) -> StoreMeta:
        path = vdir / "meta.json"
        if path.exists():
            try:
                return StoreMeta.from_json(json.loads(path.read_text(encoding="utf-8")), engine.store.manifest)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring unreadable dashboard cache file %s (%s)", path, exc)
        with self.engine_lock:
            meta = compute_meta(engine)
        _write_atomic(path, _dumps(meta.to_json()))
        return meta

    # ---- parameters -----------------------------------------------------------------------------------
    def default_country(self) -> str:
        countries = self.state.meta.countries
        if "JP" in countries or not countries:
            return "JP"
        return next(iter(countries))

    def parse_params(self, items: Iterable[tuple[str, str]]) -> Any:
        """Strictly validated :class:`ChartParams` from query items; :class:`ParamError` names the parameter."""
        meta = self.state.meta
        seen: dict[str, str] = {}
        for k, v in items:
            if k not in PARAMETERS:
                shown = k if len(k) <= 40 else k[:40] + "…"
                raise ParamError(f"unknown parameter {shown!r}; parameters are: {', '.join(PARAMETERS)}", parameter=shown)
            if k in seen:
                raise ParamError(f"parameter {k!r} is given more than once", parameter=k)
            seen[k] = v
        country = seen.get("country") or self.default_country()
        if not _RE_COUNTRY.fullmatch(country):
            raise ParamError(f"country must be a two-letter ISO 3166-1 code such as JP, not {_short(country)}", parameter="country")
        country = country.upper()
        if country not in meta.countries:
            known = ", ".join(list(meta.countries)[:12])
            raise ParamError(
                f"country {country!r} is not in this store (store version {meta.version}); "
                f"countries with most works: {known}{', …' if len(meta.countries) > 12 else ''} (see /api/meta)",
                parameter="country",
            )
        lang = seen.get("lang") or "ja"
        if lang not in LANGS:
            raise ParamError(f"lang must be one of {', '.join(LANGS)}, not {_short(lang)}", parameter="lang")
        counting = seen.get("counting") or "whole"
        if counting not in COUNTINGS:
            raise ParamError(f"counting must be one of {', '.join(COUNTINGS)}, not {_short(counting)}", parameter="counting")
        fid: int | None = None
        fv = seen.get("field") or ""
        if fv not in ("", "all"):
            if not _RE_FIELD.fullmatch(fv):
                raise ParamError(f"field must be an OpenAlex field id (a number such as 17) or 'all', not {_short(fv)}", parameter="field")
            fid = int(fv)
            if fid not in meta.fields:
                raise ParamError(
                    f"field {fid} is not in this store; fields: {', '.join(str(f) for f in meta.fields)}", parameter="field"
                )
        years: dict[str, int | None] = {}
        for name in ("start", "end"):
            v = seen.get(name) or ""
            if v == "":
                years[name] = None
                continue
            if not _RE_YEAR.fullmatch(v):
                raise ParamError(f"{name} must be a four-digit year, not {_short(v)}", parameter=name)
            y = int(v)
            if meta.years is None or not meta.years[0] <= y <= meta.years[1]:
                span = f"{meta.years[0]}–{meta.years[1]}" if meta.years else "none (the store has no works)"
                raise ParamError(f"{name} {y} is outside the store's publication years ({span})", parameter=name)
            years[name] = y
        if years["start"] is not None and years["end"] is not None and years["start"] > years["end"]:
            raise ParamError(f"start {years['start']} is after end {years['end']}", parameter="start")
        return self.catalog.ChartParams(
            country=country, lang=lang, start=years["start"], end=years["end"], field=fid, counting=counting
        )

    @staticmethod
    def query_of(params: Any, **override: Any) -> dict[str, str]:
        """The canonical query parameters of ``params`` (for links); ``override`` replaces values."""
        q = {
            "country": params.country,
            "field": "" if params.field is None else str(params.field),
            "start": "" if params.start is None else str(params.start),
            "end": "" if params.end is None else str(params.end),
            "counting": params.counting,
            "lang": params.lang,
        }
        q.update({k: str(v) for k, v in override.items()})
        return {k: v for k, v in q.items() if v != ""}

    # ---- charts ---------------------------------------------------------------------------------------
    def chart_ids(self, page: str | None = None) -> list[str]:
        return [cid for cid, c in self.catalog.CATALOG.items() if page is None or c.page == page]

    def check_chart(self, chart_id: str) -> None:
        if chart_id not in self.catalog.CATALOG:
            raise ParamError(f"unknown chart {_short(chart_id)}; charts are listed at /api/meta", parameter="chart", status=404)

    def check_page(self, page: str) -> None:
        if page not in self.catalog.PAGES:
            raise ParamError(f"unknown page {_short(page)}; pages: {', '.join(self.catalog.PAGES)}", parameter="page", status=404)

    @staticmethod
    def _key(st: _State, chart_id: str, params: Any) -> tuple[str, str, str]:
        return (st.store.version, chart_id, params.key())

    @staticmethod
    def _file(st: _State, chart_id: str, params: Any, ext: str) -> Path:
        digest = hashlib.sha256(params.key().encode()).hexdigest()[:24]
        return st.dir / "charts" / chart_id / f"{digest}.{ext}"

    def cached_chart(self, chart_id: str, params: Any) -> ChartEntry | None:
        """The chart from memory, without blocking (None when it is not in memory)."""
        return self.charts.get(self._key(self.state, chart_id, params))

    def chart(self, chart_id: str, params: Any) -> ChartEntry:
        """The chart for ``params``: from memory, from disk, or rendered now (blocking; call from a worker thread)."""
        self.check_chart(chart_id)
        st = self.state  # one store version for the whole call, even if a new one is published meanwhile
        key = self._key(st, chart_id, params)
        hit = self.charts.get(key)
        if hit is not None:
            return hit
        jpath, ppath = self._file(st, chart_id, params, "json"), self._file(st, chart_id, params, "parquet")
        if jpath.exists() and ppath.exists():
            try:
                entry = ChartEntry(chart_id, jpath.read_bytes(), True, table=pq.read_table(ppath))
                doc = entry.doc()
                entry.spec, entry.provenance = doc["spec"], doc["provenance"]
                self.charts.put(key, entry)
                return entry
            except (OSError, ValueError, KeyError, pa.ArrowInvalid) as exc:
                log.warning("ignoring unreadable dashboard cache file %s (%s)", jpath, exc)
        with self.engine_lock:
            hit = self.charts.get(key)  # rendered by another thread meanwhile
            if hit is not None:
                return hit
            entry = self._render(st, chart_id, params)
            self.charts.put(key, entry)
        if entry.ok:
            assert entry.table is not None
            sink = pa.BufferOutputStream()
            pq.write_table(entry.table, sink, compression="zstd")
            _write_atomic(ppath, sink.getvalue().to_pybytes())
            _write_atomic(jpath, entry.body)
        return entry

    def _render(self, st: _State, chart_id: str, params: Any) -> ChartEntry:
        cdef = self.catalog.CATALOG[chart_id]
        t0 = time.perf_counter()
        try:
            res = self.catalog.render(chart_id, st.engine, params)
        except JunkanError as exc:
            # a valid request the data cannot answer (e.g. no works of the country in a field): shown in place
            log.info("chart %s %s: %s", chart_id, params.key(), exc)
            body = _dumps({"id": chart_id, "page": cdef.page, "title": cdef.title.get(params.lang, chart_id),
                           "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__})
            return ChartEntry(chart_id, body, False, status=422)
        except Exception:
            log.exception("chart %s failed for %s", chart_id, params.key())
            body = _dumps({"id": chart_id, "page": cdef.page, "title": cdef.title.get(params.lang, chart_id),
                           "error": f"internal error while computing chart {chart_id} (logged on the server)"})
            return ChartEntry(chart_id, body, False, status=500)
        prov = {**st.engine.provenance, **(res.provenance or {})}
        prov.setdefault("chart", chart_id)
        prov.setdefault("parameters", self.query_of(params))
        table = res.table
        doc = {
            "id": chart_id,
            "page": cdef.page,
            "title": res.title,
            "spec": res.spec,
            "columns": table.column_names,
            "table": table.to_pylist(),
            "caption": res.caption,
            "takeaway": res.takeaway,
            "source": cdef.source.get(params.lang, ""),
            "briefing_page": cdef.briefing_page,
            "provenance": prov,
            "parameters": self.query_of(params),
            "downloads": {fmt: self.download_url(chart_id, fmt, params) for fmt in DOWNLOAD_FORMATS},
        }
        log.info("rendered chart %s for %s in %.2f s", chart_id, params.key(), time.perf_counter() - t0)
        return ChartEntry(chart_id, _dumps(doc), True, table=table, spec=res.spec, provenance=prov)

    def download_url(self, chart_id: str, fmt: str, params: Any) -> str:
        from urllib.parse import urlencode

        return f"/download/{chart_id}.{fmt}?{urlencode(self.query_of(params))}"

    # ---- pages ----------------------------------------------------------------------------------------
    def cached_page(self, page: str, params: Any) -> tuple[bytes, bytes | None] | None:
        return self.pages.get((self.state.store.version, page, params.key()))

    def page(self, page: str, params: Any) -> tuple[bytes, bytes | None]:
        """The JSON twin of a page and its gzip form (blocking on first use)."""
        self.check_page(page)
        key = (self.state.store.version, page, params.key())
        hit = self.pages.get(key)
        if hit is not None:
            return hit
        entries = [self.chart(cid, params) for cid in self.chart_ids(page)]
        head = {
            "page": page,
            "title": self.catalog.PAGES[page].get(params.lang, page),
            "parameters": self.query_of(params),
            "store": self.store_info(),
        }
        if page == "quality":
            head["quality"] = self.quality()
        if page == "overview":
            head["summary"] = self.summary(params)
            head["findings"] = self.findings(params, exclude=page)
        body = _dumps(head)[:-1] + b',"charts":[' + b",".join(e.body for e in entries) + b"]}"
        self.pages.put(key, (body, gzipped(body)))
        return self.pages.get(key) or (body, gzipped(body))

    def findings(self, params: Any, *, exclude: str) -> list[dict[str, Any]]:
        """The one-line takeaway of every chart on the other pages, with a link to its page."""
        from urllib.parse import urlencode

        out = []
        for cid in self.chart_ids():
            cdef = self.catalog.CATALOG[cid]
            if cdef.page == exclude:
                continue
            doc = self.chart(cid, params).doc()
            item = {"id": cid, "page": cdef.page, "page_title": self.catalog.PAGES.get(cdef.page, {}).get(params.lang, cdef.page),
                    "title": doc["title"], "url": f"/{cdef.page}?{urlencode(self.query_of(params))}#chart-{cid}"}
            item.update({"error": doc["error"]} if "error" in doc else {"takeaway": doc["takeaway"]})
            out.append(item)
        return out

    def summary(self, params: Any) -> dict[str, Any]:
        """Size of the store and of the focus country in it."""
        meta = self.state.meta
        return {
            "works": self.state.store.row_count("works"),
            "countries": len(meta.countries),
            "fields": len(meta.fields),
            "years": list(meta.years) if meta.years else None,
            "country": params.country,
            "country_name": _country_label(params.country, params.lang),
            "country_works": meta.countries.get(params.country, 0),
        }

    def store_info(self) -> dict[str, Any]:
        st = self.state
        return {**st.engine.provenance, "works": st.store.row_count("works")}

    def quality(self) -> dict[str, Any]:
        """Manifest, inputs, table row counts, read = kept + rejected, quarantine by reason."""
        st = self.state
        m = st.store.manifest
        return {
            "store_version": st.store.version,
            "content_hash": m.get("content_hash"),
            "content_hash_method": m.get("content_hash_method"),
            "created": m.get("created"),
            "schema_version": m.get("schema_version"),
            "junkan_version": m.get("junkan_version"),
            "simulated": bool(m.get("simulated", False)),
            "counts": m.get("counts", {}),
            "inputs": [
                {k: i.get(k) for k in ("source", "entity", "path", "sha256", "read", "kept", "rejected", "ingested_in")
                 if i.get(k) is not None}
                for i in m.get("inputs", [])
            ],
            "tables": {name: {"rows": t.get("rows"), "sha256": t.get("sha256")} for name, t in m.get("tables", {}).items()},
            "quarantine_by_reason": st.meta.quarantine,
        }

    def meta_doc(self, lang: str = "ja") -> dict[str, Any]:
        """Everything a client needs to build valid requests: pages, charts, parameter choices, defaults."""
        st = self.state
        meta = st.meta
        return {
            "store": self.store_info(),
            "pages": [{"id": k, "title": v.get(lang, k), "html": f"/{k}", "json": f"/api/pages/{k}"} for k, v in self.catalog.PAGES.items()],
            "charts": [
                {"id": cid, "page": c.page, "title": c.title.get(lang, cid), "json": f"/api/charts/{cid}"}
                for cid, c in self.catalog.CATALOG.items()
            ],
            "parameters": {
                "country": [{"code": c, "name": _country_label(c, lang), "works": n} for c, n in meta.countries.items()],
                "field": [{"id": k, "name": v} for k, v in meta.fields.items()],
                "years": list(meta.years) if meta.years else None,
                "counting": list(COUNTINGS),
                "lang": list(LANGS),
            },
            "defaults": {"country": self.default_country(), "lang": "ja", "counting": "whole", "field": None},
            "downloads": list(DOWNLOAD_FORMATS),
        }

    # ---- downloads ------------------------------------------------------------------------------------
    def download(self, chart_id: str, fmt: str, params: Any) -> tuple[Path, str, dict[str, Any]]:
        """The file of a download (written once per store version and parameters) and the name to offer."""
        self.check_chart(chart_id)
        if fmt not in DOWNLOAD_FORMATS:
            raise ParamError(f"unknown download format {_short(fmt)}; formats: {', '.join(DOWNLOAD_FORMATS)}", parameter="format", status=404)
        entry = self.chart(chart_id, params)
        if not entry.ok:
            raise ParamError(entry.doc()["error"], parameter="chart", status=entry.status if entry.status < 500 else 500)
        name = _safe_name(chart_id, params, fmt)
        path = self._file(self.state, chart_id, params, f"dl.{fmt}")
        prov = entry.provenance
        if path.exists():
            return path, name, prov
        with self.render_lock:
            if path.exists():
                return path, name, prov
            if fmt == "png":
                data = png_with_text(self.catalog.to_png(entry.spec), "junkan:provenance", json.dumps(prov, ensure_ascii=False, default=str))
                _write_atomic(path, data)
            elif fmt == "svg":
                svg = self.catalog.to_svg(entry.spec)
                comment = json.dumps(prov, ensure_ascii=False, default=str).replace("--", "- -")
                svg = svg.replace(">", f"><!-- junkan provenance: {comment} -->", 1) if svg.lstrip().startswith("<svg") else svg
                _write_atomic(path, svg.encode("utf-8"))
            else:
                assert entry.table is not None
                with tempfile.TemporaryDirectory(dir=path.parent if path.parent.exists() else None) as tmp:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    out = write_table(entry.table, Path(tmp) / f"out.{fmt}", fmt, prov)
                    os.replace(out, path)
        return path, name, prov

    # ---- warming --------------------------------------------------------------------------------------
    def precompute(
        self,
        params_list: Iterable[Any] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, int]:
        """Render every chart and page for ``params_list`` (default: the defaults in ja and en)."""
        if params_list is None:
            country = self.default_country()
            params_list = [self.catalog.ChartParams(country=country, lang=lang) for lang in LANGS]
        plist = list(params_list)
        ids = self.chart_ids()
        total = len(plist) * (len(ids) + len(self.catalog.PAGES))
        done = ok = failed = 0
        for p in plist:
            for cid in ids:
                e = self.chart(cid, p)
                ok, failed = ok + e.ok, failed + (not e.ok)
                done += 1
                if progress:
                    progress("charts", done, total)
            for page in self.catalog.PAGES:
                self.page(page, p)
                done += 1
                if progress:
                    progress("charts", done, total)
        return {"charts": ok, "failed": failed, "parameter_sets": len(plist)}


def _short(v: str) -> str:
    return repr(v if len(v) <= 40 else v[:40] + "…")


def _country_label(code: str, lang: str) -> str:
    return f"{country_name(code, lang)} ({code})" if code in COUNTRY_NAMES else code


def _safe_name(chart_id: str, params: Any, fmt: str) -> str:
    parts = [chart_id, params.country, params.lang, params.counting]
    if params.field is not None:
        parts.append(f"field{params.field}")
    if params.start is not None or params.end is not None:
        parts.append(f"{params.start or ''}-{params.end or ''}")
    name = "-".join(str(p) for p in parts)
    return "junkan-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name) + f".{fmt}"


def parse_query_string(query: str) -> list[tuple[str, str]]:
    """Query items, refusing over-long query strings (HTTP 414)."""
    from urllib.parse import parse_qsl

    if len(query) > MAX_QUERY_LENGTH:
        raise ParamError(f"query string too long ({len(query)} characters; at most {MAX_QUERY_LENGTH})", status=414)
    try:
        return parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=len(PARAMETERS) + 1)
    except ValueError as exc:
        raise ParamError(f"malformed query string ({exc})") from None


def merge(query: Mapping[str, str], **override: str) -> str:
    from urllib.parse import urlencode

    q = dict(query)
    q.update(override)
    return urlencode({k: v for k, v in q.items() if v != ""})
