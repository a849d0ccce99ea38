"""Fixture stores for the mobility tests (written once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mobility_world import inst, paper, random_papers, tables  # noqa: E402

from junkan.store import write_store  # noqa: E402


def d3_papers() -> list[dict]:
    """METHODS Appendix D.3 (author A1, A2) plus tie-rule cases (A3, A4, A5)."""
    return [
        # D.3: 2010 JP, 2012 US, 2014 US, 2016 JP; A2 only 2013 JP
        paper("W1", 2010, ("A1", [inst("JP")], [])),
        paper("W2", 2012, ("A1", [inst("US")], [])),
        paper("W3", 2014, ("A1", [inst("US")], [])),
        paper("W4", 2016, ("A1", [inst("JP")], [])),
        paper("W5", 2013, ("A2", [inst("JP")], [])),
        # A3: 2010 US; 2011 tie JP/US (JP on the later work, so rule (ii) alone would say JP) -> rule (i) keeps US;
        # 2012 tie JP/US on one work whose previous year was itself a tie -> still US (rule (i) chained)
        paper("W6", 2010, ("A3", [inst("US")], [])),
        paper("W7", 2011, ("A3", [inst("JP")], []), date="2011-12-01"),
        paper("W8", 2011, ("A3", [inst("US")], []), date="2011-01-01"),
        paper("W9", 2012, ("A3", [inst("JP"), inst("US")], [])),
        # A4: first year tied JP/DE -> the country of the latest work (DE, rule ii)
        paper("W10", 2015, ("A4", [inst("JP")], []), date="2015-01-01"),
        paper("W11", 2015, ("A4", [inst("DE")], []), date="2015-06-01"),
        # A5: same work carries FR and GB (one work, no date difference) -> lexicographic FR (rule iii);
        # a reported country without institution counts (union rule); an institution without country is ignored
        paper("W12", 2015, ("A5", [inst("GB"), "INONE"], ["FR"])),
        # A6: 2 works in KR, 1 in JP with two countries: shares KR 2, JP 0.5, US 0.5 -> KR (no tie)
        paper("W13", 2018, ("A6", [inst("KR")], [])),
        paper("W14", 2018, ("A6", [inst("KR")], [])),
        paper("W15", 2018, ("A6", [inst("JP"), inst("US")], [])),
    ]


@pytest.fixture(scope="session")
def d3_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mob-d3") / "store"
    write_store(root, tables(d3_papers()))
    return root


@pytest.fixture(scope="session")
def random_world() -> list[dict]:
    return random_papers(seed=7, n_authors=60, n_years=14)


@pytest.fixture(scope="session")
def random_store(tmp_path_factory: pytest.TempPathFactory, random_world: list[dict]) -> Path:
    root = tmp_path_factory.mktemp("mob-rand") / "store"
    aff = [dict(author_id=f"R{i}", institution_id=inst(c), country_code=c, year=y)
           for i, c, y in ((0, "JP", 1999), (1, "US", 1990), (2, "CN", 2030), (3, "DE", 1998))]
    write_store(root, tables(random_world, affiliations=aff))
    return root
