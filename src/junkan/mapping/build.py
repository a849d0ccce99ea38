"""Build a science map: core papers → co-citation → research fronts → research areas → indicators.

METHODS §6 (NISTEP Science Map) with the clustering of Appendix A. Heavy relational work (citations, Top x%,
co-citation pairs, group-level co-citation, country weights) runs in the engine through Ibis; only the
thresholded edge lists and per-paper attributes of the core papers are collected for Leiden, terms and layout.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from junkan.errors import ConfigError
from junkan.indicators import Scope
from junkan.indicators.base import StoreTables, parse_years, work_countries
from junkan.mapping.cluster import ClusterParams, cluster_graph, renumber
from junkan.mapping.cocitation import citing_links, cocitation, core_papers, group_links
from junkan.mapping.geo import GEO_TYPES, sci_geo
from junkan.mapping.layout import LAYOUTS, layout_nodes
from junkan.mapping.terms import top_terms

__all__ = ["MapParams", "ScienceMap", "build_map", "build_series", "country_series", "load_map", "series_summary"]

log = logging.getLogger(__name__)

MAP_FORMAT = "junkan-science-map/1"
_TABLES = ("papers", "fronts", "areas", "area_countries", "countries", "front_links", "area_links")


@dataclass(frozen=True, kw_only=True)
class MapParams:
    """Every option of a map build (recorded in the map). Defaults are **[DEFAULT]** choices of METHODS §6.2.

    Core papers: ``top_pct`` % per (field, year) (1), ``tie_method`` (``nistep`` = ties in), ``min_citations``
    (1), ``census_year`` (end of window). Citing universe: ``citing_window`` (``window``/``last``/``last2``) and
    ``citing`` (profile default). Paper co-citation: ``min_cocit`` (2) and ``min_strength`` θ_F (0.1, current ESI).
    Fronts: ``front`` :class:`ClusterParams` (CPM, γ = 0.1, minimum 2 core papers). Front co-citation:
    ``area_min_cocit`` (2), ``area_min_strength`` θ_A (0.05). Areas: ``area`` (CPM, γ = 0.1, no minimum).
    Sci-GEO: ``theta_link`` (0.05) and ``min_shared`` (1). Countries: ``share_counting`` (``fractional`` =
    NISTEP institution-level), ``max_authors`` (drop hyper-authored papers from country figures). Terms:
    ``n_terms``. Layout: ``layout`` (``fr`` / ``kk``), ``layout_seed``. ``scope``: document-set options passed to
    the indicator :class:`~junkan.indicators._scope.Scope` (``profile``, ``core``, ``country_map`` …).
    """

    window: tuple[int, int]
    top_pct: Any = 1
    tie_method: str = "nistep"
    min_citations: int = 1
    census_year: int | None = None
    citing_window: str = "window"
    citing: str | None = None
    min_cocit: int = 2
    min_strength: float = 0.1
    front: ClusterParams = field(default_factory=lambda: ClusterParams(quality="cpm", resolution=0.1, min_size=2))
    area_min_cocit: int = 2
    area_min_strength: float = 0.05
    area: ClusterParams = field(default_factory=lambda: ClusterParams(quality="cpm", resolution=0.1, min_size=0))
    theta_link: float = 0.05
    min_shared: int = 1
    share_counting: str = "fractional"
    max_authors: int | None = None
    n_terms: int = 5
    layout: str = "fr"
    layout_seed: int = 0
    scope: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = parse_years(self.window)
        if w is None:
            raise ConfigError("window: give (first year, last year), e.g. (2015, 2020)")
        object.__setattr__(self, "window", w)
        for name in ("front", "area"):
            v = getattr(self, name)
            if isinstance(v, Mapping):
                object.__setattr__(self, name, ClusterParams(**v))
        if self.layout not in LAYOUTS:
            raise ConfigError(f"layout {self.layout!r}: choose one of {', '.join(LAYOUTS)}")
        if self.min_shared < 1:
            raise ConfigError("min_shared: at least 1 shared core paper")
        object.__setattr__(self, "scope", dict(self.scope))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["window"] = list(self.window)
        if not isinstance(self.top_pct, (int, float, str)):
            d["top_pct"] = str(self.top_pct)  # e.g. a Fraction
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MapParams:
        d = dict(d)
        d["window"] = tuple(d["window"])
        return cls(**{k: v for k, v in d.items() if k in {f.name for f in fields(cls)}})


@dataclass
class ScienceMap:
    """A built map: tables (Arrow) plus the parameters and provenance that made it.

    * ``papers``: one row per core paper (``work_id, publication_year, field_id, title, citations`` at the
      census, ``cit_window`` from the citing universe, ``front_id, area_id`` (null when in no front),
      ``n_countries, international, authors_count``).
    * ``fronts``: ``front_id, area_id, n_core, n_citing``.
    * ``areas``: ``area_id, label, n_fronts, n_core, n_citing, mean_year, terms, intl_rate, top_country,
      top_share, leading_countries, n_countries, prev_area_id, n_shared_prev, continuity, max_link, relation,
      geo_type, x, y``.
    * ``area_countries``: ``area_id, country, n_core`` (whole), ``share`` (fractional / n_core), ``n_intl``,
      ``leads`` (share ≥ 50 %), ``is_top``.
    * ``countries``: per country ``n_areas`` (participation), ``participation_rate``, ``n_leading``, ``n_top``,
      ``n_areas_intl`` (with ≥ 1 internationally co-authored core paper), ``n_areas_domestic``
      (domestic papers only), ``core_whole``, ``core_frac``, ``intl_rate``.
    * ``front_links`` / ``area_links``: ``i, j, cocit, cit_i, cit_j, strength``.
    """

    params: MapParams
    edition: str
    papers: pa.Table
    fronts: pa.Table
    areas: pa.Table
    area_countries: pa.Table
    countries: pa.Table
    front_links: pa.Table
    area_links: pa.Table
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def window(self) -> tuple[int, int]:
        return self.params.window

    @property
    def n_areas(self) -> int:
        return self.areas.num_rows

    def summary(self) -> dict[str, Any]:
        """Headline figures: areas, fronts, core papers in areas, citing papers, international rate, Sci-GEO counts."""
        a = self.areas
        geo = {g: 0 for g in GEO_TYPES}
        for v in a["geo_type"].to_pylist():
            if v is not None:
                geo[v] += 1
        inside = self.papers.filter(pc.is_valid(self.papers["area_id"]))
        with_c = inside.filter(pc.greater(inside["n_countries"], 0))
        intl = with_c["international"].to_numpy(zero_copy_only=False)
        return {
            "edition": self.edition,
            "window": list(self.window),
            "areas": a.num_rows,
            "fronts": self.fronts.num_rows,
            "core_papers": self.papers.num_rows,
            "core_papers_in_areas": inside.num_rows,
            "citing_papers": int(self.provenance.get("citing_papers", 0)),
            "intl_rate": float(intl.mean()) if len(intl) else None,
            "geo_types": geo if any(v is not None for v in a["geo_type"].to_pylist()) else None,
        }

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the map to a folder (one Parquet file per table + ``map.json``); returns the folder."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        for name in _TABLES:
            pq.write_table(getattr(self, name), out / f"{name}.parquet")
        meta = {
            "format": MAP_FORMAT,
            "edition": self.edition,
            "params": self.params.to_dict(),
            "provenance": self.provenance,
            "timings": self.timings,
            "summary": self.summary(),
        }
        (out / "map.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        return out


def load_map(path: str | os.PathLike[str]) -> ScienceMap:
    """Read a map written by :meth:`ScienceMap.save`."""
    p = Path(path)
    meta_path = p / "map.json"
    if not meta_path.exists():
        raise ConfigError(f"{p} is not a science map folder (no map.json). Hint: build one with build_map(...).save()")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != MAP_FORMAT:
        raise ConfigError(f"{p}: unknown map format {meta.get('format')!r}, expected {MAP_FORMAT}")
    tables = {name: pq.read_table(p / f"{name}.parquet") for name in _TABLES}
    return ScienceMap(
        params=MapParams.from_dict(meta["params"]),
        edition=meta["edition"],
        provenance=meta.get("provenance", {}),
        timings=meta.get("timings", {}),
        **tables,
    )


# ---------------------------------------------------------------------------------------------------------------


def _store_tables(source: Any) -> StoreTables:
    if isinstance(source, StoreTables):
        return source
    if isinstance(source, Mapping):
        return StoreTables(**{f.name: source.get(f.name) for f in fields(StoreTables)})
    if hasattr(source, "table") and hasattr(source, "store"):
        return StoreTables.from_engine(source)
    raise ConfigError(f"build_map needs an Engine, StoreTables or a mapping of store tables, not {type(source).__name__}")


def _upload(backend: Any, table: pa.Table) -> ir.Table:
    """``table`` as a temporary table of ``backend`` (so that ``.cache()`` of expressions using it works on
    PySpark, whose Ibis cache does not register in-memory tables)."""
    name = f"junkan_map_{uuid.uuid4().hex[:12]}"
    if backend.name == "pyspark":  # Ibis 12 has no temporary tables on PySpark: register a temp view
        backend._session.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)
        return backend.table(name)
    return backend.create_table(name, obj=table, temp=True)


def _index(values: pa.Array | pa.ChunkedArray, keys: pa.Array) -> np.ndarray:
    idx = pc.index_in(values, value_set=keys)
    if idx.null_count:
        raise AssertionError("co-citation pair refers to a node outside the node set")
    return idx.to_numpy(zero_copy_only=False).astype(np.int64)


def _empty_links() -> pa.Table:
    return pa.table(
        {
            "i": pa.array([], pa.int64()),
            "j": pa.array([], pa.int64()),
            "cocit": pa.array([], pa.int64()),
            "cit_i": pa.array([], pa.int64()),
            "cit_j": pa.array([], pa.int64()),
            "strength": pa.array([], pa.float64()),
        }
    )


def _group_level(links: ir.Table, member: pa.Table, node: str, min_cocit: int, min_strength: float) -> tuple[pa.Table, pa.Table]:
    """Co-citation between groups (fronts or areas) inside the engine; returns (pairs, citing counts)."""
    if member.num_rows == 0:
        return _empty_links(), pa.table({"node": pa.array([], pa.int64()), "cit": pa.array([], pa.int64())})
    mt = ibis.memtable(member.select(["work_id", node]))
    gl = group_links(links, mt, node=node)
    pairs, cit = cocitation(gl, min_cocit=min_cocit, min_strength=min_strength)
    pairs_t = pairs.to_pyarrow()
    cit_t = cit.to_pyarrow()
    cast = {
        "i": pa.int64(), "j": pa.int64(), "cocit": pa.int64(), "cit_i": pa.int64(), "cit_j": pa.int64(), "strength": pa.float64(),
    }
    pairs_t = pa.table({k: pairs_t[k].cast(v) for k, v in cast.items()})
    pairs_t = pairs_t.sort_by([("i", "ascending"), ("j", "ascending")])
    return pairs_t, pa.table({"node": cit_t["node"].cast(pa.int64()), "cit": cit_t["cit"].cast(pa.int64())})


def build_map(
    source: Any,
    *,
    window: Any,
    edition: str | None = None,
    previous: ScienceMap | None = None,
    params: MapParams | None = None,
    **options: Any,
) -> ScienceMap:
    """Build the science map of ``window = (first year, last year)`` from an Engine or store tables.

    ``options`` are :class:`MapParams` fields (``top_pct``, ``min_strength``, ``front={...}``, ``area={...}``,
    ``theta_link`` …); ``params`` gives them all at once. ``previous`` (the map of the previous edition) turns on
    Sci-GEO typing and area lineage. ``edition`` labels the map (default ``"Y0-Y1"``).
    """
    p = replace(params, window=window, **options) if params is not None else MapParams(window=window, **options)
    t = _store_tables(source)
    y0, y1 = p.window
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    # 1. core papers (indicator core: citations + Top x% with ties) --------------------------------------------
    core_expr = core_papers(
        t, window=p.window, top_pct=p.top_pct, tie_method=p.tie_method, min_citations=p.min_citations,
        census_year=p.census_year, scope=dict(p.scope),
    )
    core = core_expr.to_pyarrow().sort_by("work_id")
    core = pa.table({
        "work_id": core["work_id"].cast(pa.string()),
        "publication_year": core["publication_year"].cast(pa.int32()),
        "field_id": core["field_id"].cast(pa.int32()),
        "citations": core["citations"].cast(pa.int64()),
    })
    timings["core"] = time.perf_counter() - t0
    node_ids = core["work_id"].combine_chunks()
    n = core.num_rows
    log.info("map %s-%s: %d core papers", y0, y1, n)

    # 2. co-citation of core papers (engine) ---------------------------------------------------------------------
    t1 = time.perf_counter()
    backend = t.works.get_backend()
    core_mt = _upload(backend, core.select(["work_id"]))
    links = citing_links(t, core_mt, window=p.window, citing_window=p.citing_window, citing=p.citing, scope=dict(p.scope))
    links = links.cache()
    try:
        pairs_e, cit_e = cocitation(links, min_cocit=p.min_cocit, min_strength=p.min_strength)
        pairs = pairs_e.to_pyarrow()
        cit = cit_e.to_pyarrow()
        n_citing = int(links.citing.nunique().to_pyarrow().as_py()) if n else 0
        timings["cocitation"] = time.perf_counter() - t1

        # 3. fronts (Leiden on papers) -------------------------------------------------------------------------
        t2 = time.perf_counter()
        src = _index(pairs["i"], node_ids) if pairs.num_rows else np.zeros(0, np.int64)
        dst = _index(pairs["j"], node_ids) if pairs.num_rows else np.zeros(0, np.int64)
        w = pairs["strength"].to_numpy().astype(np.float64) if pairs.num_rows else np.zeros(0)
        memb = cluster_graph(n, src, dst, w, p.front)
        fsize = np.bincount(memb, minlength=int(memb.max()) + 1 if n else 0)
        keep = fsize[memb] >= max(2, int(np.ceil(p.front.min_size))) if n else np.zeros(0, bool)
        front = np.full(n, -1, dtype=np.int64)
        if keep.any():
            front[keep] = renumber(memb[keep], np.flatnonzero(keep))
        n_fronts = int(front.max()) + 1 if n else 0
        timings["fronts"] = time.perf_counter() - t2

        # 4. areas (Leiden on fronts) --------------------------------------------------------------------------
        t3 = time.perf_counter()
        in_front = front >= 0
        fm = pa.table({"work_id": node_ids.filter(pa.array(in_front)), "front_id": pa.array(front[in_front], pa.int64())})
        front_links, front_cit = _group_level(links, fm, "front_id", p.area_min_cocit, p.area_min_strength)
        f_core = np.bincount(front[in_front], minlength=n_fronts).astype(np.float64)
        amemb = cluster_graph(
            n_fronts,
            front_links["i"].to_numpy(), front_links["j"].to_numpy(), front_links["strength"].to_numpy(),
            p.area, node_weight=f_core,
        )
        # areas numbered by core papers, ties by their first core paper
        first_paper = np.full(n_fronts, n, dtype=np.int64)
        if in_front.any():
            np.minimum.at(first_paper, front[in_front], np.flatnonzero(in_front))
        area_of_front = renumber(amemb, first_paper, f_core) if n_fronts else np.zeros(0, np.int64)
        area = np.where(in_front, area_of_front[np.maximum(front, 0)] if n_fronts else -1, -1)
        n_areas_ = int(area_of_front.max()) + 1 if n_fronts else 0
        am = pa.table({"work_id": node_ids.filter(pa.array(in_front)), "area_id": pa.array(area[in_front], pa.int64())})
        area_links, area_cit = _group_level(links, am, "area_id", 1, 0.0)
        timings["areas"] = time.perf_counter() - t3
    finally:
        try:
            links.release()
        except Exception:  # pragma: no cover - backend without release
            pass

    # 5. per-paper attributes (engine) and area indicators -------------------------------------------------------
    t4 = time.perf_counter()
    sc = Scope(**{**dict(p.scope), "counting": p.share_counting})
    cw = t.works.semi_join(core_mt, t.works.work_id == core_mt.work_id)
    units = sc.units(t)
    wc = work_countries(units.semi_join(core_mt, units.work_id == core_mt.work_id))
    nc = wc.group_by("work_id").aggregate(n_countries=wc.country.count().cast("int64"))
    info = cw.select("work_id", "title", "authors_count")
    info = info.left_join(nc, info.work_id == nc.work_id).select(
        info.work_id, info.title, info.authors_count, n_countries=nc.n_countries.fill_null(0)
    )
    info_t = info.to_pyarrow()
    whole = sc.weights(t, cw, counting="whole")
    frac = sc.weights(t, cw, counting=p.share_counting)
    fr2 = frac.select(_w="work_id", _c="country", share=frac.weight)
    wj = whole.join(fr2, [whole.work_id == fr2._w, whole.country == fr2._c], how="left")
    wj = wj.select(wj.work_id, wj.country, share=wj.share.fill_null(0.0))
    wts = wj.to_pyarrow()
    timings["countries_engine"] = time.perf_counter() - t4

    t5 = time.perf_counter()
    info_t = info_t.join(core.select(["work_id"]), "work_id", join_type="inner").sort_by("work_id")
    cit_map = dict(zip(cit["node"].to_pylist(), cit["cit"].to_pylist(), strict=True)) if cit.num_rows else {}
    cit_win = np.array([cit_map.get(x, 0) for x in node_ids.to_pylist()], dtype=np.int64)
    n_ctry = info_t["n_countries"].to_numpy(zero_copy_only=False).astype(np.int64) if n else np.zeros(0, np.int64)
    papers = pa.table({
        "work_id": node_ids,
        "publication_year": core["publication_year"],
        "field_id": core["field_id"],
        "title": info_t["title"].cast(pa.string()) if n else pa.array([], pa.string()),
        "citations": core["citations"],
        "cit_window": pa.array(cit_win, pa.int64()),
        "front_id": pa.array([int(x) if x >= 0 else None for x in front], pa.int64()),
        "area_id": pa.array([int(x) if x >= 0 else None for x in area], pa.int64()),
        "n_countries": pa.array(n_ctry, pa.int64()),
        "international": pa.array(n_ctry >= 2, pa.bool_()),
        "authors_count": info_t["authors_count"].cast(pa.int64()) if n else pa.array([], pa.int64()),
    })

    fronts = pa.table({
        "front_id": pa.array(np.arange(n_fronts), pa.int64()),
        "area_id": pa.array(area_of_front, pa.int64()),
        "n_core": pa.array(f_core.astype(np.int64), pa.int64()),
        "n_citing": pa.array(_counts_for(front_cit, n_fronts), pa.int64()),
    })
    areas, area_countries, countries = _area_indicators(p, papers, wts, n_areas_, area_of_front, area_cit, area_links, previous)
    timings["indicators"] = time.perf_counter() - t5
    timings["total"] = time.perf_counter() - t0
    prov: dict[str, Any] = {"citing_papers": n_citing, "core_candidates": n, "links_pairs": pairs.num_rows}
    store = getattr(getattr(source, "store", None), "provenance", None)
    if store is not None:
        prov["store"] = store
        prov["backend"] = getattr(source, "backend", None)
    if previous is not None:
        prov["previous_edition"] = previous.edition
    return ScienceMap(
        params=p,
        edition=edition or f"{y0}-{y1}",
        papers=papers,
        fronts=fronts,
        areas=areas,
        area_countries=area_countries,
        countries=countries,
        front_links=front_links,
        area_links=area_links,
        provenance=prov,
        timings={k: round(v, 3) for k, v in timings.items()},
    )


def _counts_for(cit: pa.Table, k: int) -> np.ndarray:
    out = np.zeros(k, dtype=np.int64)
    if cit.num_rows:
        out[cit["node"].to_numpy().astype(np.int64)] = cit["cit"].to_numpy().astype(np.int64)
    return out


def _area_indicators(
    p: MapParams,
    papers: pa.Table,
    wts: pa.Table,
    k: int,
    area_of_front: np.ndarray,
    area_cit: pa.Table,
    area_links: pa.Table,
    previous: ScienceMap | None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    inside = papers.filter(pc.is_valid(papers["area_id"]))
    aid = inside["area_id"].to_numpy().astype(np.int64) if inside.num_rows else np.zeros(0, np.int64)
    n_core = np.bincount(aid, minlength=k)
    year_sum = np.bincount(aid, weights=inside["publication_year"].to_numpy().astype(np.float64), minlength=k)
    intl = inside["international"].to_numpy(zero_copy_only=False).astype(np.float64)
    with_c = (inside["n_countries"].to_numpy() > 0).astype(np.float64)
    n_intl = np.bincount(aid, weights=intl, minlength=k)
    n_withc = np.bincount(aid, weights=with_c, minlength=k)
    n_fronts = np.bincount(area_of_front, minlength=k) if len(area_of_front) else np.zeros(k, np.int64)

    # country figures over core papers in areas (optionally without hyper-authored papers)
    cp = inside.select(["work_id", "area_id", "international", "authors_count"])
    if p.max_authors is not None:
        ac = cp["authors_count"].fill_null(0)
        cp = cp.filter(pc.less(ac, int(p.max_authors)))
    j = wts.join(cp, "work_id", join_type="inner")
    # a fixed row order: float sums in the group-by below must not depend on the engine's thread count
    j = j.sort_by([("area_id", "ascending"), ("country", "ascending"), ("work_id", "ascending")])
    j = j.append_column("one", pa.array(np.ones(j.num_rows), pa.float64()))
    j = j.append_column("intl_f", pc.cast(j["international"], pa.float64()))
    g = j.group_by(["area_id", "country"]).aggregate([("one", "sum"), ("share", "sum"), ("intl_f", "sum")])
    g_area = g["area_id"].to_numpy().astype(np.int64) if g.num_rows else np.zeros(0, np.int64)
    denom = np.maximum(n_core[g_area], 1)
    share = g["share_sum"].to_numpy() / denom if g.num_rows else np.zeros(0)
    ac_t = pa.table({
        "area_id": pa.array(g_area, pa.int64()),
        "country": g["country"].cast(pa.string()),
        "n_core": pa.array(g["one_sum"].to_numpy().astype(np.int64) if g.num_rows else [], pa.int64()),
        "share": pa.array(share, pa.float64()),
        "n_intl": pa.array(g["intl_f_sum"].to_numpy().astype(np.int64) if g.num_rows else [], pa.int64()),
    }).sort_by([("area_id", "ascending"), ("share", "descending"), ("country", "ascending")])
    a_col = ac_t["area_id"].to_numpy().astype(np.int64) if ac_t.num_rows else np.zeros(0, np.int64)
    first = np.r_[True, a_col[1:] != a_col[:-1]] if len(a_col) else np.zeros(0, bool)
    sh = ac_t["share"].to_numpy() if ac_t.num_rows else np.zeros(0)
    ac_t = ac_t.append_column("leads", pa.array(sh >= 0.5 - 1e-12, pa.bool_()))
    ac_t = ac_t.append_column("is_top", pa.array(first, pa.bool_()))

    countries_l = ac_t["country"].to_pylist()
    top_country: list[str | None] = [None] * k
    top_share = np.full(k, np.nan)
    leading: list[list[str]] = [[] for _ in range(k)]
    n_ctry_area = np.bincount(a_col, minlength=k)
    for i_row in np.flatnonzero(first):
        top_country[a_col[i_row]] = countries_l[i_row]
        top_share[a_col[i_row]] = sh[i_row]
    for i_row in np.flatnonzero(sh >= 0.5 - 1e-12):
        leading[a_col[i_row]].append(countries_l[i_row])

    titles: dict[int, list[str | None]] = {a: [] for a in range(k)}
    for a, ttl in zip(aid.tolist(), inside["title"].to_pylist(), strict=True):
        titles[a].append(ttl)
    terms = top_terms(titles, n=p.n_terms) if k else {}
    geo = sci_geo(
        list(range(k)),
        inside.select(["work_id", "area_id"]),
        area_links,
        previous=previous.papers.filter(pc.is_valid(previous.papers["area_id"])).select(["work_id", "area_id"])
        if previous is not None
        else None,
        theta_link=p.theta_link,
        min_shared=p.min_shared,
    )
    xy = layout_nodes(
        k,
        area_links["i"].to_numpy(), area_links["j"].to_numpy(), area_links["strength"].to_numpy(),
        method=p.layout, seed=p.layout_seed, min_strength=p.area_min_strength,
    )
    labels = [", ".join(terms.get(a, [])[:3]) or f"area {a}" for a in range(k)]
    areas = pa.table({
        "area_id": pa.array(np.arange(k), pa.int64()),
        "label": pa.array(labels, pa.string()),
        "n_fronts": pa.array(n_fronts.astype(np.int64), pa.int64()),
        "n_core": pa.array(n_core.astype(np.int64), pa.int64()),
        "n_citing": pa.array(_counts_for(area_cit, k), pa.int64()),
        "mean_year": pa.array(np.divide(year_sum, np.maximum(n_core, 1)), pa.float64()),
        "terms": pa.array([terms.get(a, []) for a in range(k)], pa.list_(pa.string())),
        "intl_rate": pa.array(np.where(n_withc > 0, n_intl / np.maximum(n_withc, 1), np.nan), pa.float64(), from_pandas=True),
        "top_country": pa.array(top_country, pa.string()),
        "top_share": pa.array([None if np.isnan(x) else float(x) for x in top_share], pa.float64()),
        "leading_countries": pa.array(leading, pa.list_(pa.string())),
        "n_countries": pa.array(n_ctry_area.astype(np.int64), pa.int64()),
    })
    for name in ("prev_area_id", "n_shared_prev", "continuity", "max_link", "relation", "geo_type"):
        areas = areas.append_column(name, geo[name])
    areas = areas.append_column("x", pa.array(xy[:, 0], pa.float64()))
    areas = areas.append_column("y", pa.array(xy[:, 1], pa.float64()))
    countries = _country_summary(ac_t, k)
    return areas, ac_t, countries


def _country_summary(ac: pa.Table, k: int) -> pa.Table:
    if ac.num_rows == 0:
        return pa.table({c: pa.array([], t) for c, t in (
            ("country", pa.string()), ("n_areas", pa.int64()), ("participation_rate", pa.float64()),
            ("n_leading", pa.int64()), ("n_top", pa.int64()), ("n_areas_intl", pa.int64()),
            ("n_areas_domestic", pa.int64()), ("core_whole", pa.int64()), ("core_frac", pa.float64()),
            ("intl_rate", pa.float64()))})
    t = ac.append_column("one", pa.array(np.ones(ac.num_rows, np.int64)))
    t = t.append_column("lead_i", pc.cast(t["leads"], pa.int64()))
    t = t.append_column("top_i", pc.cast(t["is_top"], pa.int64()))
    t = t.append_column("intl_area", pc.cast(pc.greater(t["n_intl"], 0), pa.int64()))
    # core_frac needs n_core(area) * share; recover it from share (share = Σw / n_core(area))
    g = t.group_by("country").aggregate([
        ("one", "sum"), ("lead_i", "sum"), ("top_i", "sum"), ("intl_area", "sum"), ("n_core", "sum"), ("n_intl", "sum"),
    ])
    n_areas = g["one_sum"].to_numpy()
    core_w = g["n_core_sum"].to_numpy()
    out = pa.table({
        "country": g["country"],
        "n_areas": pa.array(n_areas.astype(np.int64)),
        "participation_rate": pa.array(n_areas / max(k, 1), pa.float64()),
        "n_leading": pa.array(g["lead_i_sum"].to_numpy().astype(np.int64)),
        "n_top": pa.array(g["top_i_sum"].to_numpy().astype(np.int64)),
        "n_areas_intl": pa.array(g["intl_area_sum"].to_numpy().astype(np.int64)),
        "n_areas_domestic": pa.array((n_areas - g["intl_area_sum"].to_numpy()).astype(np.int64)),
        "core_whole": pa.array(core_w.astype(np.int64)),
        "intl_rate": pa.array(g["n_intl_sum"].to_numpy() / np.maximum(core_w, 1), pa.float64()),
    })
    return out.sort_by([("n_areas", "descending"), ("country", "ascending")])


# ---------------------------------------------------------------------------------------------------------------
# successive editions (page 4)


def build_series(source: Any, windows: Sequence[Any], **options: Any) -> list[ScienceMap]:
    """Build one map per window, in order, each typed against the previous one (Sci-GEO, lineage)."""
    maps: list[ScienceMap] = []
    for w in windows:
        maps.append(build_map(source, window=w, previous=maps[-1] if maps else None, **options))
    return maps


def country_series(maps: Sequence[ScienceMap], countries: Sequence[str] | None = None) -> pa.Table:
    """Per edition and country: participation, leadership and international figures (MEXT pages 4–5)."""
    parts = []
    for m in maps:
        c = m.countries
        if countries:
            c = c.filter(pc.is_in(c["country"], value_set=pa.array(list(countries))))
        n = c.num_rows
        c = c.add_column(0, "edition", pa.array([m.edition] * n, pa.string()))
        c = c.add_column(1, "window_end", pa.array([m.window[1]] * n, pa.int32()))
        c = c.add_column(2, "areas_total", pa.array([m.n_areas] * n, pa.int64()))
        parts.append(c)
    return pa.concat_tables(parts) if parts else pa.table({})


def series_summary(maps: Sequence[ScienceMap]) -> pa.Table:
    """One row per edition: areas, fronts, core papers, citing papers, international rate, Sci-GEO counts."""
    rows = []
    for m in maps:
        s = m.summary()
        geo = s.pop("geo_types") or {}
        s["window"] = f"{s['window'][0]}-{s['window'][1]}"
        rows.append({**s, **{g: geo.get(g) for g in GEO_TYPES}})
    return pa.Table.from_pylist(rows)
