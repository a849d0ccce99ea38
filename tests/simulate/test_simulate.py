from __future__ import annotations

import collections
import gzip
import hashlib
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from junkan.errors import ConfigError
from junkan.simulate import DEFAULT_WORLD, simulate
from junkan.simulate.report import calibration_report, measure_intl_shares


OA = "https://openalex.org/"


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_rerun_is_byte_identical_and_independent_of_workers(tmp_path):
    a = simulate(tmp_path / "a", works=3000, seed=3, workers=1)
    b = simulate(tmp_path / "b", works=3000, seed=3, workers=2)
    da, db = _digest(a.out_dir), _digest(b.out_dir)
    assert da == db
    assert any(k.startswith("data/works/") for k in da)
    assert any(k.startswith("truth/") for k in da)


def test_different_seeds_differ(tmp_path):
    a = simulate(tmp_path / "a", works=2000, seed=1, workers=1)
    b = simulate(tmp_path / "b", works=2000, seed=2, workers=1)
    wa = sorted(p.read_bytes() for p in a.works_dir.rglob("*.gz"))
    wb = sorted(p.read_bytes() for p in b.works_dir.rglob("*.gz"))
    assert wa != wb


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError):
        simulate(tmp_path / "x", works=10)
    with pytest.raises(ConfigError):
        simulate(tmp_path / "y", works=5000, start_year=2020, end_year=2010)
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "precious.txt").write_text("x")
    with pytest.raises(ConfigError):
        simulate(tmp_path / "z", works=2000)


def test_layout_and_manifest(small_world):
    out = small_world.out_dir
    for entity, n_expected in (("works", small_world.works), ("authors", small_world.authors)):
        man = orjson.loads((out / "data" / entity / "manifest").read_bytes())
        total = 0
        for e in man["entries"]:
            assert e["url"].startswith(f"s3://openalex/data/{entity}/updated_date=")
            rel = e["url"].split(f"data/{entity}/", 1)[1]
            path = out / "data" / entity / rel
            assert path.stat().st_size == e["meta"]["content_length"]
            with gzip.open(path, "rb") as fh:
                n = sum(1 for _ in fh)
            assert n == e["meta"]["record_count"] <= 400_000
            total += n
        assert man["meta"]["record_count"] == total == n_expected
    assert small_world.work_parts >= 2
    meta = orjson.loads((out / "simulation.json").read_bytes())
    assert meta["simulated"] is True and "SIMULATED" in meta["label"]
    assert meta["seed"] == 7 and meta["parameters"]["works"] == 6000


REQUIRED = {
    "id": str, "doi": (str, type(None)), "title": str, "display_name": str, "publication_year": int,
    "publication_date": str, "language": str, "type": str, "primary_location": dict, "authorships": list,
    "countries_distinct_count": int, "institutions_distinct_count": int, "corresponding_author_ids": list,
    "fwci": (float, int, type(None)), "cited_by_count": int, "citation_normalized_percentile": (dict, type(None)),
    "is_retracted": bool, "is_paratext": bool, "primary_topic": dict, "topics": list, "referenced_works": list,
    "referenced_works_count": int, "funders": list, "awards": list, "counts_by_year": list, "updated_date": str,
    "created_date": str,
}


