"""Plain-Python re-implementation of METHODS §1.3 and §2.2 (dicts and loops, exact fractions), independent of the
Ibis code, for checking the engines against something other than each other."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any


def main_economies(papers: list[dict[str, Any]], *, country_of: dict[str, str | None]) -> dict[str, dict[int, str]]:
    """author -> {year: m(a, y)} with the tie rule of METHODS §1.3.1 (as documented in trajectories.py)."""
    s: dict[tuple[str, int], dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    last: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for p in papers:
        if p.get("type", "article") != "article":
            continue
        k_of: dict[str, set[str]] = defaultdict(set)
        for a in p["authors"]:
            for i in a[1]:
                if country_of.get(i):
                    k_of[a[0]].add(country_of[i])
            k_of[a[0]].update(a[2])
        key = (p.get("date") or "0000-00-00") + "|" + p["id"]
        for author, ks in k_of.items():
            if not ks:
                continue
            for c in ks:
                s[(author, p["year"])][c] += Fraction(1, len(ks))
                lk = last[(author, p["year"])]
                lk[c] = max(lk.get(c, ""), key)
    out: dict[str, dict[int, str]] = defaultdict(dict)
    for author in sorted({a for a, _ in s}):
        prev = None
        for y in sorted(y for a, y in s if a == author):
            sc = s[(author, y)]
            top = max(sc.values())
            tied = sorted(c for c, v in sc.items() if v == top)
            if len(tied) == 1:
                m = tied[0]
            elif prev in tied:
                m = prev
            else:
                lk = last[(author, y)]
                best = max(lk[c] for c in tied)
                m = min(c for c in tied if lk[c] == best)
            out[author][y] = m
            prev = m
    return dict(out)


def classes(traj: dict[str, dict[int, str]]) -> set[tuple[str, int, str, str, str | None]]:
    """{(author, year, country, class, partner)} as METHODS §1.3.4."""
    rows = set()
    for a, ys in traj.items():
        years = sorted(ys)
        first = ys[years[0]]
        for i, y in enumerate(years):
            c = ys[y]
            if i == 0:
                rows.add((a, y, c, "entrant", None))
                continue
            pc = ys[years[i - 1]]
            if pc == c:
                rows.add((a, y, c, "stayer", None))
            else:
                rows.add((a, y, c, "returnee" if first == c else "new_inflow", pc))
                rows.add((a, y, pc, "outflow", c))
    return rows


def flows(traj: dict[str, dict[int, str]], period: tuple[int, int]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for ys in traj.values():
        yy = sorted(y for y in ys if period[0] <= y <= period[1])
        if len(yy) >= 2 and ys[yy[0]] != ys[yy[-1]]:
            out[(ys[yy[0]], ys[yy[-1]])] += 1
    return dict(out)
