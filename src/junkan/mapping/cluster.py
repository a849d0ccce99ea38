"""Clustering of a weighted co-citation graph: Leiden (leidenalg), small-cluster merging, stable numbering.

Used twice by :func:`junkan.mapping.build_map`: papers → research fronts, then fronts → research areas
(METHODS §6.2 steps 4–5, Appendix A.2). The graph arrives as numpy edge arrays collected from the engine;
vertices are numbered in sorted-id order and edges sorted, so the result depends only on the edge list, the
parameters and the seed — not on row order.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import igraph as ig
import leidenalg
import numpy as np

from junkan.errors import ConfigError

__all__ = ["QUALITIES", "ClusterParams", "cluster_graph", "merge_small_clusters", "renumber"]

#: ``cpm``: constant Potts model on the normalised weights (CWTS, Appendix A.2; recovers planted topics,
#: STACK.md §4); ``modularity``: RB-configuration (modularity with a resolution); ``single_link``: connected
#: components of the thresholded graph (ESI / NISTEP single-link clustering, §6.1).
QUALITIES = ("cpm", "modularity", "single_link")


@dataclass(frozen=True)
class ClusterParams:
    """Parameters of one clustering level.

    ``resolution`` is γ of the quality function (CPM: a cluster holds together when its mean internal link
    strength exceeds γ); ``n_iterations`` Leiden iterations (negative = until stable); ``seed`` the random seed;
    ``min_size`` the minimum cluster size in node weights (smaller clusters are merged into their best-linked
    neighbour, Appendix A.2); isolated small clusters stay as they are.
    """

    quality: str = "cpm"
    resolution: float = 0.1
    n_iterations: int = 2
    seed: int = 0
    min_size: float = 1.0

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ConfigError(f"quality {self.quality!r}: choose one of {', '.join(QUALITIES)}")
        if not self.resolution >= 0:
            raise ConfigError(f"resolution {self.resolution!r}: must be >= 0")
        if self.n_iterations == 0:
            raise ConfigError("n_iterations 0: use a positive number or -1 (until stable)")


def cluster_graph(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    params: ClusterParams,
    *,
    node_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Cluster ``n`` vertices linked by the edges ``src[k] – dst[k]`` (weights ``weight``); returns memberships.

    Vertices without edges are singletons. CPM node sizes are 1 (the weights are already normalised);
    ``node_weight`` (default 1, e.g. core papers of a front) is the unit of ``min_size``.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    nw = np.ones(n) if node_weight is None else np.asarray(node_weight, dtype=np.float64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((dst, src))
    src, dst, weight = src[order], dst[order], weight[order]
    g = ig.Graph(n=n, edges=np.column_stack([src, dst]), directed=False)
    if params.quality == "single_link":
        memb = np.asarray(g.connected_components().membership, dtype=np.int64)
    else:
        g.es["weight"] = weight
        kind = leidenalg.CPMVertexPartition if params.quality == "cpm" else leidenalg.RBConfigurationVertexPartition
        part = leidenalg.find_partition(
            g,
            kind,
            weights="weight",
            resolution_parameter=float(params.resolution),
            n_iterations=int(params.n_iterations),
            seed=int(params.seed),
        )
        memb = np.asarray(part.membership, dtype=np.int64)
    if params.min_size > 0:
        memb = merge_small_clusters(memb, src, dst, weight, nw, params.min_size)
    return memb


def merge_small_clusters(
    memb: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    node_weight: np.ndarray,
    min_size: float,
) -> np.ndarray:
    """Merge clusters lighter than ``min_size`` into their best-linked neighbour (CWTS rule, Appendix A.2).

    Repeatedly take the smallest cluster below the threshold (ties: lowest label) and merge it into the
    neighbouring cluster ``D`` maximising ``w(C, D) / W_D`` (link weight to ``D`` over ``D``'s weight; ties:
    lowest label); stop when every cluster below the threshold has no neighbour left.
    """
    memb = np.asarray(memb, dtype=np.int64)
    k = int(memb.max()) + 1 if len(memb) else 0
    size = np.bincount(memb, weights=node_weight, minlength=k).astype(np.float64)
    small = size < min_size
    if not small.any():
        return memb
    cu, cv = memb[src], memb[dst]
    mask = (cu != cv) & (small[cu] | small[cv])
    adj: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for a, b, x in zip(cu[mask].tolist(), cv[mask].tolist(), weight[mask].tolist(), strict=True):
        adj[a][b] += x
        adj[b][a] += x
    parent = list(range(k))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    heap = [(float(size[c]), c) for c in np.flatnonzero(small).tolist()]
    heapq.heapify(heap)
    while heap:
        s, c = heapq.heappop(heap)
        if find(c) != c or size[c] != s or s >= min_size:
            continue
        tot: dict[int, float] = defaultdict(float)
        for nb, x in adj[c].items():
            r = find(nb)
            if r != c:
                tot[r] += x
        if not tot:
            continue
        best = min(tot, key=lambda r: (-tot[r] / size[r], r))
        parent[c] = best
        size[best] += size[c]
        ab = adj[best]
        for nb, x in adj.pop(c, {}).items():
            ab[nb] += x
        if size[best] < min_size:
            heapq.heappush(heap, (float(size[best]), best))
    roots = np.array([find(c) for c in range(k)], dtype=np.int64)
    return roots[memb]


def renumber(memb: np.ndarray, node_key: np.ndarray, node_weight: np.ndarray | None = None) -> np.ndarray:
    """Relabel clusters 0, 1, … by decreasing weight, ties by the smallest ``node_key`` of their members.

    With ``node_key`` = sorted work ids this makes cluster numbers independent of Leiden's arbitrary labels,
    so reruns (and runs on another engine) give the same ids.
    """
    memb = np.asarray(memb, dtype=np.int64)
    if len(memb) == 0:
        return memb
    k = int(memb.max()) + 1
    nw = np.ones(len(memb)) if node_weight is None else np.asarray(node_weight, dtype=np.float64)
    size = np.bincount(memb, weights=nw, minlength=k)
    rank_key = np.argsort(np.argsort(node_key, kind="stable"), kind="stable")  # position of each node's key
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, memb, rank_key)
    present = np.bincount(memb, minlength=k) > 0
    labels = np.flatnonzero(present)
    order = labels[np.lexsort((first[labels], -size[labels]))]
    new = np.full(k, -1, dtype=np.int64)
    new[order] = np.arange(len(order))
    return new[memb]