def test_work_records_have_openalex_shape(small_works):
    assert len(small_works) == 6000
    ids = [w["id"] for w in small_works]
    assert len(set(ids)) == len(ids)
    types = collections.Counter(w["type"] for w in small_works)
    assert types.most_common(1)[0][0] == "article" and {"review", "preprint", "book-chapter"} <= set(types)
    for w in small_works:
        for k, t in REQUIRED.items():
            assert isinstance(w[k], t), (k, w[k])
        assert w["id"].startswith(OA + "W")
        assert w["doi"] is None or w["doi"].startswith("https://doi.org/10.")
        assert w["publication_date"][:4] == str(w["publication_year"])
        src = w["primary_location"]["source"]
        assert src["id"].startswith(OA + "S") and src["type"] in ("journal", "conference", "repository", "book series")
        pt = w["primary_topic"]
        assert pt["id"].startswith(OA + "T") and w["topics"][0]["id"] == pt["id"]
        fid = int(pt["field"]["id"].rsplit("/", 1)[1])
        assert 11 <= fid <= 36
        assert int(pt["subfield"]["id"].rsplit("/", 1)[1]) // 100 == fid
        assert pt["domain"]["id"].startswith(OA + "domains/")
        positions = [a["author_position"] for a in w["authorships"]]
        assert positions[0] == "first" and (len(positions) == 1 or positions[-1] == "last")
        for a in w["authorships"]:
            assert a["author"]["id"].startswith(OA + "A")
            assert a["author"]["orcid"] is None or a["author"]["orcid"].startswith("https://orcid.org/")
            for i in a["institutions"]:
                assert i["id"].startswith(OA + "I") and i["ror"].startswith("https://ror.org/0")
                assert i["lineage"][0] == i["id"]
            assert [x["raw_affiliation_string"] for x in a["affiliations"]] == a["raw_affiliation_strings"]
        assert w["updated_date"][10] == "T" and len(w["updated_date"]) == 26
        years = [c["year"] for c in w["counts_by_year"]]
        assert years == sorted(years, reverse=True)
        assert sum(c["cited_by_count"] for c in w["counts_by_year"]) <= w["cited_by_count"]
        assert w["referenced_works_count"] == len(w["referenced_works"])
        for aw in w["awards"]:
            assert aw["funder_id"] in {f["id"] for f in w["funders"]}
    fields = {w["primary_topic"]["field"]["id"] for w in small_works}
    assert len(fields) == 26


