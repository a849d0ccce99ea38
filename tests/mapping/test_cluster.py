"""Leiden clustering helpers: small-cluster merging, stable numbering, determinism, Sci-GEO fixture D.4."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from junkan.errors import ConfigError
from junkan.mapping.cluster import ClusterParams, cluster_graph, merge_small_clusters, renumber
from junkan.mapping.geo import geo_type, sci_geo
from junkan.mapping.planted import nmi


def test_merge_small_into_best_linked_neighbour():
    # clusters: 0 = {0,1,2} (3), 1 = {3,4} (2), 2 = {5} (1)
    memb = np.array([0, 0, 0, 1, 1, 2])
    # node 5 links to cluster 0 with 0.9 (0.9/3 = 0.3) and to cluster 1 with 0.8 (0.8/2 = 0.4) → joins cluster 1
    src = np.array([0, 1, 3, 5, 5])
    dst = np.array([1, 2, 4, 0, 3])
    w = np.array([1.0, 1.0, 1.0, 0.9, 0.8])
    out = merge_small_clusters(memb, src, dst, w, np.ones(6), 2)
    assert out.tolist() == [0, 0, 0, 1, 1, 1]
    # with threshold 4: smallest first — {5} joins 1 (size 3), then {3,4,5} (3 < 4) joins 0
    out = merge_small_clusters(memb, src, dst, w, np.ones(6), 4)
    assert len(set(out.tolist())) == 1


def test_isolated_small_cluster_stays():
    memb = np.array([0, 0, 1])
    out = merge_small_clusters(memb, np.array([0]), np.array([1]), np.array([1.0]), np.ones(3), 2)
    assert out.tolist() == [0, 0, 1]


def test_renumber_by_size_then_first_key():
    memb = np.array([7, 3, 3, 5, 5, 9])
    assert renumber(memb, np.arange(6)).tolist() == [2, 0, 0, 1, 1, 3]


def _two_cliques(rng):
    src, dst, w = [], [], []
    for base in (0, 10):
        for i in range(10):
            for j in range(i + 1, 10):
                src.append(base + i)
                dst.append(base + j)
                w.append(0.5 + 0.1 * rng.random())
    src.append(0)
    dst.append(10)
    w.append(0.05)
    return np.array(src), np.array(dst), np.array(w)


@pytest.mark.parametrize("quality", ["cpm", "modularity", "single_link"])
def test_cluster_graph_two_cliques(quality):
    src, dst, w = _two_cliques(np.random.default_rng(0))
    res = 0.1 if quality == "cpm" else 1.0
    memb = cluster_graph(20, src, dst, w, ClusterParams(quality=quality, resolution=res, seed=1))
    truth = [0] * 10 + [1] * 10
    if quality == "single_link":  # one component: the weak link joins the cliques
        assert len(set(memb.tolist())) == 1
    else:
        assert nmi(np.array(truth), memb) == pytest.approx(1.0)


def test_cluster_graph_ignores_edge_order_and_is_seeded():
    src, dst, w = _two_cliques(np.random.default_rng(0))
    p = ClusterParams(resolution=0.3, seed=7)
    a = cluster_graph(20, src, dst, w, p)
    perm = np.random.default_rng(1).permutation(len(src))
    b = cluster_graph(20, dst[perm], src[perm], w[perm], p)
    assert renumber(a, np.arange(20)).tolist() == renumber(b, np.arange(20)).tolist()


def test_cluster_params_validate():
    with pytest.raises(ConfigError):
        ClusterParams(quality="infomap")
    with pytest.raises(ConfigError):
        ClusterParams(n_iterations=0)


def test_geo_type_fixture_d4():
    """METHODS D.4: shared papers + link → continent; link only → peninsula; shared only → island; neither → small island."""
    assert geo_type(True, True) == "continent"
    assert geo_type(False, True) == "peninsula"
    assert geo_type(True, False) == "island"
    assert geo_type(False, False) == "small_island"
    assert geo_type(None, True) is None
    # the same through sci_geo: area 0 shares 3 core papers with previous area 5 and links to area 1 (s = 0.2)
    cur = pa.table({"work_id": ["a", "b", "c", "d", "e", "f", "g"], "area_id": pa.array([0, 0, 0, 1, 2, 2, 3], pa.int64())})
    prev = pa.table({"work_id": ["a", "b", "c", "f", "z"], "area_id": pa.array([5, 5, 5, 6, 7], pa.int64())})
    links = pa.table({"i": pa.array([0, 2], pa.int64()), "j": pa.array([1, 3], pa.int64()), "strength": [0.2, 0.01]})
    g = sci_geo([0, 1, 2, 3], cur, links, previous=prev, theta_link=0.05).to_pylist()
    by = {r["area_id"]: r for r in g}
    assert by[0]["geo_type"] == "continent" and by[0]["n_shared_prev"] == 3 and by[0]["prev_area_id"] == 5
    assert by[1]["geo_type"] == "peninsula"
    assert by[2]["geo_type"] == "island" and by[2]["prev_area_id"] == 6
    assert by[3]["geo_type"] == "small_island"
    # sensitivity option: at least 2 shared papers
    g2 = {r["area_id"]: r["geo_type"] for r in sci_geo([0, 1, 2, 3], cur, links, previous=prev, theta_link=0.05, min_shared=2).to_pylist()}
    assert g2 == {0: "continent", 1: "peninsula", 2: "small_island", 3: "small_island"}
    # no previous edition: continuity unknown
    g3 = sci_geo([0, 1], cur, links, previous=None, theta_link=0.05).to_pylist()
    assert [r["geo_type"] for r in g3] == [None, None] and [r["relation"] for r in g3] == [True, True]


def test_nmi_helper():
    assert nmi(np.array([0, 0, 1, 1]), np.array([5, 5, 3, 3])) == pytest.approx(1.0)
    assert nmi(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])) == pytest.approx(0.0)
