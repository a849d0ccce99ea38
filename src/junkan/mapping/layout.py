"""2D layout of a map's nodes (areas or fronts) from their co-citation strengths.

``fr`` = Fruchterman–Reingold (igraph, weighted, force-directed); ``kk`` = Kamada–Kawai with distances
``1 / strength``. Both start from a seeded random placement so that the layout is reproducible. Coordinates
are centred and scaled so that the mean distance from the centre is 1 (VOSviewer-like normalisation).
Nodes without links are placed on an outer ring, ordered by id.
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np

from junkan.errors import ConfigError

__all__ = ["LAYOUTS", "layout_nodes"]

LAYOUTS = ("fr", "kk")


def layout_nodes(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    strength: np.ndarray,
    *,
    method: str = "fr",
    seed: int = 0,
    min_strength: float = 0.0,
) -> np.ndarray:
    """Coordinates ``(n, 2)`` for ``n`` nodes linked by ``src – dst`` with ``strength`` (links below
    ``min_strength`` are ignored)."""
    if method not in LAYOUTS:
        raise ConfigError(f"layout {method!r}: choose one of {', '.join(LAYOUTS)}")
    xy = np.zeros((n, 2))
    if n == 0:
        return xy
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    s = np.asarray(strength, dtype=np.float64)
    keep = s >= min_strength
    src, dst, s = src[keep], dst[keep], s[keep]
    order = np.lexsort((dst, src))
    src, dst, s = src[order], dst[order], s[order]
    linked = np.zeros(n, bool)
    linked[src] = True
    linked[dst] = True
    idx = np.flatnonzero(linked)
    if len(idx):
        pos = np.full(n, -1)
        pos[idx] = np.arange(len(idx))
        g = ig.Graph(n=len(idx), edges=np.column_stack([pos[src], pos[dst]]) if len(src) else [], directed=False)
        rng = np.random.default_rng(seed)
        start = rng.uniform(-1, 1, size=(len(idx), 2)).tolist()
        random.seed(seed)  # igraph draws from Python's random module
        if method == "fr":
            lay = g.layout_fruchterman_reingold(weights=s.tolist(), seed=start, niter=500, grid="auto")
        else:
            g.es["dist"] = (1.0 / np.maximum(s, 1e-6)).tolist()
            lay = g.layout_kamada_kawai(seed=start, weights="dist", maxiter=50 * len(idx))
        sub = np.asarray(lay.coords, dtype=np.float64)
        sub -= sub.mean(axis=0)
        r = np.sqrt((sub**2).sum(axis=1)).mean()
        if r > 0:
            sub /= r
        xy[idx] = sub
        radius = float(np.sqrt((sub**2).sum(axis=1)).max()) + 0.5 if len(sub) else 1.0
    else:
        radius = 1.0
    lone = np.flatnonzero(~linked)
    if len(lone):
        ang = 2 * np.pi * np.arange(len(lone)) / len(lone)
        xy[lone, 0] = radius * np.cos(ang)
        xy[lone, 1] = radius * np.sin(ang)
    return xy
