"""Peers side by side on the same input (issue 10, item 2).

* **pandas**: what an analyst would write with pandas for country-equal fractional counting (each country of a
  work gets 1/#countries) and the CWTS Top 10 % with fractional tie weights (field × year), on the store's
  Parquet tables read into pandas; checked equal to junkan's ``papers`` / ``top_papers`` with
  ``counting="country", profile="all"`` and timed.
* **metaknowledge** (PyPI, GPL-2; last release 2022): ``RecordCollection(path).networkCoCitation()`` on a
  synthetic Web of Science plain-text file, against junkan's path (what ``junkan ingest wos`` runs: read_wos +
  merge into a store with cited references matched to ids, then ``junkan.mapping.cocitation.cocitation`` over the
  references table). Both sides are library calls timed in-process after their imports; the CLI's start-up is
  reported separately.

Run through the harness (``python -m bench --only peers``) or alone: ``python bench/peers.py --records 20000``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

# --------------------------------------------------------------------------------------------- pandas peer


def pandas_peer(root: Path) -> tuple[float, float, dict[str, pa.Table]]:
    """(seconds to load, seconds to compute, {papers, top_papers}) with plain pandas."""
    import pandas as pd

    vdir = root / "versions" / (root / "CURRENT").read_text().strip()
    t0 = time.perf_counter()
    works = pd.read_parquet(vdir / "works.parquet", columns=["work_id", "publication_year", "field_id"])
    ai = pd.read_parquet(vdir / "authorship_institutions.parquet", columns=["work_id", "institution_id"])
    inst = pd.read_parquet(vdir / "institutions.parquet", columns=["institution_id", "country_code"])
    ac = pd.read_parquet(vdir / "authorship_countries.parquet", columns=["work_id", "country_code"])
    refs = pd.read_parquet(vdir / "references.parquet", columns=["work_id", "cited_work_id"])
    t1 = time.perf_counter()

    # countries of each work: institution countries plus authorship countries, distinct
    wc = pd.concat([ai.merge(inst, on="institution_id")[["work_id", "country_code"]], ac])
    wc = wc[wc.country_code.notna() & (wc.country_code != "")]
    wc = wc.assign(country=wc.country_code.str.upper())[["work_id", "country"]].drop_duplicates()
    wc["w"] = 1.0 / wc.groupby("work_id")["country"].transform("size")
    wc = wc.merge(works, on="work_id")
    papers = wc.groupby(["country", "publication_year"], as_index=False)["w"].sum()
    papers.columns = ["country", "year", "p"]

    # citations (self-links dropped), then the CWTS Top 10 % weight per work within its field and year
    refs = refs[refs.work_id != refs.cited_work_id]
    cites = refs.groupby("cited_work_id").size().rename("c")
    sc = works[works.field_id.notna()].copy()
    sc["c"] = sc.work_id.map(cites).fillna(0).astype("int64")
    g = sc.groupby(["field_id", "publication_year"])
    sc["n"] = g["c"].transform("size")
    sc["n_eq"] = sc.groupby(["field_id", "publication_year", "c"])["c"].transform("size")
    sc["n_gt"] = g["c"].rank(method="max", ascending=False) - sc["n_eq"]  # works cited strictly more
    sc["top"] = ((0.1 * sc.n - sc.n_gt) / sc.n_eq).clip(0, 1)
    tp = wc.merge(sc[["work_id", "top"]], on="work_id", how="left").fillna({"top": 0.0})
    tp["w_top"] = tp.w * tp.top
    top = tp.groupby(["country", "publication_year"], as_index=False)[["w", "w_top"]].sum()
    top.columns = ["country", "year", "p", "p_top"]
    t2 = time.perf_counter()
    conv = {k: pa.Table.from_pandas(v, preserve_index=False) for k, v in {"papers": papers, "top_papers": top}.items()}
    return t1 - t0, t2 - t1, conv


PEER_RUNS = {"papers": dict(counting="country", profile="all"),
             "top_papers": dict(counting="country", profile="all", method="cwts", pct=10)}
PEER_COMPARE = {"papers": ["p"], "top_papers": ["p", "p_top"]}


def junkan_peer(root: Path, threads: int = 2) -> tuple[float, dict[str, pa.Table]]:
    from junkan.engine import connect
    from junkan.indicators import run

    eng = connect(root, threads=threads)
    t = time.perf_counter()
    out = {name: run(eng, name, **opts).table for name, opts in PEER_RUNS.items()}
    return time.perf_counter() - t, out


def compare_peer(junkan: dict[str, pa.Table], pandas: dict[str, pa.Table]) -> int:
    """Values compared (rel 1e-9); raises AssertionError naming the first difference. World rows are junkan's own."""
    import math

    n = 0
    for name, cols in PEER_COMPARE.items():
        jr = {(r["country"], int(r["year"])): r for r in junkan[name].to_pylist() if r["country"] != "WLD"}
        pr = {(r["country"], int(r["year"])): r for r in pandas[name].to_pylist()}
        assert jr.keys() == pr.keys(), f"{name}: rows differ ({len(jr)} junkan vs {len(pr)} pandas)"
        for k, r in pr.items():
            for c in cols:
                a, b = float(jr[k][c]), float(r[c])
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{name} {k} {c}: junkan {a} != pandas {b}"
                n += 1
    return n