def test_citations_are_internally_consistent(small_works):
    ids = {w["id"] for w in small_works}
    cited = collections.Counter()
    for w in small_works:
        assert len(set(w["referenced_works"])) == len(w["referenced_works"])
        assert w["id"] not in w["referenced_works"]
        for r in w["referenced_works"]:
            assert r in ids
            cited[r] += 1
    for w in small_works:
        assert w["cited_by_count"] == cited[w["id"]]
    counts = [w["cited_by_count"] for w in small_works]
    assert sum(c == 0 for c in counts) / len(counts) > 0.15  # many uncited works
    assert max(counts) > 10 * (sum(counts) / len(counts))  # heavy tail (preferential attachment)
    top = sorted(counts, reverse=True)[: len(counts) // 10]
    assert sum(top) / sum(counts) > 0.35
    assert len(set(counts)) < len(counts) / 10  # many ties


def test_country_counts_consistent_and_gaps_present(small_works):
    n_auth = n_noinst = n_inst = n_nocountry = 0
    for w in small_works:
        codes = {i["country_code"] for a in w["authorships"] for i in a["institutions"] if i["country_code"]}
        insts = {i["id"] for a in w["authorships"] for i in a["institutions"]}
        assert w["countries_distinct_count"] == len(codes)
        assert w["institutions_distinct_count"] == len(insts)
        for a in w["authorships"]:
            n_auth += 1
            n_noinst += not a["institutions"]
            for i in a["institutions"]:
                n_inst += 1
                n_nocountry += i["country_code"] is None
            assert a["countries"] == sorted({i["country_code"] for i in a["institutions"] if i["country_code"]})
    assert 0.08 < n_noinst / n_auth < 0.25
    assert 0.0 < n_nocountry / n_inst < 0.1
    sizes = [len(w["authorships"]) for w in small_works]
    assert max(sizes) >= 80  # hyperauthored papers exist (100+ slots, duplicates of one person dropped)


def test_author_entities_consistent_with_works(small_works, small_authors):
    by_author = collections.Counter()
    cites = collections.Counter()
    for w in small_works:
        for aid in {a["author"]["id"] for a in w["authorships"]}:
            by_author[aid] += 1
            cites[aid] += w["cited_by_count"]
    ents = {a["id"]: a for a in small_authors}
    assert set(ents) == set(by_author)
    for aid, a in ents.items():
        assert a["works_count"] == by_author[aid]
        assert a["cited_by_count"] == cites[aid]
        for aff in a["affiliations"]:
            assert aff["years"] == sorted(aff["years"], reverse=True)
            assert set(aff["institution"]) == {"id", "ror", "display_name", "country_code", "type", "lineage"}


def test_truth_files(small_world, small_works, small_authors):
    td = small_world.truth_dir
    names = {p.name for p in td.glob("*.parquet")}
    assert {"researcher_years.parquet", "moves.parquet", "fronts.parquet", "cohorts.parquet", "programs.parquet",
            "author_splits.parquet", "targets.parquet"} <= names
    ry = pq.read_table(td / "researcher_years.parquet").to_pylist()
    country_of = {(r["person_id"], r["year"]): r["true_country"] for r in ry}
    ents = {a["id"]: a for a in small_authors}
    moves = pq.read_table(td / "moves.parquet").to_pylist()
    assert {m["kind"] for m in moves} >= {"outflow", "return", "fellowship_out", "fellowship_in"}
    n_obs = 0
    for m in moves:
        assert m["from_country"] != m["to_country"]
        assert country_of[(m["person_id"], m["year"])] == m["to_country"]
        if m["observable_in_year"]:
            n_obs += 1
            ent = ents[m["author_id"]]
            seen = {(aff["institution"]["id"], y) for aff in ent["affiliations"] for y in aff["years"]}
            assert (m["to_institution_id"], m["year"]) in seen
    assert n_obs > 0
    fronts = pq.read_table(td / "fronts.parquet").to_pylist()
    ids = {w["id"]: w for w in small_works}
    assert {f["role"] for f in fronts} == {"core", "citing"}
    for f in fronts:
        assert f["work_id"] in ids
    # a citing paper cites at least 2 cores of its front
    core = collections.defaultdict(set)
    for f in fronts:
        if f["role"] == "core":
            core[f["front_id"]].add(f["work_id"])
    for f in fronts:
        if f["role"] == "citing":
            assert len(core[f["front_id"]] & set(ids[f["work_id"]]["referenced_works"])) >= 2
    targets = pq.read_table(td / "targets.parquet").to_pylist()
    intl = {t["country"]: t["target"] for t in targets if t["name"] == "intl_coauthorship_share"}
    assert intl["JP"] == pytest.approx(0.359) and intl["GB"] == pytest.approx(0.744)
    splits = pq.read_table(td / "author_splits.parquet").to_pylist()
    assert {s["kind"] for s in splits} == {"split", "merge"}
    for s in splits:
        if s["kind"] == "split" and s["other_author_id"] in ents:
            assert s["author_id"] != s["other_author_id"]


def test_cohorts_present_in_entities_and_works(small_world, small_works, small_authors):
    td = small_world.truth_dir
    cohorts = pq.read_table(td / "cohorts.parquet").to_pylist()
    progs = {p["program_id"]: p for p in pq.read_table(td / "programs.parquet").to_pylist()}
    assert set(progs) == {p.program_id for p in DEFAULT_WORLD.programs}
    assert progs["JP-NULL"]["intl_boost"] == 0 and progs["JP-NULL"]["cite_boost"] == 0
    ents = {a["id"] for a in small_authors}
    on_works = {a["author"]["id"] for w in small_works for a in w["authorships"]}
    for prog in progs:
        mem = [c for c in cohorts if c["program"] == prog]
        assert len(mem) >= 8
        present = [c for c in mem if c["author_id"] in ents]
        assert len(present) >= 0.8 * len(mem)
        assert all(c["author_id"] in on_works for c in present)
    out_members = [c for c in cohorts if c["program"] == "JP-OVERSEAS"]
    assert all(c["home_country"] == "JP" and c["host_country"] != "JP" for c in out_members)
    assert all(c["end"] - c["start"] == 1 for c in out_members)
    inbound = [c for c in cohorts if c["program"] == "JP-INBOUND"]
    assert all(c["host_country"] == "JP" and c["home_country"] != "JP" for c in inbound)
    # funding awards appear on members' works
    kakenhi = {c["award_id"] for c in cohorts if c["program"] == "JSPS-KAKENHI"}
    seen = {a["funder_award_id"] for w in small_works for a in w["awards"]}
    assert kakenhi & seen
    csv_dir = small_world.cohorts_dir
    header = (csv_dir / "JP-OVERSEAS.csv").read_text().splitlines()[0]
    assert header == "person_id,orcid,openalex_author_id,name,program,start,end,host_institution,host_country,field"


def test_international_share_order_small(small_world):
    m = measure_intl_shares(small_world.out_dir, 2022, ["GB", "FR", "DE", "US", "JP", "KR", "CN"])
    assert m["GB"][0] > m["US"][0] > m["CN"][0]
    assert m["FR"][0] > m["JP"][0] and m["DE"][0] > m["JP"][0]


@pytest.fixture(scope="module")
def world_20k(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim20k") / "w", works=20_000, seed=11, workers=2)


def test_international_share_order_20k(world_20k):
    # 2019-2023 pooled: at 20k works a single year has only ~60 British works
    m = {c: v for c, (v, n) in measure_intl_shares(world_20k.out_dir, 2019, last_year=2023).items()}
    assert m["GB"] > m["FR"] > m["US"] > m["JP"] > m["CN"]
    assert m["GB"] > m["DE"] > m["US"] > m["KR"] > m["CN"]
    assert abs(m["JP"] - m["KR"]) < 0.1


def test_output_trends_20k(world_20k):
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar=false")
    rows = con.execute(
        """SELECT publication_year y, i.country_code c, count(DISTINCT id) n FROM (
             SELECT id, publication_year, unnest(authorships) a FROM read_json(?, format='newline_delimited',
               columns={'id':'VARCHAR','publication_year':'INTEGER',
                        'authorships':'STRUCT(institutions STRUCT(country_code VARCHAR)[])[]'})) x,
             unnest(x.a.institutions) t(i) WHERE publication_year IN (2002, 2021) GROUP BY ALL""",
        [str(world_20k.works_dir / "*" / "*.gz")]).fetchall()
    n = {(y, c): v for y, c, v in rows}
    tot = {y: sum(v for (yy, _), v in n.items() if yy == y) for y in (2002, 2021)}
    share = {(y, c): n.get((y, c), 0) / tot[y] for y in (2002, 2021) for c in ("CN", "IN", "JP", "US")}
    assert share[(2021, "CN")] > 2 * share[(2002, "CN")]
    assert share[(2021, "IN")] > share[(2002, "IN")]
    assert share[(2021, "JP")] < share[(2002, "JP")]  # flat output, falling share
    assert share[(2021, "US")] > 0.1


@pytest.mark.slow
def test_calibration_200k(tmp_path):
    res = simulate(tmp_path / "w", works=200_000, seed=0)
    rows = calibration_report(res.out_dir)
    assert len(rows) == 7
    bad = [r for r in rows if not r["ok"]]
    assert not bad, bad


def test_lines_are_canonical_orjson(small_world):
    """Records are assembled from pre-rendered byte fragments: each line must be exactly what orjson gives
    for the parsed record (valid JSON, compact, keys in order, floats rendered as orjson renders them)."""
    for entity in ("works", "authors"):
        n = 0
        for p in sorted((small_world.out_dir / "data" / entity).glob("updated_date=*/part_*.gz")):
            with gzip.open(p, "rb") as fh:
                for line in fh:
                    assert line.endswith(b"\n")
                    assert orjson.dumps(orjson.loads(line)) == line[:-1]
                    n += 1
        assert n > 0


def test_vectorised_helpers_match_reference():
    import numpy as np

    from junkan.simulate.geo import orcid_id
    from junkan.simulate.world import cdf_pick, cdf_pick_rows, unique_sorted
    from junkan.simulate.writer import _digits, _fixed, orcid_digits

    r = np.array([0, 1, 7, 12_345, 999_999, 10**8 + 17])
    assert [x.decode() for x in _fixed(len(r), orcid_digits(r))] == [orcid_id(int(x)) for x in r]
    assert _fixed(3, b"<", _digits(np.array([0, 42, 9_999_999_999]), 10), b">") == \
        [b"<0000000000>", b"<0000000042>", b"<9999999999>"]
    rng = np.random.default_rng(0)
    cdf = np.cumsum(rng.random((30, 17)), axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    cdf[3] = 0.0  # an empty row
    rows = rng.integers(0, 30, 5000)
    u = rng.random(5000)
    u[:5] = 0.0
    assert (cdf_pick_rows(cdf, rows, u) == cdf_pick(cdf[rows], u)).all()
    a = rng.integers(0, 50, 1000)
    assert (unique_sorted(a) == np.unique(a)).all()
