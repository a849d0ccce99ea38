"""A planted co-citation world with known research fronts, areas, continuity and links (tests, benchmark).

Independent of :mod:`junkan.simulate`: it writes only what a science map reads, with the truth on the side.

* ``n_areas`` areas of ``fronts_per_area`` fronts; each front has ``core_per_front`` core papers in one field.
* Each front has ``citing_per_front`` citing papers; a citing paper cites 2–5 core papers of its own front,
  with probability ``p_cross_front`` one core paper of another front of its area, with ``p_link`` one of the
  linked partner area (areas are linked in pairs, a share ``linked_share`` of them), with ``p_noise`` one
  random core paper anywhere.
* Area kinds drive the years: ``continuing`` areas publish core papers in ``years[0]+2 … years[1]-2`` (inside
  both editions ``(y0, y1-2)`` and ``(y0+2, y1)``), ``old`` ones in ``y0 … y0+1`` (first edition only) and ``new``
  ones in ``y1-1 … y1`` (second edition only). Citing papers are published from the core years to
  ``core_end + 2`` (capped at ``y1``).
* Core papers are the Top ``100/(ratio+1)`` % of their field-year: every field-year holds ``ratio`` uncited
  background papers per core paper; citing papers sit in a field of their own (``CITING_FIELD``), uncited.
* Authors: 1–4 per core paper at institutions of the area's home country (probability ``p_home``) or of another
  country, so areas differ in country shares and international rates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from junkan.model.schema import arrow_schema
from junkan.store import Store, write_store

__all__ = ["CITING_FIELD", "PlantedWorld", "nmi", "planted_world"]

CITING_FIELD = 99
_COUNTRIES = np.array(["US", "CN", "GB", "DE", "JP", "FR", "KR", "IT", "CA", "AU", "IN", "ES"])
_SYL = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze", "bo", "di", "fa", "gu", "he", "jo"]
_GENERIC = ["dynamics", "model", "method", "network", "response", "system", "data", "design", "control", "signal"]


@dataclass
class PlantedWorld:
    """Store tables (``write_store`` input), truth and the ``top_pct`` that selects exactly the planted core."""

    tables: dict[str, pa.Table]
    truth: pa.Table  # work_id, role (core/citing), front, area, kind
    areas: pa.Table  # area, kind, partner (linked area or -1), home country, words
    top_pct: str
    editions: tuple[tuple[int, int], tuple[int, int]]

    def store(self, root: str | os.PathLike[str]) -> Store:
        """Publish the planted tables as a store (missing columns null)."""
        full = {}
        for name, t in self.tables.items():
            sch = arrow_schema(name)
            full[name] = pa.table(
                {f.name: t[f.name].cast(f.type) if f.name in t.column_names else pa.nulls(t.num_rows, f.type) for f in sch},
                schema=sch,
            )
        return write_store(root, full, manifest={"source": "junkan.mapping.planted"})

    def expected_geo(self) -> dict[int, str]:
        """Planted Sci-GEO type of every area alive in the second edition."""
        out = {}
        for r in self.areas.to_pylist():
            if r["kind"] == "old":
                continue
            cont = r["kind"] == "continuing"
            rel = r["partner"] >= 0
            out[r["area"]] = ("continent" if rel else "island") if cont else ("peninsula" if rel else "small_island")
        return out


def _word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYL, size=3))


def planted_world(
    *,
    n_areas: int = 12,
    fronts_per_area: tuple[int, int] = (2, 3),
    core_per_front: tuple[int, int] = (6, 10),
    citing_per_front: int = 40,
    years: tuple[int, int] = (2010, 2017),
    kinds: tuple[float, float, float] = (0.5, 0.25, 0.25),
    linked_share: float = 0.5,
    p_cross_front: float = 0.3,
    p_link: float = 0.1,
    p_noise: float = 0.01,
    ratio: int = 99,
    n_fields: int = 4,
    p_home: float = 0.8,
    seed: int = 0,
) -> PlantedWorld:
    """Generate a planted world (see module doc). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    y0, y1 = years
    if y1 - y0 < 5:
        raise ValueError("years must span at least 6 years (two overlapping editions)")
    kind_names = np.array(["continuing", "old", "new"])
    akind = rng.choice(3, size=n_areas, p=np.array(kinds) / sum(kinds))
    span = {0: (y0 + 2, y1 - 2), 1: (y0, y0 + 1), 2: (y1 - 1, y1)}
    # link areas in pairs among areas that coexist (same kind, or continuing with new/old of the edition)
    partner = np.full(n_areas, -1)
    for k in range(3):
        ids = np.flatnonzero(akind == k)
        ids = ids[rng.permutation(len(ids))]
        n_link = int(round(linked_share * len(ids))) // 2 * 2
        for a, b in zip(ids[:n_link:2], ids[1:n_link:2], strict=True):
            partner[a], partner[b] = b, a
    home = rng.choice(_COUNTRIES[:6], size=n_areas)
    words = [[_word(rng) for _ in range(3)] for _ in range(n_areas)]

    # fronts and core papers
    nf = rng.integers(fronts_per_area[0], fronts_per_area[1] + 1, size=n_areas)
    front_area = np.repeat(np.arange(n_areas), nf)
    n_front = len(front_area)
    m = rng.integers(core_per_front[0], core_per_front[1] + 1, size=n_front)
    f_field = rng.integers(0, n_fields, size=n_areas)[front_area] + 1
    core_front = np.repeat(np.arange(n_front), m)
    n_core = len(core_front)
    core_start = np.r_[0, np.cumsum(m)[:-1]]
    lo = np.array([span[k][0] for k in akind])[front_area][core_front]
    hi = np.array([span[k][1] for k in akind])[front_area][core_front]
    core_year = lo + (rng.integers(0, 1 << 30, size=n_core) % (hi - lo + 1))

    # citing papers: front, year, references
    cit_front = np.repeat(np.arange(n_front), citing_per_front)
    n_cit = len(cit_front)
    a_of = front_area[cit_front]
    c_lo = np.array([span[k][0] for k in akind])[a_of]
    c_hi = np.minimum(np.array([span[k][1] for k in akind])[a_of] + 2, y1)
    cit_year = c_lo + (rng.integers(0, 1 << 30, size=n_cit) % (c_hi - c_lo + 1))
    k_own = rng.integers(2, 6, size=n_cit)
    rows_c, rows_d = [], []
    for r in range(5):
        sel = np.flatnonzero(k_own > r)
        f = cit_front[sel]
        rows_c.append(sel)
        rows_d.append(core_start[f] + rng.integers(0, 1 << 30, size=len(sel)) % m[f])
    # another front of the same area
    fr_start = np.r_[0, np.cumsum(nf)[:-1]]
    sel = np.flatnonzero((rng.random(n_cit) < p_cross_front) & (nf[a_of] > 1))
    if len(sel):
        a = a_of[sel]
        other = fr_start[a] + rng.integers(0, 1 << 30, size=len(sel)) % nf[a]
        rows_c.append(sel)
        rows_d.append(core_start[other] + rng.integers(0, 1 << 30, size=len(sel)) % m[other])
    # the linked area
    sel = np.flatnonzero((rng.random(n_cit) < p_link) & (partner[a_of] >= 0))
    if len(sel):
        b = partner[a_of[sel]]
        other = fr_start[b] + rng.integers(0, 1 << 30, size=len(sel)) % nf[b]
        rows_c.append(sel)
        rows_d.append(core_start[other] + rng.integers(0, 1 << 30, size=len(sel)) % m[other])
    sel = np.flatnonzero(rng.random(n_cit) < p_noise)
    rows_c.append(sel)
    rows_d.append(rng.integers(0, n_core, size=len(sel)))
    ec = np.concatenate(rows_c)
    ed = np.concatenate(rows_d)
    pairs = np.unique(ec.astype(np.int64) * (n_core + 1) + ed.astype(np.int64))
    ec, ed = pairs // (n_core + 1), pairs % (n_core + 1)

    # background: ratio uncited papers per core paper in each field-year
    fy = np.stack([f_field[core_front], core_year], axis=1)
    bg_fy = np.repeat(fy, ratio, axis=0)
    n_bg = len(bg_fy)

    core_ids = np.array([f"W1{i:08d}" for i in range(n_core)], dtype=object)
    cit_ids = np.array([f"W2{i:08d}" for i in range(n_cit)], dtype=object)
    bg_ids = np.array([f"W3{i:08d}" for i in range(n_bg)], dtype=object)
    n_all = n_core + n_cit + n_bg
    core_area = front_area[core_front]
    titles_core = []
    for i in range(n_core):
        a = core_area[i]
        ws = list(rng.choice(words[a], size=2, replace=False))
        titles_core.append(f"{ws[0].capitalize()} {ws[1]} and {rng.choice(_GENERIC)} of {rng.choice(_GENERIC)}")
    authors_count = rng.integers(1, 5, size=n_core)
    works = pa.table({
        "work_id": pa.array(np.concatenate([core_ids, cit_ids, bg_ids]), pa.string()),
        "title": pa.array(titles_core + ["citing paper"] * n_cit + ["background paper"] * n_bg, pa.string()),
        "publication_year": pa.array(np.concatenate([core_year, cit_year, bg_fy[:, 1]]).astype(np.int32)),
        "type": pa.array(np.full(n_all, "article", dtype=object), pa.string()),
        "source_type": pa.array(np.full(n_all, "journal", dtype=object), pa.string()),
        "is_retracted": pa.array(np.zeros(n_all, bool)),
        "is_paratext": pa.array(np.zeros(n_all, bool)),
        "field_id": pa.array(np.concatenate([f_field[core_front], np.full(n_cit, CITING_FIELD), bg_fy[:, 0]]).astype(np.int32)),
        "domain_id": pa.array(np.full(n_all, 3, dtype=np.int32)),
        "authors_count": pa.array(np.concatenate([authors_count, np.zeros(n_cit + n_bg, np.int64)]).astype(np.int32)),
        "data_source": pa.array(np.full(n_all, "planted", dtype=object), pa.string()),
        "input_id": pa.array(np.zeros(n_all, np.int32)),
    })
    references = pa.table({
        "work_id": pa.array(cit_ids[ec], pa.string()),
        "cited_work_id": pa.array(core_ids[ed], pa.string()),
    })
    # authors of core papers: home country of the area with p_home, else a random country; one institution per
    # (country) called I<country>1
    aw = np.repeat(np.arange(n_core), authors_count)
    apos = np.concatenate([np.arange(k) for k in authors_count]) if n_core else np.zeros(0, np.int64)
    is_home = rng.random(len(aw)) < p_home
    ctry = np.where(is_home, home[core_area[aw]], rng.choice(_COUNTRIES, size=len(aw)))
    authorships = pa.table({
        "work_id": pa.array(core_ids[aw], pa.string()),
        "author_position": pa.array(apos.astype(np.int32)),
        "author_id": pa.array([f"A{w}-{p}" for w, p in zip(aw.tolist(), apos.tolist(), strict=True)], pa.string()),
    })
    inst_ids = np.array([f"I{c}1" for c in ctry], dtype=object)
    ai = pa.table({
        "work_id": pa.array(core_ids[aw], pa.string()),
        "author_position": pa.array(apos.astype(np.int32)),
        "institution_id": pa.array(inst_ids, pa.string()),
    })
    ac = pa.table({
        "work_id": pa.array(core_ids[aw], pa.string()),
        "author_position": pa.array(apos.astype(np.int32)),
        "country_code": pa.array(ctry.astype(object), pa.string()),
    })
    institutions = pa.table({
        "institution_id": pa.array([f"I{c}1" for c in _COUNTRIES], pa.string()),
        "country_code": pa.array(list(_COUNTRIES), pa.string()),
    })
    truth = pa.table({
        "work_id": pa.array(np.concatenate([core_ids, cit_ids]), pa.string()),
        "role": pa.array(["core"] * n_core + ["citing"] * n_cit, pa.string()),
        "front": pa.array(np.concatenate([core_front, cit_front]).astype(np.int64)),
        "area": pa.array(np.concatenate([core_area, a_of]).astype(np.int64)),
        "kind": pa.array(kind_names[akind[np.concatenate([core_area, a_of])]].astype(object), pa.string()),
    })
    areas = pa.table({
        "area": pa.array(np.arange(n_areas, dtype=np.int64)),
        "kind": pa.array(kind_names[akind].astype(object), pa.string()),
        "partner": pa.array(partner.astype(np.int64)),
        "home": pa.array(home.astype(object), pa.string()),
        "words": pa.array(words, pa.list_(pa.string())),
    })
    tables = {
        "works": works,
        "references": references,
        "authorships": authorships,
        "authorship_institutions": ai,
        "authorship_countries": ac,
        "institutions": institutions,
    }
    return PlantedWorld(
        tables=tables, truth=truth, areas=areas, top_pct=f"100/{ratio + 1}",
        editions=((y0, y1 - 2), (y0 + 2, y1)),
    )


def nmi(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Normalised mutual information (arithmetic mean normalisation, as scikit-learn's default)."""
    a = np.unique(np.asarray(labels_true), return_inverse=True)[1]
    b = np.unique(np.asarray(labels_pred), return_inverse=True)[1]
    n = len(a)
    if n == 0:
        return 1.0
    ka, kb = a.max() + 1, b.max() + 1
    cont = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.float64)
    pa_, pb_ = cont.sum(1) / n, cont.sum(0) / n
    pij = cont / n
    nz = pij > 0
    mi = float((pij[nz] * np.log(pij[nz] / np.outer(pa_, pb_)[nz])).sum())
    ha = float(-(pa_[pa_ > 0] * np.log(pa_[pa_ > 0])).sum())
    hb = float(-(pb_[pb_ > 0] * np.log(pb_[pb_ > 0])).sum())
    if ha == 0 and hb == 0:
        return 1.0
    return mi / ((ha + hb) / 2) if (ha + hb) > 0 else 0.0
