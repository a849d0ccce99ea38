"""Property test: whatever the records, ingest never crashes and read = kept + rejected exactly."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.sources.openalex import ingest
from junkan.sources.openalex_schema import validate, WORK_SPEC

from .oa_records import work

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
FIELDS = ["id", "publication_year", "authorships", "primary_location", "cited_by_count", "referenced_works",
          "is_retracted", "publication_date", "updated_date", "primary_topic", "title"]


@st.composite
def mutated_line(draw: st.DrawFn) -> str:
    rec = work(draw(st.integers(1, 30)))
    kind = draw(st.sampled_from(["ok", "replace", "delete", "garbage", "truncate"]))
    if kind == "replace":
        rec[draw(st.sampled_from(FIELDS))] = draw(json_values)
    elif kind == "delete":
        rec.pop(draw(st.sampled_from(FIELDS)), None)
    line = json.dumps(rec)
    if kind == "garbage":
        return draw(st.text(min_size=1, max_size=20).filter(lambda s: "\n" not in s and "\r" not in s and s.strip()))
    if kind == "truncate":
        return line[: draw(st.integers(1, len(line) - 1))]
    return line


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(mutated_line(), min_size=1, max_size=12))
def test_accounting_is_exact(tmp_path_factory, lines: list[str]) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    f = d / "in.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep = ingest([f], d / "st")
    assert rep.read == len(lines)
    assert rep.read == rep.kept + rep.rejected
    m = rep.store.manifest
    assert m["counts"]["read"] == m["counts"]["kept"] + m["counts"]["rejected"]
    assert rep.store.row_count("quarantine") == rep.rejected
    assert rep.store.row_count("works") == rep.kept


@settings(max_examples=200, deadline=None)
@given(value=json_values, field=st.sampled_from(FIELDS))
def test_validator_never_raises(value, field) -> None:
    rec = work(1)
    rec[field] = value
    out = validate(rec, WORK_SPEC)
    assert out is None or (isinstance(out[0], str) and isinstance(out[1], str) and out[1])
