"""Cohort file reader: normalisation and validation problems (file, line, field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.cohort import normalize_author_id, normalize_orcid, read_cohort
from junkan.errors import BadInputError

HEADER = "person_id,orcid,openalex_author_id,name,program,start,end,host_institution,host_country,field\n"


def write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_file_normalises_ids(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        HEADER
        + "P1,https://orcid.org/0000-0002-1825-0097,https://openalex.org/A123,Ann,X,2010,2011,U,jp,Physics\n"
        + "P2,,a77,Bob,X,2012,2012,,,\n",
    )
    c = read_cohort(p)
    assert c.ok, c.problems
    r = c.members.to_pylist()
    assert [x["orcid"] for x in r] == ["0000-0002-1825-0097", None]
    assert [x["openalex_author_id"] for x in r] == ["A123", "A77"]
    assert [x["host_country"] for x in r] == ["JP", None]
    assert [(x["start"], x["end"], x["line"]) for x in r] == [(2010, 2011, 2), (2012, 2012, 3)]


def test_aliases_and_year_spellings(tmp_path: Path) -> None:
    p = write(tmp_path, "Person ID,OpenAlex ID,Start Year,End-Year\nP1,A1,2010-04-01,2012.0\n")
    c = read_cohort(p)
    assert c.ok, c.problems
    assert c.members.to_pylist()[0] | {} == {
        **{k: None for k in c.members.column_names},
        "person_id": "P1", "openalex_author_id": "A1", "start": 2010, "end": 2012, "line": 2,
    }


def test_problems_are_collected_with_line_and_field(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        HEADER.rstrip("\n") + ",shoe_size\n"
        + "P1,,A1,Ann,X,2010,2011,,,,42\n"          # ok
        + "P2,,A2,Bob,X,2012,2010,,,,42\n"          # end before start
        + "P3,,A3,Cy,X,20x1,2011,,,,42\n"           # bad start
        + "P1,,A4,Di,X,2010,2011,,,,42\n"           # duplicate person
        + "P5,,A1,Ed,X,2010,2011,,,,42\n"           # duplicate author id
        + "P6,0000-0002-1825-0098,,Fa,X,2010,2011,,,,42\n"  # bad ORCID check digit
        + "P7,,,Gu,X,2010,2011,,,,42\n"             # no id
        + "P8,,A8,Ha,X,,2011,,,,42\n",              # missing start
    )
    c = read_cohort(p)
    got = {(x.line, x.field) for x in c.problems}
    assert got == {
        (1, "shoe_size"), (3, "end"), (4, "start"), (5, "person_id"), (6, "openalex_author_id"),
        (7, "orcid"), (8, None), (9, "start"),
    }
    assert c.members.column("person_id").to_pylist() == ["P1"]
    msg = {x.line: str(x) for x in c.problems}
    assert str(p) in msg[3] and "line 3" in msg[3] and "'end'" in msg[3] and "before start" in msg[3]
    assert "first on line 2" in msg[5]
    with pytest.raises(BadInputError, match=r"line 1.*shoe_size.*and 7 more"):
        c.raise_for_problems()


def test_unusable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        read_cohort(tmp_path / "nope.csv")
    with pytest.raises(BadInputError, match="'start'"):
        read_cohort(write(tmp_path, "orcid,end\n"))
    with pytest.raises(BadInputError, match="orcid"):
        read_cohort(write(tmp_path, "name,start,end\nA,2010,2011\n"))
    with pytest.raises(BadInputError, match="unsupported"):
        read_cohort(write(tmp_path, "x", name="c.pdf"))


def test_excel(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["person_id", "openalex_author_id", "start", "end"])
    ws.append(["P1", "A1", 2010, 2011])
    ws.append(["P2", "A2", 2013.0, "2012"])
    p = tmp_path / "c.xlsx"
    wb.save(p)
    c = read_cohort(p)
    assert c.members.column("person_id").to_pylist() == ["P1"]
    assert [(x.line, x.field) for x in c.problems] == [(3, "end")]


def test_normalisers() -> None:
    assert normalize_orcid("000000021825009X") is None  # wrong check character
    assert normalize_orcid("0000-0002-1694-233X") == "0000-0002-1694-233X"
    assert normalize_orcid("0000000218250097") == "0000-0002-1825-0097"
    assert normalize_author_id("W123") is None
    assert normalize_author_id("https://openalex.org/A5") == "A5"
