"""A random but reproducible bibliometric world (store rows) and a plain-Python oracle for the indicators.

The oracle re-implements METHODS §0.3–0.8 with dicts and loops, independently of the Ibis code, so that
the engines can be checked against something other than each other.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from fractions import Fraction
from typing import Any

COUNTRIES = ["JP", "US", "CN", "HK", "DE", "GB", "FR", "KR", "MO", "TW"]
MAP_CWTS = {"HK": "CN", "MO": "CN"}


def work_row(work_id: str, **kw: Any) -> dict[str, Any]:
    row = dict(
        work_id=work_id, publication_year=2020, type="article", source_id="S1", source_type="journal",
        is_retracted=False, is_paratext=False, field_id=23, subfield_id=2301, domain_id=3,
        data_source="test", input_id=0,
    )
    row.update(kw)
    return row


def make_world(seed: int, n_works: int = 120, years: tuple[int, int] = (2000, 2023)) -> dict[str, list[dict]]:
    """Store tables of a random world; every feature the indicators look at occurs with some probability."""
    rng = random.Random(seed)
    institutions = []
    for i in range(14):
        cc = rng.choice(COUNTRIES + [None])
        institutions.append(dict(institution_id=f"I{i}", country_code=cc, display_name=f"Inst {i}"))
    sources = [
        dict(source_id="S1", display_name="Journal One", type="journal", is_core=True),
        dict(source_id="S2", display_name="Journal Two", type="journal", is_core=False),
        dict(source_id="S3", display_name="Proceedings of the AAAI Conference", type="conference", is_core=False),
        dict(source_id="S4", display_name="Book Series", type="book series", is_core=True),
    ]
    src_type = {s["source_id"]: s["type"] for s in sources}
    works, authorships, ai, ac, refs = [], [], [], [], []
    for w in range(n_works):
        wid = f"W{w}"
        field = rng.choice([23, 23, 27, 31, 32, 33, None])
        src = rng.choice(["S1", "S1", "S2", "S3", "S4", None])
        works.append(work_row(
            wid,
            publication_year=rng.randint(*years),
            type=rng.choice(["article"] * 6 + ["review", "book-chapter", "editorial"]),
            source_id=src,
            source_type=src_type.get(src) if src else None,
            is_retracted=rng.random() < 0.03,
            is_paratext=rng.random() < 0.03 if rng.random() < 0.9 else None,
            field_id=field,
            subfield_id=None if field is None else field * 100 + rng.randint(0, 1),
            domain_id=None if field is None else (2 if field in (32, 33) else 3),
        ))
        for pos in range(rng.randint(1, 4)):
            raw = rng.choice([None, [], ["Dept X, Tokyo"], ["Lab Y", "Dept X, Tokyo"]])
            authorships.append(dict(
                work_id=wid, author_position=pos, author_id=rng.choice([None] + [f"A{i}" for i in range(25)]),
                raw_affiliation_strings=raw,
            ))
            insts = rng.sample(institutions, rng.choice([0, 1, 1, 1, 2]))
            for inst in insts:
                ai.append(dict(work_id=wid, author_position=pos, institution_id=inst["institution_id"]))
            ccs = {inst["country_code"] for inst in insts if inst["country_code"]}
            if rng.random() < 0.25:
                ccs.add(rng.choice(COUNTRIES))
            for cc in sorted(ccs):
                ac.append(dict(work_id=wid, author_position=pos, country_code=cc))
    ids = [w["work_id"] for w in works]
    for w in works:
        for cited in rng.sample(ids, rng.randint(0, min(6, len(ids)))):
            refs.append(dict(work_id=w["work_id"], cited_work_id=cited))
        if rng.random() < 0.1:
            refs.append(dict(work_id=w["work_id"], cited_work_id="W_outside"))
    return dict(
        works=works, authorships=authorships, authorship_institutions=ai, authorship_countries=ac,
        institutions=institutions, sources=sources, references=refs,
    )


# ------------------------------------------------------------------------------------------------------------
# oracle


def nistep_docset(world: dict[str, list[dict]], *, exclude_social_sciences: bool = True) -> list[dict]:
    out = []
    for w in world["works"]:
        if w["type"] not in ("article", "review") or w["source_type"] != "journal":
            continue
        if w["is_paratext"] or w["is_retracted"]:
            continue
        if exclude_social_sciences and w["domain_id"] == 2 and w["field_id"] != 32:
            continue
        out.append(w)
    return out


def units(world: dict[str, list[dict]], cmap: dict[str, str]) -> dict[tuple[str, int], dict[str, str]]:
    """(work, position) -> {unit_id: country}."""
    inst_cc = {i["institution_id"]: i["country_code"] for i in world["institutions"]}
    raw = {(a["work_id"], a["author_position"]): a.get("raw_affiliation_strings") for a in world["authorships"]}
    out: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for r in world["authorship_institutions"]:
        cc = inst_cc.get(r["institution_id"])
        if cc:
            out[(r["work_id"], r["author_position"])]["I:" + r["institution_id"]] = cmap.get(cc, cc)
    for r in world["authorship_countries"]:
        key = (r["work_id"], r["author_position"])
        cc = cmap.get(r["country_code"], r["country_code"])
        if cc in out[key].values():
            continue
        strings = raw.get(key)
        rk = " | ".join(sorted(strings)) if strings else f"#{r['author_position']}"
        out[key][f"R:{cc}:{rk}"] = cc
    return {k: v for k, v in out.items() if v}


def credits(world: dict[str, list[dict]], counting: str, cmap: dict[str, str]) -> dict[str, dict[str, float]]:
    """work -> country -> weight (every work with a country)."""
    u = units(world, cmap)
    n_auth: dict[str, int] = defaultdict(int)
    for a in world["authorships"]:
        n_auth[a["work_id"]] += 1
    per_work: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
    for (wid, pos), us in u.items():
        per_work[wid][pos] = us
    out: dict[str, dict[str, float]] = {}
    for wid, authors in per_work.items():
        cs = {c for us in authors.values() for c in us.values()}
        if counting == "whole":
            out[wid] = {c: 1.0 for c in cs}
        elif counting == "country":
            out[wid] = {c: 1 / len(cs) for c in cs}
        elif counting == "institution":
            allu = {uid: c for us in authors.values() for uid, c in us.items()}
            out[wid] = {c: sum(1 for x in allu.values() if x == c) / len(allu) for c in cs}
        else:
            share: dict[str, Fraction] = defaultdict(Fraction)
            for us in authors.values():
                for c in us.values():
                    share[c] += Fraction(1, len(us))
            denom = n_auth[wid] if counting == "author_literal" else len(authors)
            out[wid] = {c: float(s / denom) for c, s in share.items()}
    return out


def citations(world: dict[str, list[dict]], cited: list[dict], *, citing_types=("article", "review", "book-chapter"),
              self_citations: bool = True, window: int | None = None) -> dict[str, int]:
    years = {w["work_id"]: w["publication_year"] for w in world["works"]}
    ok_citing = {w["work_id"] for w in world["works"] if w["type"] in citing_types and not w["is_paratext"]}
    authors: dict[str, set[str]] = defaultdict(set)
    for a in world["authorships"]:
        if a["author_id"]:
            authors[a["work_id"]].add(a["author_id"])
    ids = {w["work_id"] for w in cited}
    c = {w: 0 for w in ids}
    for r in world["references"]:
        q, p = r["work_id"], r["cited_work_id"]
        if p not in ids or q == p or q not in ok_citing:
            continue
        if window is not None and years[q] > years[p] + window - 1:
            continue
        if not self_citations and authors[q] & authors[p]:
            continue
        c[p] += 1
    return c


def top_shares(sets: dict[Any, list[tuple[str, int]]], pct: Fraction, method: str) -> dict[str, float]:
    """Reference set -> [(work, citations)] to work -> top credit, by the textbook definitions (METHODS 0.8)."""
    out: dict[str, float] = {}
    pi = pct / 100
    for members in sets.values():
        n = len(members)
        cs = sorted((c for _, c in members), reverse=True)
        if method == "cwts":
            props = defaultdict(Fraction)
            for _, c in members:
                props[c] += Fraction(1, n)
            cum, T = Fraction(0), None
            for c in sorted(props):
                cum += props[c]
                if cum >= 1 - pi:
                    T, cumT = c, cum
                    break
            omega = (cumT - (1 - pi)) / props[T]
            for wid, c in members:
                out[wid] = 1.0 if c > T else float(omega) if c == T else 0.0
        else:
            k = math.ceil(pi * n)
            ck = cs[k - 1]
            sel = [w for w, c in members if c >= ck]
            if method == "nistep_exclusive":
                excl = [w for w, c in members if c > ck]
                sel = excl or sel
            alpha = float(pi * n / len(sel))
            for wid, _ in members:
                out[wid] = alpha if wid in sel else 0.0
    return out