# --------------------------------------------------------------------------------------------- Web of Science file

_SURNAMES = ["SMITH", "WANG", "TANAKA", "MULLER", "GARCIA", "KIM", "ROSSI", "DUBOIS", "SILVA", "NOVAK", "IVANOV",
             "NGUYEN", "SATO", "LEE", "CHEN", "KOWALSKI", "JOHANSSON", "OKAFOR", "PATEL", "COHEN"]
_JOURNALS = ["PHYS REV LETT", "NATURE", "SCIENCE", "J AM CHEM SOC", "CELL", "LANCET", "SCIENTOMETRICS",
             "J INFORMETR", "RES POLICY", "PLOS ONE", "ASTROPHYS J", "NEURON", "ANGEW CHEM INT EDIT", "ECOLOGY",
             "J APPL PHYS", "BLOOD", "GENE DEV", "ECONOMETRICA", "J FINANC", "MANAGE SCI"]


def _cited_item(k: int) -> str:
    """Cited reference ``k`` as WoS prints it (``Tanaka KM, 1987, J AM CHEM SOC, V190, P394, DOI …``).

    (first author, year, journal) is unique per ``k`` — metaknowledge identifies a citation by exactly these
    three (see docs/benchmarks.md) — through a mixed-radix code of a permutation of ``k``; 70 % carry a DOI."""
    m = (k * 7_919_993) % 16_224_000  # 20 surnames × 676 initials × 60 years × 20 journals; 7,919,993 is coprime
    m, s = divmod(m, 20)
    m, ini = divmod(m, 676)
    m, y = divmod(m, 60)
    j = m % 20
    out = (f"{_SURNAMES[s].title()} {chr(65 + ini // 26)}{chr(65 + ini % 26)}, {1960 + y}, {_JOURNALS[j]}, "
           f"V{1 + k % 300}, P{1 + (k * 37) % 2000}")
    if k % 10 < 7:
        out += f", DOI 10.{1000 + k % 9000}/bench.{k}"
    return out


def write_wos(path: Path, records: int, *, seed: int = 0, mean_refs: float = 30.0) -> dict:
    """A WoS plain-text export of ``records`` records (PT/AU/TI/SO/PY/CR/UT/ER, then EF).

    Reference lists: lengths negative-binomial with mean ``mean_refs`` (dispersion 2, as real reference lists are
    right-skewed); cited items drawn without repetition within a record from a pool of ``3 × records`` items with
    Zipf-like popularity (weight ∝ (k + 10)^-1.1), so a few items are cited very often and most once — the shape
    of real citation distributions. Seeded.
    """
    rng = np.random.default_rng(seed)
    pool = 3 * records
    w = (np.arange(pool) + 10.0) ** -1.1
    w /= w.sum()
    n_refs = rng.negative_binomial(2, 2 / (2 + mean_refs), size=records)
    n_refs = np.minimum(n_refs, pool)
    total_refs = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("FN Clarivate Analytics Web of Science\nVR 1.0\n")
        for i in range(records):
            k = int(n_refs[i])
            cited = rng.choice(pool, size=k, replace=False, p=w) if k else []
            total_refs += k
            f.write("PT J\n")
            f.write(f"AU {_SURNAMES[i % 20].title()}, {chr(65 + i % 26)}\n   {_SURNAMES[(i * 7) % 20].title()}, B\n")
            f.write(f"TI Synthetic benchmark record {i} on topic {i % 97}\n")
            f.write(f"SO {_JOURNALS[i % 20]}\nPY {2015 + i % 10}\n")
            if k:
                f.write("CR " + "\n   ".join(_cited_item(int(c)) for c in cited) + "\n")
                f.write(f"NR {k}\n")
            f.write(f"UT WOS:{i:015d}\nER\n\n")
        f.write("EF\n")
    return {"records": records, "references": total_refs, "bytes": path.stat().st_size}


