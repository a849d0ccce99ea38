"""Program definitions: parsing, validation errors with file/line/key, and the shipped examples."""

from __future__ import annotations

import pytest

from junkan.errors import BadInputError
from junkan.programs import (
    FunderSelector,
    InstitutionSelector,
    example_programs_path,
    load_programs,
    parse_programs,
)

GOOD = r"""
version: 1
programs:
  - id: P1
    name: Funded
    country: jp
    years: 2010-2020
    funders:
      - {id: "https://openalex.org/F4320300000"}
      - {name: "Society for the Promotion"}
      - F123
    awards: ['^JP\d{2}K\d{5}$']
  - id: CENTRES
    institutions:
      - {ror: "https://ror.org/00hj8s172", years: 2012-}
      - I999
      - {name: "Kavli Institute"}
    partner_countries: us, de
  - id: PROJ
    funders: [{name: 'Science and Technology Agency'}]
    awards: ['^JPMJSA']
    partner_countries: [TH]
    projects:
      - {id: a, partner_countries: [BT], years: 2015}
      - {id: b, awards: ['^JPMJSA1234$'], partner_countries: [MG, BT]}
"""


def test_parse_good() -> None:
    p1, c, pr = parse_programs(GOOD, file="x.yaml")
    assert p1.id == "P1" and p1.country == "JP" and p1.years == (2010, 2020)
    assert p1.funders == (FunderSelector(id="F4320300000"), FunderSelector(name="Society for the Promotion"),
                          FunderSelector(id="F123"))
    assert p1.awards == (r"^JP\d{2}K\d{5}$",)
    assert c.institutions == (InstitutionSelector(ror="00hj8s172", years=(2012, None)), InstitutionSelector(id="I999"),
                              InstitutionSelector(name="Kavli Institute"))
    assert c.partner_countries == ("DE", "US")
    assert pr.projects[0].years == (2015, 2015)
    assert pr.declared_partners == ("BT", "MG", "TH")
    assert p1.source == {"file": "x.yaml", "line": 4}


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("programs:\n  - id: A\n    funder: [x]\n", 3, "funder", "unknown key 'funder'"),
        ("programs:\n  - id: A\n    awards: ['(unclosed']\n", 3, "awards", "invalid regular expression"),
        ("programs:\n  - id: A\n    awards: ['^(?!JP)']\n", 3, "awards", "look-around"),
        ("programs:\n  - id: A\n    institutions: [{ror: 'nope'}]\n", 3, "ror", "not a ROR id"),
        ("programs:\n  - id: A\n    funders: [{id: 'I12'}]\n", 3, "id", "not an OpenAlex F"),
        ("programs:\n  - id: A\n    funders: [{id: F1, name: x}]\n", 3, "funders", "exactly one"),
        ("programs:\n  - id: A\n    awards: [x]\n    years: 2020-2010\n", 4, "years", "after the last"),
        ("programs:\n  - id: A\n    awards: [x]\n    partner_countries: [Japan]\n", 4, "partner_countries",
         "alpha-2"),
        ("programs:\n  - id: A\n    name: only a name\n", 2, "programs", "selects no papers"),
        ("programs:\n  - id: A\n    awards: [x]\n  - id: A\n    awards: [y]\n", 4, "id", "duplicate program id"),
        ("programs:\n  - id: 'bad id'\n    awards: [x]\n", 2, "id", "must start with"),
        ("programs:\n  - id: A\n    projects: [{id: p, partner_countries: [BT]}]\n", 2, "projects",
         "has no 'awards'"),
        ("version: 2\nprograms: []\n", 1, "version", "unsupported version"),
        ("programs: []\n", 1, "programs", "non-empty list"),
        ("programs:\n  - id: A\n    awards: [x\n", 4, None, "not valid YAML"),
        ("programs:\n  - id: A\n    awards: [x]\n    awards: [y]\n", 4, "awards", "duplicate key"),
    ],
)
def test_errors_name_file_line_field(text: str, line: int, field: str | None, words: str) -> None:
    with pytest.raises(BadInputError) as ei:
        parse_programs(text, file="defs.yaml")
    err = ei.value
    assert err.file == "defs.yaml"
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    assert words in str(err)
    assert str(err).startswith("defs.yaml, line ")


def test_load_missing_and_empty(tmp_path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        load_programs(tmp_path / "nope.yaml")
    (tmp_path / "e.yaml").write_text("", encoding="utf-8")
    with pytest.raises(BadInputError, match="empty"):
        load_programs(tmp_path / "e.yaml")


def test_shipped_examples_load_and_are_marked_editable() -> None:
    path = example_programs_path()
    text = path.read_text(encoding="utf-8")
    assert "EDITABLE EXAMPLES" in text
    progs = {p.id: p for p in load_programs(path)}
    assert set(progs) == {"WPI", "SATREPS", "SICORP", "ASPIRE", "KAKENHI"}
    assert len(progs["WPI"].institutions) >= 10 and not progs["WPI"].awards
    assert progs["SICORP"].declared_partners == ("IN", "ZA", "ZM")
    assert all(p.country == "JP" for p in progs.values())
