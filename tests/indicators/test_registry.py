"""The registry: options, validation, coercion of command-line strings, provenance, docs coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.engine import connect
from junkan.errors import ConfigError
from junkan.indicators import REGISTRY, IndicatorResult, run
from junkan.indicators.registry import OPTION_TYPES
from junkan.model.countries import COUNTRY_MAPS, COUNTRY_NAMES, country_map, country_name

DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


@pytest.fixture(scope="module")
def eng(appendix_d_store):
    return connect(appendix_d_store, backend="duckdb", threads=1)


def test_every_spec_is_complete():
    for name, spec in REGISTRY.items():
        assert spec.name == name
        assert spec.title and spec.title_ja and spec.section and spec.keys
        assert spec.doc, f"{name} has no docstring"
        names = [o.name for o in spec.options]
        assert len(names) == len(set(names)), name
        for o in spec.options:
            assert o.type in OPTION_TYPES, (name, o.name)
            assert o.help and o.help_ja, (name, o.name)
            if o.choices and o.default is not None:
                defaults = o.default if isinstance(o.default, tuple) else (o.default,)
                assert set(defaults) <= set(o.choices), (name, o.name)


def test_common_filters_everywhere():
    for name, spec in REGISTRY.items():
        names = {o.name for o in spec.options}
        assert "years" in names, name
        # work_scores is per work (no country rows); venue_papers is chosen by venue, not field
        assert "country" in names or name == "work_scores", name
        assert "field" in names or name == "venue_papers", name


def test_every_indicator_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for name, spec in REGISTRY.items():
        assert f"## `{name}`" in text, f"docs/indicators.md lacks a section for {name}"
        for o in spec.options:
            if not o.scope:
                assert f"`{o.name}`" in text, f"docs/indicators.md does not describe option {o.name} of {name}"


def test_run_returns_table_and_provenance(eng):
    r = run(eng, "papers", counting="fractional", years="2020-2020", country="JP,US", field="23,27")
    assert isinstance(r, IndicatorResult)
    assert r.table.column_names == ["country", "year", "p", "n_works", "n_assignable", "share"]
    assert r.table.column("country").to_pylist() == sorted(r.table.column("country").to_pylist())
    p = r.provenance
    assert p["indicator"] == "papers" and p["backend"] == "duckdb" and p["store_version"]
    assert p["counting"] == "institution" and p["profile"] == "nistep"
    assert p["country_map"] == {"HK": "CN", "MO": "CN"}
    assert p["filters"]["years"] == [2020, 2020] and p["filters"]["field"] == [23, 27]
    assert p["filters"]["country"] == ["JP", "US"]
    assert p["content_hash"]


def test_profile_defaults_are_resolved_in_provenance(eng):
    p = run(eng, "impact", profile="cwts").provenance
    assert p["self_citations"] is False and p["citing"] == "same" and p["reference_sets"]["level"] == "subfield"
    p = run(eng, "venue_papers", sources="S1").provenance
    assert p["profile"] == "all" and p["country_map"] == {}


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"nonsense": 1}, "no option 'nonsense'"),
        ({"counting": "half"}, "counting"),
        ({"profile": "wos"}, "profile"),
        ({"years": "2022-2000"}, "after end"),
        ({"country_map": "un"}, "country_map"),
        ({"field": "physics"}, "field"),
        ({"country": "Japan"}, "country"),
    ],
)
def test_bad_options_raise_config_error(eng, options, match):
    with pytest.raises(ConfigError, match=match):
        run(eng, "papers", **options)


def test_command_line_strings_are_coerced(eng):
    a = run(eng, "work_scores", pct="10", method="nistep", self_citations="false", by_type="no", field="27").table
    b = run(eng, "work_scores", pct=10, method="nistep", self_citations=False, by_type=False, field=[27]).table
    assert a.equals(b)
    with pytest.raises(ConfigError, match="self_citations"):
        run(eng, "work_scores", self_citations="perhaps")
    with pytest.raises(ConfigError, match="pct"):
        run(eng, "work_scores", pct="0")


def test_unknown_indicator(eng):
    with pytest.raises(ConfigError, match="unknown indicator 'mncs'.*papers"):
        run(eng, "mncs")


def test_country_presets_and_names():
    assert country_map("nistep") == country_map("cwts") == {"HK": "CN", "MO": "CN"}
    assert country_map("oecd") == {} and "TW" not in country_map("cwts")
    assert country_map({"HK": "CN", "JP": "JP"}) == {"HK": "CN"}
    with pytest.raises(ConfigError):
        country_map("un")
    with pytest.raises(ConfigError):
        country_map({"Hong Kong": "CN"})
    assert set(COUNTRY_MAPS) == {"nistep", "cwts", "oecd"}
    assert len(COUNTRY_NAMES) >= 60
    assert country_name("US") == "United States" and country_name("US", "ja") == "米国"
    assert country_name("XX") == "XX"
    assert all(len(c) == 2 for c in COUNTRY_NAMES if c != "WLD")
