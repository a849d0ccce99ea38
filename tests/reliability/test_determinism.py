"""Determinism (issue 11, property 3): the same inputs and seed give identical worlds, stores, indicators and maps,
whatever the number of threads or processes; the manifest records the content hash.

One small simulated world is generated twice (1 process, then 2) and ingested twice (1 thread, then 2). Every
registered indicator and mobility output and a science map are computed on both stores with the same DuckDB thread
count and compared bit for bit (floats included). With another DuckDB thread count, DuckDB's parallel sums add
floats in another order: integers and strings stay identical, floats agree within a relative 1e-12 (measured:
at most 4e-16); see docs/reliability.md, Decisions.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pyarrow as pa
import pytest

from junkan import indicators, mobility
from junkan.engine import connect
from junkan.mapping import build_map
from junkan.simulate import simulate
from junkan.sources.openalex import ingest
from junkan.store import open_store
from junkan.testing import assert_tables_equal


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("twins")
    simulate(d / "w1", works=2500, seed=7, workers=1)
    simulate(d / "w2", works=2500, seed=7, workers=2)
    ingest([d / "w1" / "data"], d / "s1", threads=1)
    ingest([d / "w2" / "data"], d / "s2", threads=2)
    return d, d / "s1", d / "s2"


def test_same_seed_same_world_bytes(twins) -> None:
    d, _, _ = twins
    a, b = _tree_digest(d / "w1"), _tree_digest(d / "w2")
    assert a == b and len(a) > 3


def test_same_inputs_same_store_content(twins) -> None:
    _, s1, s2 = twins
    m1, m2 = open_store(s1).manifest, open_store(s2).manifest
    assert m1["content_hash"] and m1["content_hash"] == m2["content_hash"]
    assert m1["content_hash_method"].startswith("sha256 over tables")
    assert {k: v["content"] for k, v in m1["tables"].items()} == {k: v["content"] for k, v in m2["tables"].items()}
    assert m1["counts"] == m2["counts"]


def _opts(spec) -> dict:
    if spec.name == "venue_papers":
        return {"name_pattern": "%Lecture Notes%"}
    return {"focus": "JP"} if any(o.name == "focus" for o in spec.options) else {}


def _same(a: pa.Table, b: pa.Table, what: str) -> None:
    assert a.schema == b.schema, what
    assert a.num_rows == b.num_rows, what
    assert a.equals(b), f"{what}: {a.num_rows} rows differ"


OUTPUTS = [("indicators", n) for n in indicators.REGISTRY] + [("mobility", n) for n in mobility.REGISTRY]


@pytest.fixture(scope="module")
def engines(twins):
    _, s1, s2 = twins
    return connect(s1, threads=1), connect(s2, threads=1), connect(s2, threads=2)


@pytest.mark.parametrize(("group", "name"), OUTPUTS)
def test_every_output_is_identical_across_runs_and_threads(engines, group: str, name: str) -> None:
    mod = indicators if group == "indicators" else mobility
    spec = mod.REGISTRY[name]
    r1, r2 = (mod.run(e, name, **_opts(spec)) for e in engines[:2])
    _same(r1.table, r2.table, f"{group} {name}")
    assert r1.table.num_rows > 0
    if group == "indicators":  # another DuckDB thread count (mobility outputs are slower: bench/reliability.py)
        r3 = mod.run(engines[2], name, **_opts(spec))
        keys = [k for k in spec.keys if k in r1.table.column_names] or r1.table.column_names
        assert_tables_equal(r1.table, r3.table, keys=keys, rtol=1e-12)
    p1, p2 = dict(r1.provenance), dict(r2.provenance)
    for p in (p1, p2):
        p.pop("store", None)
        p.pop("created", None)  # when each store was built
    assert p1 == p2  # same store version and content hash, same options
    assert p1["content_hash"] == open_store(engines[0].store.root).manifest["content_hash"]


def _close(a, b, rtol: float) -> bool:
    """Equal values, floats (also inside lists and structs) within ``rtol``."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    return a == b


def test_same_science_map(engines) -> None:
    """The same map from two runs at 1 thread (bit for bit) and at 2 threads (floats such as term scores within a
    relative 1e-12: sums in another order; clusters, labels and counts identical)."""
    m0, m1, m2 = (build_map(e, window=(2012, 2018)) for e in (engines[1], engines[1], engines[2]))
    assert m1.papers.num_rows > 0
    for name in ("papers", "fronts", "areas", "area_countries", "countries", "front_links", "area_links"):
        _same(getattr(m0, name), getattr(m1, name), f"map {name}")
        a, b = getattr(m1, name), getattr(m2, name)
        assert a.schema == b.schema and a.num_rows == b.num_rows, name
        assert _close(a.to_pylist(), b.to_pylist(), 1e-12), f"map {name} differs beyond rel 1e-12 across threads"


DECK_CHARTS = ["intl_coauthorship_trend", "rankings_now_and_then", "world_flows"]


def _deck_contents(path: Path) -> tuple[list[list[str]], list[bytes], dict[str, bytes]]:
    """Slide texts, pictures and every part of the PPTX file (a zip) by name."""
    import zipfile

    from pptx import Presentation

    prs = Presentation(str(path))
    texts = [[sh.text_frame.text for sh in s.shapes if sh.has_text_frame] for s in prs.slides]
    pics = [sh.image.blob for s in prs.slides for sh in s.shapes if sh.shape_type == 13]
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    return texts, pics, parts


def test_same_store_same_deck(engines, tmp_path: Path) -> None:
    """Same store and parameters: identical chart data, slide texts and pictures. Only the run's timestamp
    ("generated", on the title and manifest slides) may differ; the file parts are compared without it."""
    from junkan.charts import ChartParams
    from junkan.reports.brief import build_briefing, write_deck

    params = ChartParams(country="JP", lang="ja")
    b1, b2 = (build_briefing(e, params, charts=DECK_CHARTS) for e in engines[:2])  # twin stores, same threads
    for i1, i2 in zip(b1.items, b2.items):
        assert (i1.result is None) == (i2.result is None)
        if i1.result is not None:
            _same(i1.result.table, i2.result.table, f"chart {i1.chart.id}")
            assert i1.result.takeaway == i2.result.takeaway and i1.result.caption == i2.result.caption
    assert sum(i.result is not None for i in b1.items) >= 2
    b2.manifest["generated"] = b1.manifest["generated"]  # the run's clock
    for b in (b1, b2):  # where each twin store lives and when it was built
        b.manifest["store"]["store"] = "STORE"
        b.manifest["store"]["created"] = "CREATED"
    t1, p1, z1 = _deck_contents(write_deck(b1, tmp_path / "a.pptx"))
    t2, p2, z2 = _deck_contents(write_deck(b2, tmp_path / "b.pptx"))
    assert t1 == t2 and len(t1) >= 4
    assert p1 == p2 and len(p1) >= 2
    assert z1.keys() == z2.keys()
    assert [n for n in z1 if z1[n] != z2[n]] == []
