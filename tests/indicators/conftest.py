"""Fixture stores for the indicator tests (written once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the test helpers (indicator_world) live next to this file; make them importable under any import mode
sys.path.insert(0, str(Path(__file__).parent))

from indicator_world import make_world, work_row  # noqa: E402

from junkan.store import write_store  # noqa: E402


def appendix_d_tables() -> dict[str, list[dict]]:
    """METHODS Appendix D.1 and D.2 as one store.

    D.1 — work P1 (2020, field 23): a1 → Univ A (JP); a2 → Univ B (JP) and Univ C (US); a3 → no affiliation.

    D.2 — field 27, 2020: 100 works; T1..T8 have 21..28 citations (US), E1..E5 exactly 20 (JP), B1..B87 below
    20 (0..19 cycling, DE). Field 24, 2020: U1..U30 all uncited (GB). Citations come from 30 citing works
    C1..C30 (book chapters in a book series, 2021): the citing universe of the nistep profile, but not in its
    document set. A work with c citations is cited by C1..Cc.
    """
    works = [work_row("P1", field_id=23, subfield_id=2301)]
    authorships = [dict(work_id="P1", author_position=i, author_id=f"a{i + 1}") for i in range(3)]
    ai = [
        dict(work_id="P1", author_position=0, institution_id="IA"),
        dict(work_id="P1", author_position=1, institution_id="IB"),
        dict(work_id="P1", author_position=1, institution_id="IC"),
    ]
    institutions = [
        dict(institution_id="IA", country_code="JP", display_name="Univ A"),
        dict(institution_id="IB", country_code="JP", display_name="Univ B"),
        dict(institution_id="IC", country_code="US", display_name="Univ C"),
        dict(institution_id="IUS", country_code="US"),
        dict(institution_id="IJP", country_code="JP"),
        dict(institution_id="IDE", country_code="DE"),
        dict(institution_id="IGB", country_code="GB"),
    ]
    refs = []
    cites: dict[str, int] = {}
    groups = (
        [(f"T{i}", 20 + i, "IUS") for i in range(1, 9)]
        + [(f"E{i}", 20, "IJP") for i in range(1, 6)]
        + [(f"B{i}", (i - 1) % 20, "IDE") for i in range(1, 88)]
    )
    for wid, c, inst in groups:
        works.append(work_row(wid, field_id=27, subfield_id=2701))
        cites[wid] = c
        authorships.append(dict(work_id=wid, author_position=0, author_id=f"x{wid}"))
        ai.append(dict(work_id=wid, author_position=0, institution_id=inst))
    for i in range(1, 31):
        wid = f"U{i}"
        works.append(work_row(wid, field_id=24, subfield_id=2401))
        authorships.append(dict(work_id=wid, author_position=0, author_id=f"x{wid}"))
        ai.append(dict(work_id=wid, author_position=0, institution_id="IGB"))
    for i in range(1, 31):
        works.append(work_row(f"C{i}", publication_year=2021, type="book-chapter", source_id="S9",
                              source_type="book series", field_id=27, subfield_id=2701))
    for wid, c in cites.items():
        refs.extend(dict(work_id=f"C{j}", cited_work_id=wid) for j in range(1, c + 1))
    return dict(works=works, authorships=authorships, authorship_institutions=ai, institutions=institutions,
                references=refs, sources=[dict(source_id="S1", type="journal", is_core=True)])


@pytest.fixture(scope="session")
def appendix_d_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("appendix_d")
    write_store(path, appendix_d_tables())
    return path


SHARED_SEED = 20261128


@pytest.fixture(scope="session")
def shared_world() -> dict[str, list[dict]]:
    return make_world(SHARED_SEED, n_works=400)


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory: pytest.TempPathFactory, shared_world: dict[str, list[dict]]) -> Path:
    path = tmp_path_factory.mktemp("shared")
    write_store(path, shared_world)
    return path


_CACHE: dict[tuple, object] = {}


@pytest.fixture
def compute(backend, open_engine):
    """``compute(store_path, name, **options)`` → IndicatorResult on the test's backend, cached per session.

    Spark answers a small query in ~1–5 s, so tests that assert different things about one result share it.
    """
    from junkan.indicators import run

    def _compute(store: Path, name: str, **options):
        key = (backend, str(store), name, tuple(sorted((k, repr(v)) for k, v in options.items())))
        if key not in _CACHE:
            _CACHE[key] = run(open_engine(store), name, **options)
        return _CACHE[key]

    return _compute
