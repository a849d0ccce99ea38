"""The harness' analysis on fake results: scaling exponents, regression flags, targets, markdown, doc update."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.harness import (
    BEGIN,
    END,
    Figure,
    flag_regressions,
    main,
    previous_results,
    render_markdown,
    scaling,
    update_doc,
)


def _fig(fid: str, size: int, value: float, **kw) -> Figure:
    return Figure(fid, fid.split(".")[0], size, fid, value, **kw)


def _results(figs: list[Figure], **kw) -> dict:
    res = {"date": "2026-11-29T10:00:00+00:00", "commit": "abcdef1234567", "dirty": False,
           "command": "python -m bench --quick", "machine": {"cpus": 2, "mem_gib": 23.4}, "sizes": [1000, 10000],
           "uptime_before": "1.00/1.00/1.00", "uptime_after": "2.00/1.50/1.00", "threshold": 0.25,
           "previous": None, "regressions": [], "notes": [], "plots": []}
    res.update(kw)
    res["figures"] = [asdict(f) for f in figs]
    res["scaling"] = scaling(figs)
    return res


def test_scaling_exponent_hand_computed():
    # 1,000 → 10,000 works: 2 s → 20 s is linear (slope 1); 2 s → 40 s is slope log10(20) = 1.301
    figs = [_fig("indicators.suite", 1000, 2.0), _fig("indicators.suite", 10000, 40.0),
            _fig("mobility.classes", 1000, 2.0), _fig("mobility.classes", 10000, 20.0),
            _fig("dashboard.p95", 1000, 50.0, unit="ms"), _fig("mapping.build", 1000, 3.0)]
    rows = {r["id"]: r for r in scaling(figs)}
    assert set(rows) == {"indicators.suite", "mobility.classes"}  # ms figures and single sizes have no exponent
    assert rows["mobility.classes"]["exponent"] == pytest.approx(1.0)
    assert rows["mobility.classes"]["ok"] is None  # no target for mobility scaling
    assert rows["indicators.suite"]["exponent"] == pytest.approx(math.log10(20), abs=1e-3)
    assert rows["indicators.suite"]["x10"] == pytest.approx(20.0)
    assert rows["indicators.suite"]["ok"] is False  # target: ≤ 11x time for 10x data


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 1e4), st.floats(0.2, 3.0), st.lists(st.integers(3, 8), min_size=2, max_size=4, unique=True))
def test_scaling_recovers_a_power_law(c, k, exps):
    figs = [_fig("x.t", 10**e, c * (10**e) ** k) for e in exps]
    assert scaling(figs)[0]["exponent"] == pytest.approx(k, abs=2e-3)


def test_regression_flags_only_beyond_threshold_and_in_the_right_direction():
    prev = {"date": "2026-11-28T10:00", "figures": [
        asdict(_fig("ingest.junkan", 1000, 10.0, load="1.0–2.0")),
        asdict(_fig("indicators.suite", 1000, 10.0)),
        asdict(_fig("indicators.suite", 2000, 10.0)),
        asdict(_fig("thr.put", 1000, 100.0, better="higher")),
    ]}
    now = [_fig("ingest.junkan", 1000, 13.0),  # +30 % slower: flagged
           _fig("indicators.suite", 1000, 12.0),  # +20 %: within 25 %
           _fig("indicators.suite", 2000, 5.0),  # faster: never flagged
           _fig("thr.put", 1000, 70.0, better="higher"),  # throughput -30 %: flagged
           _fig("new.one", 1000, 1.0)]  # nothing to compare with
    msgs = flag_regressions(now, prev, 0.25)
    assert len(msgs) == 2 and msgs[0].startswith("ingest.junkan at 1,000") and msgs[1].startswith("thr.put")
    assert now[0].regression.startswith("⚠ +30%") and "1.0–2.0" in now[0].regression
    assert now[1].regression == "+20%" and now[2].regression == "-50%" and now[4].regression == ""
    assert flag_regressions(now, None, 0.25) == []


def test_previous_results_is_the_latest_other_file(tmp_path):
    assert previous_results(tmp_path) is None
    for name in ("2026-11-27T0900.json", "2026-11-28T0900.json", "2026-11-29T0900.json"):
        (tmp_path / name).write_text(json.dumps({"date": name}))
    assert previous_results(tmp_path)["date"] == "2026-11-29T0900.json"
    assert previous_results(tmp_path, exclude=tmp_path / "2026-11-29T0900.json")["date"] == "2026-11-28T0900.json"


def test_markdown_has_every_figure_target_and_flag():
    figs = [_fig("indicators.suite", 1000, 2.0, baseline=1.0, baseline_label="hand SQL", ratio=2.0,
                 ratio_label="junkan / SQL", target="ratio ≤ 1.25", ok=False, peak_rss_mb=300, load="1.0–2.0"),
            _fig("indicators.suite", 10000, 15.0, baseline=10.0, baseline_label="hand SQL", ratio=1.5,
                 ratio_label="junkan / SQL", target="ratio ≤ 1.25", ok=False),
            _fig("ingest.junkan", 1000, 5.0, baseline=4.5, ratio=0.9, ratio_label="baseline / junkan",
                 target="ratio ≥ 0.8", ok=True, note="a | pipe")]
    figs[2].regression = "⚠ +40% vs 3.57 on 2026-11-28"
    md = render_markdown(_results(figs, regressions=["ingest.junkan at 1,000: ⚠ +40%"], notes=["`dashboard`: skipped"],
                                  previous="2026-11-28T0900.json", plots=["bench-times.svg"]))
    assert md.startswith(BEGIN) and md.endswith(END)
    table = [ln for ln in md.splitlines() if ln.startswith(("| indicators |", "| ingest |"))]
    assert len(table) == 3 and all(ln.count("|") == 13 for ln in table)  # 12 columns, the note's pipe escaped
    assert "**2.00** (junkan / SQL)" in md and "❌ FAIL" in md and "✅ pass" in md
    assert "| indicators.suite | 1,000 → 10,000 | 0.875 | 7.5× |" in md  # log10(7.5) = 0.875
    assert "Targets: 2 of 4 met" in md  # ingest passes, the two suite ratios fail, the scaling (7.5x ≤ 11x) passes
    assert "⚠ +40%" in md and "Compared with `2026-11-28T0900.json`" in md
    assert "`dashboard`: skipped" in md and "![bench-times.svg](img/bench-times.svg)" in md
    assert "load" in md and "1.0–2.0" in md


def test_update_doc_replaces_only_the_generated_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nhand-written history\n")
    update_doc(doc, f"{BEGIN}\nfirst\n{END}")
    update_doc(doc, f"{BEGIN}\nsecond\n{END}")
    text = doc.read_text()
    assert text.count(BEGIN) == 1 and "second" in text and "first" not in text
    assert text.startswith("# Benchmarks\n\nhand-written history\n")
    doc.write_text(text + "\n## Later hand-written section\n")
    update_doc(doc, f"{BEGIN}\nthird\n{END}")
    assert doc.read_text().endswith("third\n" + END + "\n\n## Later hand-written section\n")


def test_main_writes_results_and_doc_with_a_failed_step_reported(tmp_path, monkeypatch):
    """End to end with the step runner replaced: results file, doc section, regression against the previous run."""
    import bench.harness as h

    def fake_step(name, n, wd, opts=None, timeout=None):
        secs = {"ingest_duckdb": 1.0, "ingest_junkan": 2.0 * n / 1000}.get(name)
        base = {"step": name, "size": n, "opts": opts or {}, "wall_s": 1.0, "peak_rss_mb": 100.0,
                "load_before": 0.5, "load_after": 0.7}
        if name == "ingest_gen":
            return {**base, "status": "ok", "metrics": {"raw_mb": 1.0}}
        if name == "dashboard":
            return {**base, "status": "skipped", "reason": "bench/dashboard.py is not in the tree yet"}
        return {**base, "status": "ok", "metrics": {"seconds": secs, "rows": n}}

    monkeypatch.setattr(h, "run_step", fake_step)
    monkeypatch.setattr(h, "TARGET_MIN_SIZE", 5000)  # the speed target is checked at 10k, not at 1k
    monkeypatch.setattr(h, "plots", lambda res, out: [])
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "2000-01-01T0000.json").write_text(json.dumps(
        {"date": "2000-01-01T00:00", "figures": [asdict(_fig("ingest.junkan", 1000, 1.0))]}))
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n")
    args = ["--only", "ingest,dashboard", "--sizes", "1000,10000", "--results-dir", str(tmp_path / "results"),
            "--doc", str(doc), "--workdir", str(tmp_path / "w")]
    assert main(args) == 0
    res = previous_results(tmp_path / "results")
    assert res["sizes"] == [1000, 10000] and len(res["figures"]) == 2
    assert res["figures"][0]["ratio"] == pytest.approx(0.5) and res["figures"][0]["ok"] is None
    assert res["figures"][1]["ratio"] == pytest.approx(0.05) and res["figures"][1]["ok"] is False
    assert res["scaling"][0]["exponent"] == pytest.approx(1.0)
    assert res["regressions"] and "+100%" in res["regressions"][0]  # 2 s now vs 1 s before
    text = doc.read_text()
    assert "bench/dashboard.py is not in the tree yet" in text and "ingest.junkan" in text
    # --render regenerates the section from the results file alone (no step runs)
    monkeypatch.setattr(h, "run_step", lambda *a, **k: pytest.fail("--render must not run steps"))
    doc.write_text("# Benchmarks\n")
    latest = sorted((tmp_path / "results").glob("*.json"))[-1]
    assert main(["--render", str(latest), "--doc", str(doc)]) == 0
    assert "ingest.junkan" in doc.read_text() and doc.read_text().count(BEGIN) == 1
    with pytest.raises(SystemExit):
        main(["--only", "nonsense"])


def test_merge_results_later_figures_replace_earlier_ones():
    from bench.harness import merge_results

    a = _results([_fig("indicators.suite", 1000, 2.0), _fig("memory.suite", 1000, 9.0)], notes=["a"],
                 steps=[{"step": "x"}])
    b = _results([_fig("memory.suite", 1000, 3.0), _fig("indicators.suite", 10000, 20.0)], notes=["b"],
                 steps=[{"step": "y"}], uptime_after="9.00/9.00/9.00", date="2026-11-29T11:00:00+00:00")
    m = merge_results([a, b])
    got = {(f["id"], f["size"]): f["value"] for f in m["figures"]}
    assert got == {("indicators.suite", 1000): 2.0, ("memory.suite", 1000): 3.0, ("indicators.suite", 10000): 20.0}
    assert m["scaling"][0]["exponent"] == pytest.approx(1.0)  # 2 s → 20 s over 10x: recomputed on the union
    assert m["notes"] == ["a", "b"] and [s["step"] for s in m["steps"]] == ["x", "y"]
    assert m["uptime_after"] == "9.00/9.00/9.00" and m["date"] == a["date"] and len(m["merged"]) == 2


def test_update_doc_ignores_markers_quoted_inside_prose(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\nThe section between `{BEGIN}` and `{END}` is generated.\n")
    update_doc(doc, f"{BEGIN}\nfirst\n{END}")
    update_doc(doc, f"{BEGIN}\nsecond\n{END}")
    text = doc.read_text()
    assert text.startswith(f"# B\n\nThe section between `{BEGIN}` and `{END}` is generated.\n")
    assert text.endswith(f"{BEGIN}\nsecond\n{END}\n") and "first" not in text


def test_map_and_dashboard_sizes_are_capped_and_the_cap_is_noted(tmp_path):
    """Above --map-max the science map is not run and a note says why; the dashboard runs at the largest size
    within --dashboard-max."""
    from bench.harness import Context, run_all

    calls = []

    class Ctx(Context):
        def step(self, name, n, opts=None):
            calls.append((name, n))
            return {"status": "skipped", "reason": "fake", "step": name, "size": n}

    ctx = Ctx(tmp_path, [1000, 10_000, 100_000], 10, 1000, 0.5, progress=lambda msg: None, map_max=10_000,
              dashboard_max=10_000)
    run_all(["mapping", "dashboard"], ctx.sizes, ctx)
    assert calls == [("mapping", 1000), ("mapping", 10_000), ("dashboard", 10_000)]
    assert any("science map not run at 100,000 works (above --map-max 10,000" in x for x in ctx.notes)
    assert any("dashboard measured at 10,000 works" in x for x in ctx.notes)
