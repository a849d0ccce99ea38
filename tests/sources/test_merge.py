"""Merging batches and a store: duplicates, precedence, provenance, references never lost or double-counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import ConfigError, IngestError
from junkan.model.schema import arrow_schema
from junkan.sources.batch import CITED_SCHEMA, SourceBatch, empty_tables
from junkan.sources.merge import ingest_batches, merge, merge_store, write_report
from junkan.store import open_store, write_store


def T(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(name))


def batch(source: str, works: list[dict[str, Any]], *, authors: dict[str, str] | None = None,
          cited: list[dict[str, Any]] | None = None, refs: list[tuple[str, str]] | None = None,
          biblio: list[dict[str, Any]] | None = None, path: str | Path | None = None,
          rejected: int = 0) -> SourceBatch:
    """A hand-built batch: works rows (data_source/input_id filled), first authors, printed or native references."""
    tables = empty_tables()
    tables["works"] = T("works", [{"data_source": source, "input_id": 0, **w} for w in works])
    tables["authorships"] = T("authorships", [
        {"work_id": w, "author_position": 0, "raw_author_name": a} for w, a in (authors or {}).items()
    ])
    tables["references"] = T("references", [{"work_id": a, "cited_work_id": b} for a, b in (refs or [])])
    tables["work_biblio"] = T("work_biblio", biblio or [])
    seen: dict[str, int] = {}
    cited_rows = []
    for r in cited or []:  # ordinals count per citing record
        seen[r["citing_id"]] = seen.get(r["citing_id"], -1) + 1
        cited_rows.append({"ordinal": seen[r["citing_id"]], "raw": r.get("raw", str(r)), **r})
    q = T("quarantine", [{"input_id": 0, "file": str(path or source), "line": i + 1, "reason": "bad"} for i in range(rejected)])
    return SourceBatch(source=source, path=Path(path or f"{source}.txt"), read=len(works) + rejected, tables=tables,
                       cited=pa.Table.from_pylist(cited_rows, schema=CITED_SCHEMA), rejected=q)


def rows(t: pa.Table, *cols: str) -> set[tuple]:
    return {tuple(r[c] for c in cols) for r in t.select(list(cols)).to_pylist()}


def by_id(t: pa.Table) -> dict[str, dict[str, Any]]:
    return {r["work_id"]: r for r in t.to_pylist()}


OA = batch(
    "openalex",
    [
        {"work_id": "W1", "doi": "10.1/a", "title": "Brain circulation: a study", "publication_year": 2020, "topic_id": "T1"},
        {"work_id": "W2", "title": "Another Paper", "publication_year": 2019},
    ],
    authors={"W1": "Ann Lee", "W2": "Bo Kim"},
    refs=[("W1", "W2"), ("W1", "W99")],
)
WOS = batch(
    "wos",
    [
        # DOI duplicate of W1 (prefix and case differ); brings cited_by_count, which OpenAlex lacks here
        {"work_id": "WOS:1", "doi": "https://doi.org/10.1/A", "title": "Brain circulation - a study", "publication_year": 2020,
         "cited_by_count": 5, "topic_id": None},
        # title-key duplicate of W2: case, punctuation, full-width letters
        {"work_id": "WOS:2", "title": "ＡＮＯＴＨＥＲ PAPER.", "publication_year": 2019, "language": "en"},
        # same title as W2, another year: not a duplicate
        {"work_id": "WOS:3", "title": "Another paper", "publication_year": 2018},
    ],
    authors={"WOS:1": "Lee, A", "WOS:2": "Kim, B", "WOS:3": "Kim, B"},
    cited=[
        {"citing_id": "WOS:1", "first_author": "Kim B", "year": 2019, "raw": "Kim B, 2019, ANOTHER"},
        {"citing_id": "WOS:3", "doi": "10.1/a", "raw": "Lee A, 2020, DOI 10.1/a"},
        {"citing_id": "WOS:3", "first_author": "Zed Q", "year": 2001, "volume": "1", "first_page": "1", "raw": "Zed Q, 2001, V1, P1"},
    ],
)


def test_doi_and_title_key_duplicates_become_one_work_with_provenance() -> None:
    tables, rep = merge([OA, WOS])
    works = by_id(tables["works"])
    assert set(works) == {"W1", "W2", "WOS:3"}
    # precedence: OpenAlex's fields first, gaps filled from WoS
    assert works["W1"]["title"] == "Brain circulation: a study" and works["W1"]["cited_by_count"] == 5
    assert works["W1"]["data_source"] == "openalex" and works["W2"]["language"] == "en"
    assert works["WOS:3"]["data_source"] == "wos" and works["WOS:3"]["input_id"] == 1
    assert rows(tables["work_sources"], "work_id", "data_source", "source_record_id", "matched_by") == {
        ("W1", "openalex", "W1", "canonical"), ("W1", "wos", "WOS:1", "doi"),
        ("W2", "openalex", "W2", "canonical"), ("W2", "wos", "WOS:2", "title-key"),
        ("WOS:3", "wos", "WOS:3", "canonical"),
    }
    fp = rows(tables["field_provenance"], "work_id", "field", "data_source", "source_record_id")
    assert ("W1", "cited_by_count", "wos", "WOS:1") in fp
    assert ("W1", "title", "openalex", "W1") in fp
    assert ("W2", "language", "wos", "WOS:2") in fp
    assert ("W1", "authorships", "openalex", "W1") in fp
    assert not [r for r in fp if r[0] == "WOS:3"]  # one record: no rows, everything from works.data_source
    # the authorship list is OpenAlex's alone (positions align only within a source)
    assert rows(tables["authorships"], "work_id", "raw_author_name") == {("W1", "Ann Lee"), ("W2", "Bo Kim"), ("WOS:3", "Kim, B")}
    assert rep.summary()["works_after"] == 3 and rep.inputs[1]["new_works"] == 1
    assert rep.inputs[1]["merged_across_inputs"] == 2


def test_different_dois_are_never_merged_by_title() -> None:
    a = batch("wos", [{"work_id": "WOS:1", "doi": "10.1/x", "title": "Same", "publication_year": 2020}], authors={"WOS:1": "Lee, A"})
    b = batch("scopus", [{"work_id": "2-s2.0-1", "doi": "10.1/y", "title": "Same!", "publication_year": 2020},
                         {"work_id": "2-s2.0-2", "title": "same", "publication_year": 2020}],
              authors={"2-s2.0-1": "Lee A.", "2-s2.0-2": "Lee A."})
    tables, rep = merge([a, b])
    # two DOI works; the DOI-less record shares their title key, so it cannot choose: it stays apart
    assert tables["works"].num_rows == 3 and rep.ambiguous_title_keys == 1


def test_references_are_matched_to_merged_works_and_never_double_counted() -> None:
    tables, rep = merge([OA, WOS])
    links = rows(tables["references"], "work_id", "cited_work_id")
    # W1's list is OpenAlex's (W2, W99); WoS's unmatched "Kim B 2019" for the same work is not added again
    # under a synthetic id. WOS:3 cites W1 (by DOI) and an unmatched reference (synthetic id).
    synth = [c for w, c in links if w == "WOS:3" and c.startswith("R:")]
    assert links == {("W1", "W2"), ("W1", "W99"), ("WOS:3", "W1"), ("WOS:3", synth[0])}
    # every printed reference is kept with its match
    cr = rows(tables["cited_references"], "work_id", "source_record_id", "ordinal", "matched_by")
    assert cr == {("W1", "WOS:1", 0, "synthetic"), ("WOS:3", "WOS:3", 0, "doi"), ("WOS:3", "WOS:3", 1, "synthetic")}
    assert rep.references == {"doi": 1, "synthetic": 2}


def test_the_same_reference_printed_by_two_sources_is_one_link() -> None:
    ref = {"first_author": "Zed Q", "year": 2001, "volume": "86", "first_page": "1"}
    wos = batch("wos", [{"work_id": "WOS:1", "doi": "10.1/p", "title": "P", "publication_year": 2020}],
                cited=[{"citing_id": "WOS:1", "source_title": "PHYS REV LETT", **ref}])
    sco = batch("scopus", [{"work_id": "2-s2.0-1", "doi": "10.1/P", "title": "P", "publication_year": 2020}],
                cited=[{"citing_id": "2-s2.0-1", "source_title": "Physical Review Letters", **ref},
                       {"citing_id": "2-s2.0-1", "first_author": "New N", "year": 1999, "raw": "only in Scopus"}])
    tables, _ = merge([wos, sco])
    assert tables["works"].num_rows == 1
    links = tables["references"]
    # WoS (first in precedence) supplies the list; Scopus's copy of the same reference gets the same synthetic
    # id and Scopus's extra unmatched reference is not linked (it could be a WoS reference under another key)
    assert links.num_rows == 1 and tables["cited_references"].num_rows == 3
    assert len(set(tables["cited_references"]["cited_work_id"].to_pylist())) == 2


def test_key_match_uses_the_biblio_of_merged_records() -> None:
    cited_paper = batch("wos", [{"work_id": "WOS:7", "title": "Cited", "publication_year": 2017}],
                        authors={"WOS:7": "Aria, M"},
                        biblio=[{"work_id": "WOS:7", "volume": "11", "first_page": "959", "source_title": "JOURNAL OF INFORMETRICS",
                                 "source_abbreviation": "J INFORMETR"}])
    citing = batch("scopus", [{"work_id": "2-s2.0-9", "title": "Citing", "publication_year": 2020}],
                   cited=[{"citing_id": "2-s2.0-9", "first_author": "Aria M.", "year": 2017,
                           "source_title": "Journal of Informetrics", "volume": "11", "first_page": "959-975"}])
    tables, rep = merge([cited_paper, citing])
    assert rows(tables["references"], "work_id", "cited_work_id") == {("2-s2.0-9", "WOS:7")}
    assert rep.references == {"key": 1}


def test_same_record_twice_is_one_record_and_the_later_copy_wins() -> None:
    old = batch("wos", [{"work_id": "WOS:1", "title": "Old title", "publication_year": 2020}])
    new = batch("wos", [{"work_id": "WOS:1", "title": "New title", "publication_year": 2020}])
    tables, rep = merge([old, new])
    assert tables["works"]["title"].to_pylist() == ["New title"]
    assert rep.inputs[0]["read"] == 1 and rep.inputs[0]["kept"] == 1
    assert tables["work_sources"].num_rows == 1


def test_unknown_precedence_and_bad_accounting_are_errors() -> None:
    with pytest.raises(ConfigError, match="twice"):
        merge([OA], precedence=("wos", "wos"))
    bad = batch("wos", [{"work_id": "WOS:1", "title": "x", "publication_year": 2020}])
    bad.read = 5
    with pytest.raises(IngestError, match="read 5"):
        merge([bad])


def test_precedence_can_put_web_of_science_first() -> None:
    tables, _ = merge([OA, WOS], precedence=("wos", "openalex"))
    w = by_id(tables["works"])
    # the id stays OpenAlex's (ids of OpenAlex are kept whenever a record has one); fields follow precedence
    assert w["W1"]["title"] == "Brain circulation - a study"
    assert rows(tables["authorships"], "work_id", "raw_author_name") >= {("W1", "Lee, A")}


# -- merging into a store ---------------------------------------------------------------------------


def _oa_store(root: Path) -> Any:
    works = T("works", [
        {"work_id": "W1", "doi": "10.1/a", "title": "Brain circulation: a study", "publication_year": 2020, "type": "article",
         "data_source": "openalex", "input_id": 0, "field_id": 23},
        {"work_id": "W2", "doi": "10.1/b", "title": "Another Paper", "publication_year": 2019, "type": "article",
         "data_source": "openalex", "input_id": 0, "field_id": 23},
    ])
    authorships = T("authorships", [{"work_id": "W1", "author_position": 0, "author_name": "Ann Lee"},
                                    {"work_id": "W2", "author_position": 0, "author_name": "Bo Kim"}])
    countries = T("authorship_countries", [{"work_id": "W1", "author_position": 0, "country_code": "JP"},
                                           {"work_id": "W2", "author_position": 0, "country_code": "US"}])
    refs = T("references", [{"work_id": "W1", "cited_work_id": "W2"}])
    inputs = [{"input_id": 0, "path": "oa.jsonl", "source": "openalex", "entity": "works", "sha256": "0" * 64,
               "read": 2, "kept": 2, "rejected": 0}]
    return write_store(root, {"works": works, "authorships": authorships, "authorship_countries": countries,
                              "references": refs},
                       manifest={"inputs": inputs, "counts": {"read": 2, "kept": 2, "rejected": 0}})


def _wos_file(tmp: Path) -> SourceBatch:
    f = tmp / "savedrecs.txt"
    f.write_text("FN Clarivate Analytics Web of Science\n", encoding="utf-8")
    return batch(
        "wos",
        [{"work_id": "WOS:1", "doi": "10.1/A", "title": "Brain circulation a study", "publication_year": 2020, "cited_by_count": 7},
         {"work_id": "WOS:2", "doi": "10.1/b", "title": "Another paper", "publication_year": 2019},
         {"work_id": "WOS:3", "title": "New to the store", "publication_year": 2021}],
        authors={"WOS:1": "Lee, A", "WOS:2": "Kim, B", "WOS:3": "Mori, K"},
        cited=[{"citing_id": "WOS:3", "doi": "10.1/b"}, {"citing_id": "WOS:3", "first_author": "Zed Q", "year": 2001},
               {"citing_id": "WOS:1", "doi": "10.1/B"}],
        path=f, rejected=1,
    )


def test_ingest_into_an_openalex_store_gives_one_record_per_paper(tmp_path: Path) -> None:
    """The end-to-end case of the issue: OpenAlex store + a WoS file describing the same papers."""
    from junkan import indicators
    from junkan.engine import connect

    root = tmp_path / "store"
    v1 = _oa_store(root)
    store, rep = ingest_batches([_wos_file(tmp_path)], root)
    assert store.version != v1.version and open_store(root).version == store.version
    assert v1.version_dir.exists()  # the previous version stays readable
    works = by_id(pq.read_table(store.table_path("works")))
    assert set(works) == {"W1", "W2", "WOS:3"}
    assert works["W1"]["cited_by_count"] == 7 and works["W1"]["data_source"] == "openalex"
    ws = rows(pq.read_table(store.table_path("work_sources")), "work_id", "data_source", "source_record_id", "matched_by")
    assert ws == {("W1", "openalex", "W1", "canonical"), ("W1", "wos", "WOS:1", "doi"),
                  ("W2", "openalex", "W2", "canonical"), ("W2", "wos", "WOS:2", "doi"),
                  ("WOS:3", "wos", "WOS:3", "canonical")}
    fp = rows(pq.read_table(store.table_path("field_provenance")), "work_id", "field", "data_source")
    assert ("W1", "cited_by_count", "wos") in fp and ("W1", "authorships", "openalex") in fp
    # countries stay OpenAlex's; references: W1→W2 once (OpenAlex list and WoS's DOI reference agree)
    assert rows(pq.read_table(store.table_path("authorship_countries")), "work_id", "country_code") == {("W1", "JP"), ("W2", "US")}
    links = rows(pq.read_table(store.table_path("references")), "work_id", "cited_work_id")
    assert ("W1", "W2") in links and ("WOS:3", "W2") in links and len(links) == 3
    m = store.manifest
    assert m["counts"] == {"read": 4, "kept": 3, "rejected": 1, "replaced": 0}
    new = m["inputs"][-1]
    assert new["input_id"] == 1 and new["source"] == "wos" and new["read"] == new["kept"] + new["rejected"]
    assert new["merged_with_existing"] == 2 and new["new_works"] == 1 and len(new["sha256"]) == 64
    assert m["merge"]["works_before"] == 2 and m["merge"]["works_after"] == 3
    assert pq.read_table(store.table_path("quarantine")).num_rows == 1
    assert rep.references == {"doi": 2, "synthetic": 1}
    # the engine and the indicators run on the merged store
    eng = connect(root)
    res = indicators.run(eng, "papers", counting="whole", profile="all")
    assert res.table.num_rows > 0 and res.provenance["store_version"] == store.version
    # the same file again: nothing new, no new version
    again, rep2 = ingest_batches([_wos_file(tmp_path)], root)
    assert again.version == store.version and not rep2.inputs


def test_incremental_merges_equal_one_merge(tmp_path: Path) -> None:
    sco = batch("scopus", [{"work_id": "2-s2.0-5", "doi": "10.1/z", "title": "Cited later", "publication_year": 2001}],
                authors={"2-s2.0-5": "Zed Q."}, path=tmp_path / "scopus.csv")
    (tmp_path / "scopus.csv").write_text("x", encoding="utf-8")
    wos = _wos_file(tmp_path)
    wos.cited = pa.Table.from_pylist([{"citing_id": "WOS:3", "ordinal": 0, "raw": "Zed Q, 2001, DOI 10.1/Z", "doi": "10.1/Z"}],
                                     schema=CITED_SCHEMA)
    s1, _ = ingest_batches([wos], tmp_path / "a")
    s2, _ = ingest_batches([sco], tmp_path / "a")
    one, _ = ingest_batches([wos, sco], tmp_path / "b")
    for name in ("works", "references", "work_sources", "cited_references", "field_provenance"):
        assert s2.manifest["tables"][name]["content"] == one.manifest["tables"][name]["content"], name
    # the reference printed in the first file now points at the work the second file brought
    assert rows(pq.read_table(s2.table_path("references")), "work_id", "cited_work_id") == {("WOS:3", "2-s2.0-5")}
    assert s1.version != s2.version


def test_merge_store_and_report(tmp_path: Path) -> None:
    root = tmp_path / "store"
    _oa_store(root)
    store, rep = ingest_batches([_wos_file(tmp_path)], root)
    out = write_report(rep, tmp_path / "report.json", provenance=store.provenance)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {r["source_record_id"]: r["matched_by"] for r in data["data"]} == {"WOS:1": "doi", "WOS:2": "doi", "WOS:3": "canonical"}
    assert data["provenance"]["store_version"] == store.version and data["provenance"]["merge"]["new_works"] == 1
    with pytest.raises(ConfigError, match=r"\.csv"):
        write_report(rep, tmp_path / "report.txt")
    again, rep2 = merge_store(root)
    assert again.version != store.version and rep2.works_after == 3
    for name in ("works", "references", "work_sources", "field_provenance", "cited_references"):
        assert again.manifest["tables"][name]["content"] == store.manifest["tables"][name]["content"], name


def test_cocitation_on_an_export_only_store(tmp_path: Path) -> None:
    """Co-citation (junkan.mapping) counts two papers citing the same unmatched reference as one node."""
    import ibis

    from junkan.engine import connect
    from junkan.mapping.cocitation import cocitation

    ref_a = {"first_author": "Zed Q", "year": 2001, "volume": "1", "first_page": "1", "source_title": "NATURE"}
    ref_b = {"first_author": "Yu R", "year": 2005, "volume": "9", "first_page": "99", "source_title": "SCIENCE"}
    wos = batch("wos", [{"work_id": f"WOS:{i}", "title": f"P{i}", "publication_year": 2020} for i in range(3)],
                cited=[{"citing_id": "WOS:0", **ref_a}, {"citing_id": "WOS:0", **ref_b},
                       {"citing_id": "WOS:1", **ref_a}, {"citing_id": "WOS:1", **ref_b}, {"citing_id": "WOS:2", **ref_a}])
    store, _ = ingest_batches([wos], tmp_path / "s")
    eng = connect(store.root)
    r = eng.table("references")
    pairs, cit = cocitation(r.select(citing=r.work_id, cited=r.cited_work_id), min_cocit=2)
    p = eng.to_pyarrow(pairs).to_pylist()
    assert len(p) == 1 and p[0]["cocit"] == 2 and p[0]["i"].startswith("R:") and p[0]["j"].startswith("R:")
    assert sorted(eng.to_pyarrow(cit)["cit"].to_pylist()) == [2, 3]
    assert isinstance(r, ibis.Table)


# -- invariants -------------------------------------------------------------------------------------

_titles = st.sampled_from(["Alpha study", "ALPHA STUDY!", "Beta", "beta.", "Gamma ray"])
_work = st.fixed_dictionaries({
    "doi": st.sampled_from([None, "10.1/a", "10.1/A", "10.1/b"]),
    "title": _titles,
    "publication_year": st.sampled_from([2019, 2020]),
    "cited_by_count": st.sampled_from([None, 1, 2]),
    "language": st.sampled_from([None, "en", "ja"]),
})
_author = st.sampled_from(["Lee, A", "Kim, B"])
_ref = st.fixed_dictionaries({"doi": st.sampled_from([None, "10.1/a", "10.9/x"]), "first_author": _author,
                              "year": st.sampled_from([2001, 2019]), "volume": st.sampled_from([None, "1"]),
                              "first_page": st.just("5")})


@st.composite
def _batches(draw: Any) -> list[SourceBatch]:
    out = []
    for k, source in enumerate(draw(st.lists(st.sampled_from(["openalex", "wos", "scopus"]), min_size=1, max_size=3, unique=True))):
        prefix = {"openalex": "W", "wos": "WOS:", "scopus": "2-s2.0-"}[source]
        ws = draw(st.lists(_work, min_size=1, max_size=4))
        works = [{"work_id": f"{prefix}{k}{i}", **w} for i, w in enumerate(ws)]
        authors = {w["work_id"]: draw(_author) for w in works}
        cited = [{"citing_id": w["work_id"], **draw(_ref)} for w in works for _ in range(draw(st.integers(0, 2)))]
        refs = [(w["work_id"], "W999") for w in works if source == "openalex" and draw(st.booleans())]
        out.append(batch(source, works, authors=authors, cited=cited if source != "openalex" else None, refs=refs))
    return out


def _content(tables: dict[str, pa.Table]) -> dict[str, list]:
    skip = {"input_id"}  # which input supplied a record depends on the input order by definition
    return {name: sorted(json.dumps({k: v for k, v in r.items() if k not in skip}, sort_keys=True, default=str)
                         for r in t.to_pylist())
            for name, t in tables.items()}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(), st.randoms(use_true_random=False))
def test_merge_is_idempotent_and_order_free(batches: list[SourceBatch], rnd: Any) -> None:
    once, _ = merge(batches)
    twice, _ = merge(batches + batches)
    assert _content(once) == _content(twice)
    shuffled = list(batches)
    rnd.shuffle(shuffled)
    other, _ = merge(shuffled)
    assert _content(once) == _content(other)
    # no reference lost: every printed reference is in cited_references with an id
    n_printed = sum(b.cited.num_rows for b in batches)
    assert once["cited_references"].__len__() == n_printed
    assert all('"cited_work_id": null' not in r for r in once["cited_references"])


def test_openalex_ingest_keeps_merge_tables_and_merge_store_finds_the_new_duplicates(tmp_path: Path) -> None:
    from junkan.sources.openalex import ingest
    from tests.sources.oa_records import work, write_jsonl

    root = tmp_path / "s"
    wos = batch("wos", [{"work_id": "WOS:1", "doi": "10.1/5", "title": "Work 5", "publication_year": 2020, "cited_by_count": 3}],
                authors={"WOS:1": "Author, 0"},
                cited=[{"citing_id": "WOS:1", "first_author": "Zed Q", "year": 2001, "volume": "1", "first_page": "1"}])
    ingest_batches([wos], root)
    ingest([write_jsonl(tmp_path / "oa.jsonl", [work(5)])], root)
    s = open_store(root)
    assert pq.read_table(s.table_path("cited_references")).num_rows == 1  # carried over, not emptied
    assert pq.read_table(s.table_path("works")).num_rows == 2  # the OpenAlex ingest does not deduplicate
    s2, rep = merge_store(root)
    works = by_id(pq.read_table(s2.table_path("works")))
    assert set(works) == {"W5"} and works["W5"]["cited_by_count"] == 0  # OpenAlex's value comes first
    assert rows(pq.read_table(s2.table_path("work_sources")), "work_id", "source_record_id", "matched_by") == {
        ("W5", "W5", "canonical"), ("W5", "WOS:1", "doi")}
    assert rows(pq.read_table(s2.table_path("cited_references")), "work_id", "source_record_id") == {("W5", "WOS:1")}
    assert rep.works_before == 2 and rep.works_after == 1 and rep.matches.num_rows == 2


def test_author_counts_come_with_the_authorship_list() -> None:
    # OpenAlex has no authorships for this work (but a count); WoS has the list: list and count are WoS's
    oa = batch("openalex", [{"work_id": "W1", "doi": "10.1/c", "title": "C", "publication_year": 2020, "authors_count": 9}])
    wos = batch("wos", [{"work_id": "WOS:1", "doi": "10.1/c", "title": "C", "publication_year": 2020, "authors_count": 1}],
                authors={"WOS:1": "Lee, A"})
    tables, _ = merge([oa, wos])
    assert tables["works"]["authors_count"].to_pylist() == [1] and tables["authorships"].num_rows == 1
    fp = rows(tables["field_provenance"], "field", "data_source")
    assert ("authors_count", "wos") in fp and ("authorships", "wos") in fp and ("title", "openalex") in fp
