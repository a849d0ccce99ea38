"""Hand-written store rows for the mobility tests: compact paper specs → store tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

COUNTRY_INSTITUTIONS = ["JP", "US", "DE", "GB", "CN", "HK", "FR", "KR"]


def inst(country: str, k: int = 0) -> str:
    return f"I{country}{k}"


def tables(papers: Iterable[dict[str, Any]], *, affiliations: Iterable[dict[str, Any]] = ()) -> dict[str, list[dict]]:
    """``papers``: dicts ``id, year, date?, field?, subfield?, type?, citations?, authors=[(author_id, [inst ids],
    [reported countries], orcid?)]``. Institutions ``I<CC><k>`` carry country ``CC``; ``INONE`` has no country.
    ``citations`` are produced by synthetic citing works ``C<i>`` (type ``other``, so outside the nistep set)."""
    works, authorships, ai, ac, refs = [], [], [], [], []
    insts: dict[str, str | None] = {"INONE": None}
    max_c = 0
    papers = list(papers)
    for p in papers:
        works.append(dict(
            work_id=p["id"], publication_year=p["year"], publication_date=dt.date.fromisoformat(p["date"]) if p.get("date") else None, type=p.get("type", "article"),
            source_id="S1", source_type="journal", is_retracted=False, is_paratext=False,
            field_id=p.get("field", 23), subfield_id=p.get("subfield", 2301), domain_id=3, data_source="test",
            input_id=0,
        ))
        for pos, a in enumerate(p["authors"]):
            author, ins, countries = a[0], a[1], a[2]
            orcid = a[3] if len(a) > 3 else None
            authorships.append(dict(work_id=p["id"], author_position=pos, author_id=author, orcid=orcid,
                                    author_name=f"Name {author}"))
            for i in ins:
                insts.setdefault(i, None if i == "INONE" else i[1:3])
                ai.append(dict(work_id=p["id"], author_position=pos, institution_id=i))
            for c in countries:
                ac.append(dict(work_id=p["id"], author_position=pos, country_code=c))
        max_c = max(max_c, p.get("citations", 0))
    for k in range(max_c):
        works.append(dict(work_id=f"C{k}", publication_year=2030, type="other", source_id="S1", source_type="journal",
                          is_retracted=False, is_paratext=False, field_id=None, subfield_id=None, domain_id=None,
                          data_source="test", input_id=0))
    for p in papers:
        for k in range(p.get("citations", 0)):
            refs.append(dict(work_id=f"C{k}", cited_work_id=p["id"]))
    institutions = [dict(institution_id=i, country_code=c, display_name=i) for i, c in insts.items()]
    return dict(
        works=works, authorships=authorships, authorship_institutions=ai, authorship_countries=ac,
        institutions=institutions, sources=[dict(source_id="S1", display_name="J", type="journal", is_core=True)],
        references=refs, author_affiliations=list(affiliations),
    )


def paper(pid: str, year: int, *authors: tuple, **kw: Any) -> dict[str, Any]:
    return dict(id=pid, year=year, authors=list(authors), **kw)


def random_papers(seed: int, *, n_authors: int = 60, n_years: int = 14, start: int = 2000) -> list[dict[str, Any]]:
    """A reproducible random world: careers that move between a few countries, multi-affiliations, ties,
    reported countries without institutions, institutions without country, co-authored papers, citations."""
    import random

    rng = random.Random(seed)
    countries = ["JP", "US", "DE", "CN", "HK", "GB"]
    papers: list[dict[str, Any]] = []
    k = 0
    for a in range(n_authors):
        aid = f"R{a}"
        c = rng.choice(countries)
        first = start + rng.randint(0, n_years - 3)
        last = min(start + n_years - 1, first + rng.randint(0, n_years))
        orcid = f"0000-0000-0000-{a:04d}" if rng.random() < 0.5 else None
        for y in range(first, last + 1):
            if rng.random() < 0.15:
                c = rng.choice(countries)
            if rng.random() < 0.25:
                continue  # a gap year
            for _ in range(rng.choice([1, 1, 2, 3])):
                ins = [inst(c, rng.randint(0, 1))]
                rep: list[str] = []
                r = rng.random()
                if r < 0.15:
                    ins.append(inst(rng.choice(countries)))
                elif r < 0.2:
                    ins = ["INONE"]
                elif r < 0.25:
                    ins, rep = [], [c]
                elif r < 0.28:
                    ins, rep = [], []
                authors = [(aid, ins, rep, orcid)]
                if rng.random() < 0.4:
                    b = rng.randrange(n_authors)
                    if b != a:
                        authors.append((f"R{b}", [inst(rng.choice(countries))], []))
                month = rng.randint(1, 12)
                papers.append(paper(
                    f"P{k}", y, *authors, date=f"{y}-{month:02d}-01" if rng.random() < 0.9 else None,
                    field=rng.choice([23, 27]), subfield=rng.choice([2301, 2302]) if True else None,
                    citations=rng.choice([0, 0, 1, 2, 3, 5, 8, 13]),
                ))
                k += 1
    for p in papers:
        if p["field"] == 27:
            p["subfield"] = 2701
    return papers
