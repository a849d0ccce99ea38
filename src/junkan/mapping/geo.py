"""Sci-GEO types of research areas (METHODS §6.3, fixture D.4).

Two binary attributes: **continuity** with the previous map edition (the area shares at least ``min_shared``
core papers with one area of the previous edition) and **relation** to other areas of the same edition (at
least one area-level co-citation link with strength ``s_AB ≥ θ_link``):

=================  =============  ===========
type               continuity     relation
=================  =============  ===========
``continent``      yes            yes
``island``         yes            no
``peninsula``      no             yes
``small_island``   no             no
=================  =============  ===========

Without a previous edition continuity is unknown and ``geo_type`` is null.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

__all__ = ["GEO_TYPES", "geo_type", "sci_geo"]

GEO_TYPES = ("continent", "peninsula", "island", "small_island")


def geo_type(continuity: bool | None, relation: bool) -> str | None:
    """The Sci-GEO type of one area (``None`` when continuity is unknown)."""
    if continuity is None:
        return None
    if continuity:
        return "continent" if relation else "island"
    return "peninsula" if relation else "small_island"


def sci_geo(
    area_ids: pa.Array | list[int],
    membership: pa.Table,
    links: pa.Table,
    *,
    previous: pa.Table | None,
    theta_link: float,
    min_shared: int = 1,
) -> pa.Table:
    """Type every area: ``area_id, prev_area_id, n_shared_prev, continuity, max_link, relation, geo_type``.

    ``membership`` and ``previous`` are ``work_id, area_id`` tables of core papers (this and the previous
    edition); ``links`` holds area pairs ``i, j, strength``. ``prev_area_id`` is the previous area sharing most
    core papers (ties: lowest id).
    """
    ids = np.asarray(pa.array(area_ids).to_numpy(zero_copy_only=False), dtype=np.int64)
    k = int(ids.max()) + 1 if len(ids) else 0
    if links.num_rows:
        k = max(k, int(pa.compute.max(links["i"]).as_py()) + 1, int(pa.compute.max(links["j"]).as_py()) + 1)
    max_link = np.zeros(k)
    if links.num_rows:
        i = links["i"].to_numpy().astype(np.int64)
        j = links["j"].to_numpy().astype(np.int64)
        s = links["strength"].to_numpy().astype(np.float64)
        np.maximum.at(max_link, i, s)
        np.maximum.at(max_link, j, s)
    relation = max_link >= theta_link
    n_shared = np.zeros(k, dtype=np.int64)
    prev_id = np.full(k, -1, dtype=np.int64)
    if previous is not None and previous.num_rows and membership.num_rows:
        prev = previous.select(["work_id", "area_id"]).rename_columns(["work_id", "prev_area_id"])
        j2 = membership.select(["work_id", "area_id"]).join(prev, "work_id", join_type="inner")
        if j2.num_rows:
            g = j2.group_by(["area_id", "prev_area_id"]).aggregate([("work_id", "count")])
            a = g["area_id"].to_numpy().astype(np.int64)
            b = g["prev_area_id"].to_numpy().astype(np.int64)
            c = g["work_id_count"].to_numpy().astype(np.int64)
            order = np.lexsort((b, -c, a))  # per area: most shared first, then lowest previous id
            a, b, c = a[order], b[order], c[order]
            first = np.r_[True, a[1:] != a[:-1]]
            n_shared[a[first]] = c[first]
            prev_id[a[first]] = b[first]
    has_prev = previous is not None
    cont = n_shared >= int(min_shared)
    rows_cont = [bool(cont[a]) if has_prev else None for a in ids]
    return pa.table(
        {
            "area_id": pa.array(ids, pa.int64()),
            "prev_area_id": pa.array([int(prev_id[a]) if prev_id[a] >= 0 else None for a in ids], pa.int64()),
            "n_shared_prev": pa.array([int(n_shared[a]) if has_prev else None for a in ids], pa.int64()),
            "continuity": pa.array(rows_cont, pa.bool_()),
            "max_link": pa.array(max_link[ids] if k else [], pa.float64()),
            "relation": pa.array(relation[ids] if k else [], pa.bool_()),
            "geo_type": pa.array([geo_type(c, bool(relation[a])) for c, a in zip(rows_cont, ids, strict=True)], pa.string()),
        }
    )

