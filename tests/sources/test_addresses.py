"""Addresses → countries: the tricky spellings of Scopus and Web of Science, overrides, the alias data."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError
from junkan.sources import addresses
from junkan.sources.addresses import countries_of, country_of, load_overrides

# (address as printed, expected country, expected matched component, expected rule)
CASES = [
    # China as WoS and Scopus write it
    ("Zhejiang Chinese Med Univ, 548 Binwen Rd,Bldg 9, Hangzhou 310053, Zhejiang, Peoples R China.", "CN",
     "Peoples R China", "alias"),
    ("Hunan Normal University, Changsha, China", "CN", "China", "alias"),
    # the constituent countries of the UK
    ("Univ Oxford, Oxford OX1 2JD, England.", "GB", "England", "alias"),
    ("Univ Edinburgh, Edinburgh, Midlothian, Scotland", "GB", "Scotland", "alias"),
    ("Cardiff Univ, Cardiff CF10 3AT, Wales.", "GB", "Wales", "alias"),
    ("Queens Univ Belfast, Belfast, Antrim, North Ireland.", "GB", "North Ireland", "alias"),
    ("University of Oxford, Oxford, United Kingdom", "GB", "United Kingdom", "alias"),
    # USA with state codes, and street names that are country names
    ("Stanford Univ, Dept Phys, Stanford, CA 94305 USA.", "US", "CA 94305 USA", "us-state"),
    ("Stanford, CA USA", "US", "CA USA", "us-state"),
    ("George Washington Univ, Washington, DC 20052", "US", "DC 20052", "us-state"),
    ("Georgia Ave, Washington DC, USA", "US", "USA", "alias"),
    ("Georgia Inst Technol, Georgia Ave, Atlanta, GA 30332 USA", "US", "GA 30332 USA", "us-state"),
    ("Georgia Institute of Technology, Georgia Ave, Atlanta, GA, United States", "US", "United States", "alias"),
    ("Jordan Hall, Stanford", None, None, "none"),
    ("Jordan Hall, Stanford Univ, Stanford, CA 94305 USA", "US", "CA 94305 USA", "us-state"),
    ("Harvard Univ, Cambridge, Massachusetts", "US", "Massachusetts", "us-state-name"),
    # Georgia the country stays Georgia when it is the last component
    ("Tbilisi State Univ, Tbilisi, Georgia", "GE", "Georgia", "alias"),
    ("Univ Jordan, Amman, Jordan", "JO", "Jordan", "alias"),
    # the two Koreas
    ("Seoul Natl Univ, Seoul 08826, South Korea.", "KR", "South Korea", "alias"),
    ("KAIST, Daejeon, Korea", "KR", "Korea", "alias"),
    ("Seoul, Korea, Republic of", "KR", "Korea, Republic of", "alias-two-components"),
    ("Kim Il Sung Univ, Pyongyang, North Korea", "KP", "North Korea", "alias"),
    ("Pyongyang, Dem Peoples R Korea", "KP", "Dem Peoples R Korea", "alias"),
    ("Pyongyang, DPR Korea", "KP", "DPR Korea", "alias"),
    # the two Congos
    ("Univ Kinshasa, Kinshasa, Dem Rep Congo.", "CD", "Dem Rep Congo", "alias"),
    ("Universite de Kinshasa, Kinshasa, Democratic Republic Congo", "CD", "Democratic Republic Congo", "alias"),
    ("Univ Marien Ngouabi, Brazzaville, Rep Congo.", "CG", "Rep Congo", "alias"),
    ("Universite Marien Ngouabi, Brazzaville, Congo", "CG", "Congo", "alias"),
    # Hong Kong as given; Taiwan; Macao
    ("Univ Hong Kong, Pokfulam, Hong Kong, Peoples R China.", "HK", "Hong Kong, Peoples R China", "hk-mo-before-china"),
    ("The University of Hong Kong, Pokfulam, Hong Kong", "HK", "Hong Kong", "alias"),
    ("Univ Macau, Taipa, Macau, Peoples R China", "MO", "Macau, Peoples R China", "hk-mo-before-china"),
    ("Natl Taiwan Univ, Taipei 10617, Taiwan.", "TW", "Taiwan", "alias"),
    ("Taipei, Taiwan, Province of China", "TW", "Taiwan, Province of China", "alias-two-components"),
    # accents, abbreviations, postcodes after the country
    ("Universite Felix Houphouet-Boigny, Abidjan, Côte d'Ivoire", "CI", "Côte d'Ivoire", "alias"),
    ("Univ Abidjan, Abidjan, Cote Ivoire", "CI", "Cote Ivoire", "alias"),
    ("Istanbul Univ, Istanbul, Türkiye", "TR", "Türkiye", "alias"),
    ("Papua New Guinea Univ Technol, Lae, Papua N Guinea", "PG", "Papua N Guinea", "alias"),
    ("Univ Sarajevo, Sarajevo, Bosnia & Herceg", "BA", "Bosnia & Herceg", "alias"),
    ("Khalifa Univ, Abu Dhabi, U Arab Emirates", "AE", "U Arab Emirates", "alias"),
    ("Univ Tokyo, Tokyo, Japan 113", "JP", "Japan 113", "alias-postcode"),
    ("Moscow State Univ, Moscow, Russian Federation", "RU", "Russian Federation", "alias"),
    ("Hanoi Univ, Hanoi, Viet Nam", "VN", "Viet Nam", "alias"),
    # the country in an earlier component (never the first: institution names are not countries)
    ("Dept Phys, Japan, Sendai Campus", "JP", "Japan", "alias-component"),
    ("Jordan Hall, Stanford Campus, Palo Alto", None, None, "none"),
    ("", None, None, "none"),
    (None, None, None, "none"),
]


@pytest.fixture(scope="module")
def decided() -> list[dict]:
    return countries_of([c[0] for c in CASES]).to_pylist()


@pytest.mark.parametrize("i", range(len(CASES)), ids=[str(c[0])[:40] for c in CASES])
def test_tricky_addresses(decided: list[dict], i: int) -> None:
    address, code, matched, rule = CASES[i]
    got = decided[i]
    assert got["address"] == address
    assert (got["country_code"], got["matched"], got["rule"]) == (code, matched, rule)


def test_single_string_function_agrees_with_the_bulk_path() -> None:
    assert country_of("Stanford Univ, Stanford, CA 94305 USA") == ("US", "CA 94305 USA", "us-state")
    assert country_of("Jordan Hall, Stanford") == (None, None, "none")


def test_bulk_keeps_order_duplicates_and_nulls() -> None:
    col = pa.array(["Tokyo, Japan", None, "Seoul, South Korea", "Tokyo, Japan"], pa.string())
    out = countries_of(pa.chunked_array([col]))
    assert out.column("country_code").to_pylist() == ["JP", None, "KR", "JP"]
    assert out.column("address").to_pylist() == col.to_pylist()
    assert countries_of([]).num_rows == 0


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_overrides_win_and_are_audited(tmp_path: Path) -> None:
    p = _write(tmp_path / "ov.csv", [["pattern", "country_code", "note"], ["Jordan Hall", "US", "Stanford building"],
                                     ["Int Space Stn", "", "not a country"], ["Georgia Ave", "GE", "deliberately wrong"]])
    ov = load_overrides(p)
    assert ov.num_rows == 3
    out = countries_of(["Jordan Hall, Stanford", "Int Space Stn, Orbit, USA", "Tokyo, Japan", "1 Georgia Ave, Georgia Ave, X"],
                       overrides=ov).to_pylist()
    assert (out[0]["country_code"], out[0]["matched"], out[0]["rule"]) == ("US", "Jordan Hall", "override")
    assert (out[1]["country_code"], out[1]["rule"]) == (None, "override")  # an empty code means "no country"
    assert (out[2]["country_code"], out[2]["rule"]) == ("JP", "alias")
    assert out[3]["country_code"] == "GE"  # the first matching row wins (file order)
    # a path works as well as the loaded table, and matching is case-insensitive
    assert country_of("jordan hall, stanford", overrides=p)[0] == "US"


@pytest.mark.parametrize(
    "rows, line, field",
    [
        ([["pattern", "code"], ["x", "US"]], 1, "country_code"),
        ([["pattern", "country_code"], ["Tokyo", "US"], ["(unclosed", "JP"]], 3, "pattern"),
        ([["pattern", "country_code"], ["Tokyo", "USA"]], 2, "country_code"),
        ([["pattern", "country_code"], ["", "US"]], 2, "pattern"),
    ],
)
def test_bad_overrides_name_file_line_and_field(tmp_path: Path, rows: list[list[str]], line: int, field: str) -> None:
    p = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(BadInputError) as e:
        load_overrides(p)
    assert (e.value.file, e.value.line, e.value.field) == (str(p), line, field)
    assert str(p) in str(e.value)


def test_alias_data_is_consistent() -> None:
    t = addresses.aliases()  # raises if one normalised alias maps to two codes
    codes = set(t.column("code").to_pylist())
    iso = {r["code"] for r in csv.DictReader(open(addresses._data_path("iso3166.csv"), encoding="utf-8"))}
    assert codes <= iso and len(iso) >= 249
    assert all(len(c) == 2 and c.isupper() for c in codes)
    aliases = dict(zip(t.column("alias").to_pylist(), t.column("code").to_pylist(), strict=True))
    assert aliases["peoples r china"] == "CN" and aliases["north ireland"] == "GB" and aliases["congo"] == "CG"
    assert aliases["hong kong"] == "HK" and aliases["taiwan"] == "TW" and aliases["korea"] == "KR"


_ALLOWED_RULES = {"override", "us-state", "hk-mo-before-china", "alias", "alias-two-components", "us-state-name",
                  "alias-postcode", "alias-component", "none"}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40),
                          st.sampled_from([c[0] or "" for c in CASES])), max_size=12))
def test_any_strings_get_one_decision_each(values: list[str | None]) -> None:
    out = countries_of(values).to_pylist()
    assert [r["address"] for r in out] == values
    for r in out:
        assert r["rule"] in _ALLOWED_RULES
        assert (r["country_code"] is None) == (r["rule"] == "none")
        if r["matched"] is not None:
            assert r["matched"] in (r["address"] or "")
