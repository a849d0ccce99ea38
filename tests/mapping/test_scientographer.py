"""The shipped real network (scientographer, CC BY titles / CC0 links) gives a sensible map."""

from __future__ import annotations

from collections import Counter

import igraph as ig
import numpy as np
import pytest

from junkan.engine import connect
from junkan.mapping import build_map, scientographer_store
from junkan.mapping.scientographer import scientographer_tables
from junkan.mapping.terms import title_terms


@pytest.fixture(scope="module")
def real_map(tmp_path_factory):
    root = tmp_path_factory.mktemp("sg") / "s"
    scientographer_store(root)
    return build_map(connect(root, threads=2), window=(2013, 2026), top_pct=20)


def test_shipped_data_and_attribution():
    papers, refs = scientographer_tables()
    assert papers.num_rows == 2826 and refs.num_rows == 6860
    assert set(papers["license"].to_pylist()) <= {"CC BY", "cc by"} or all("by" in x.lower() for x in papers["license"].to_pylist())
    from importlib import resources

    text = resources.files("junkan").joinpath("data/scientographer/ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY" in text and "CC0" in text and "scientographer" in text


def test_real_map_is_sensible(real_map):
    m = real_map
    s = m.summary()
    assert s["areas"] >= 20 and s["core_papers_in_areas"] >= 200
    assert s["intl_rate"] is None and m.area_countries.num_rows == 0  # no affiliations in this data set
    # coherence: an area's best term occurs in a good share of its titles, far more than across the whole map
    p = m.papers.to_pylist()
    titles: dict[int, list[set[str]]] = {}
    for r in p:
        if r["area_id"] is not None:
            titles.setdefault(r["area_id"], []).append(title_terms(r["title"]))
    all_titles = [t for ts in titles.values() for t in ts]
    lifts = []
    for a in m.areas.to_pylist():
        if a["n_core"] < 8 or not a["terms"]:
            continue
        term = a["terms"][0]
        inside = np.mean([term in t for t in titles[a["area_id"]]])
        overall = np.mean([term in t for t in all_titles])
        lifts.append(inside / overall)
    assert len(lifts) >= 8 and np.median(lifts) > 3
    # the area partition is a real structure of the co-citation graph (modularity well above 0)
    in_area = {r["work_id"]: k for k, r in enumerate(p) if r["area_id"] is not None}
    fl = m.front_links
    f_area = dict(zip(m.fronts["front_id"].to_pylist(), m.fronts["area_id"].to_pylist(), strict=True))
    g = ig.Graph(n=m.fronts.num_rows, edges=list(zip(fl["i"].to_pylist(), fl["j"].to_pylist(), strict=True)))
    labels = [f_area[f] for f in range(m.fronts.num_rows)]
    q = g.modularity(labels, weights=fl["strength"].to_pylist())
    rng = np.random.default_rng(0)
    q_shuffled = max(g.modularity(list(rng.permutation(labels)), weights=fl["strength"].to_pylist()) for _ in range(20))
    assert q > q_shuffled + 0.15, (q, q_shuffled)
    assert len(in_area) == s["core_papers_in_areas"]
    assert Counter(m.areas["n_fronts"].to_pylist())[0] == 0
