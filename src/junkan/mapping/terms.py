"""Top terms of research areas from the titles of their core papers.

A term (a word or a two-word phrase of adjacent non-stop words) scores, in group ``g``,

.. math::  \\mathrm{score}(t, g) = \\frac{\\mathrm{df}_g(t)}{n_g}\\,\\log\\frac{1 + G}{1 + G_t}

with ``df_g(t)`` the number of titles of ``g`` containing ``t``, ``n_g`` the titles of ``g``, ``G`` the groups
and ``G_t`` the groups where ``t`` occurs (a tf-idf over groups). Only terms in at least ``min_df`` titles of a
group (default 2, or 1 for a one-title group) are candidates; a word already inside a chosen phrase is skipped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

__all__ = ["STOPWORDS", "title_terms", "top_terms"]

STOPWORDS = frozenset(
    """a about above across after against all along also among an and any are as at based be been before being
    between both but by can could do does during each effect effects either for from further had has have how
    however in into is it its it's may might more most new no non nor not of on one or other our over per
    pre study studies such than that the their them then there these they this those through to two under
    up upon use used using versus via vs was we were what when where whether which while who whom why will
    with within without would analysis approach case evidence role results review systematic toward towards
    among novel insights first three i ii iii""".split()
)

_TOKEN = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|[a-z]")


def title_terms(title: str | None) -> set[str]:
    """Distinct words (≥ 3 letters, not stop words) and adjacent-word phrases of one title, lower-cased."""
    if not title:
        return set()
    words = _TOKEN.findall(title.lower())
    out: set[str] = set()
    prev: str | None = None
    for w in words:
        if len(w) < 3 or w in STOPWORDS or w.isdigit():
            prev = None
            continue
        out.add(w)
        if prev is not None:
            out.add(f"{prev} {w}")
        prev = w
    return out


def top_terms(titles: Mapping[int, Iterable[str | None]], *, n: int = 5, min_df: int = 2) -> dict[int, list[str]]:
    """The ``n`` best terms of every group of ``titles`` (group → titles), best first."""
    df: dict[int, Counter[str]] = {}
    n_titles: dict[int, int] = {}
    groups_with: Counter[str] = Counter()
    for g, ts in titles.items():
        c: Counter[str] = Counter()
        k = 0
        for t in ts:
            c.update(title_terms(t))
            k += 1
        df[g], n_titles[g] = c, k
        groups_with.update(c.keys())
    big_g = len(df)
    out: dict[int, list[str]] = defaultdict(list)
    for g, c in df.items():
        need = min(min_df, max(1, n_titles[g]))
        scored = [
            (-(f / max(n_titles[g], 1)) * math.log((1 + big_g) / (1 + groups_with[t])), -len(t.split()), t)
            for t, f in c.items()
            if f >= need and groups_with[t] < big_g or big_g == 1 and f >= need
        ]
        scored.sort()
        chosen: list[str] = []
        covered: set[str] = set()
        for _, _, t in scored:
            parts = t.split()
            if len(parts) == 1 and t in covered:
                continue
            if len(parts) == 2 and all(p in chosen for p in parts):
                continue
            chosen.append(t)
            covered.update(parts)
            if len(chosen) == n:
                break
        out[g] = chosen
    return dict(out)