def metaknowledge_cocitation(path: Path) -> dict:
    import metaknowledge

    t, c = time.perf_counter(), time.process_time()
    rc = metaknowledge.RecordCollection(str(path))
    t_read = time.perf_counter() - t
    g = rc.networkCoCitation()
    secs = time.perf_counter() - t
    return {"seconds": secs, "cpu_s": time.process_time() - c, "read_s": t_read, "records": len(rc), "nodes": g.number_of_nodes(),
            "edges": g.number_of_edges()}


def junkan_wos_cocitation(path: Path, store: Path) -> dict:
    """What ``junkan ingest wos FILE -s STORE`` runs (``read_wos`` + ``ingest_batches``: the canonical store, cited
    references matched to ids), then co-citation of every cited item (``min_cocit=1``: every co-cited pair, as
    metaknowledge's network) on DuckDB. Both sides are timed in-process as library calls after their imports, as
    metaknowledge's ``RecordCollection`` is; the CLI's extra start-up (interpreter and imports, measured as
    ``python -m junkan ingest wos --help``) is reported as ``cli_startup_s`` next to it."""
    try:
        from junkan.sources.wos import read_wos
    except ImportError:
        return {"skipped": "junkan.sources.wos (the Web of Science reader) is not in the tree yet"}
    from junkan.engine import connect
    from junkan.mapping.cocitation import cocitation
    from junkan.sources.merge import ingest_batches

    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "junkan", "ingest", "wos", "--help"], capture_output=True, text=True)
    startup = time.perf_counter() - t
    if res.returncode != 0:
        return {"skipped": f"junkan ingest wos --help failed ({res.returncode}): {(res.stderr or res.stdout)[-400:]}"}
    shutil.rmtree(store, ignore_errors=True)
    c0 = time.process_time()
    t = time.perf_counter()
    ingest_batches([read_wos(path)], store)
    t_ingest = time.perf_counter() - t
    t1 = time.perf_counter()
    eng = connect(store, threads=2)
    r = eng.table("references")
    links = r.select(citing=r.work_id, cited=r.cited_work_id).distinct()
    pairs, cit = cocitation(links, min_cocit=1)
    n_edges, n_nodes = int(eng.con.execute(pairs.count())), int(eng.con.execute(cit.count()))
    t_cocit = time.perf_counter() - t1
    cpu = time.process_time() - c0
    return {"seconds": t_ingest + t_cocit, "cpu_s": cpu, "ingest_s": t_ingest, "cocitation_s": t_cocit,
            "cli_startup_s": startup, "records": int(eng.con.execute(eng.table("works").count())),
            "nodes": n_nodes, "edges": n_edges}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000, help="WoS records for the metaknowledge comparison")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/junkan-bench-peers"))
    ap.add_argument("--repeats", type=int, default=1, help="runs of each side (each printed, then the ratio of minima)")
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    wos = a.dir / f"wos-{a.records}.txt"
    if not wos.exists():
        print(json.dumps(write_wos(wos, a.records)))
    best: dict[str, float] = {}
    for _ in range(max(1, a.repeats)):
        mk = metaknowledge_cocitation(wos)
        jk = junkan_wos_cocitation(wos, a.dir / "store")
        if "skipped" not in jk and (mk["nodes"], mk["edges"]) != (jk["nodes"], jk["edges"]):
            raise SystemExit(f"different networks: metaknowledge {mk['nodes']} nodes, {mk['edges']} edges; "
                             f"junkan {jk['nodes']} nodes, {jk['edges']} edges")
        for k, v in (("metaknowledge", mk.get("seconds")), ("junkan", jk.get("seconds"))):
            if v is not None:
                best[k] = min(best.get(k, v), v)
        print(json.dumps({"metaknowledge": mk, "junkan": jk}), flush=True)
    if len(best) == 2:
        print(json.dumps({"best_seconds": best, "ratio": round(best["metaknowledge"] / best["junkan"], 2)}))


if __name__ == "__main__":
    main()
