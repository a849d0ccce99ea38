"""OpenAlex API client: fetch throughput over loopback and the cost of ingesting one file per page.

Serves OpenAlex-shaped works (the embedded real records as templates with new ids, as bench/ingest.py does) from
the test replay server (tests/sources/replay.py, 127.0.0.1 only), then measures in one run:

1. fetch: ``junkan.sources.openalex_api.fetch`` of every page (per-page 200, no cache) into a fetch folder;
2. ingest of the page files (one input per page), the path ``junkan fetch openalex --store`` takes;
3. ingest of the same records as one JSON Lines file (the per-input overhead is 2 minus 3).

Run by hand:  python bench/openalex_api.py --works 20000
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--works", type=int, default=20_000)
    ap.add_argument("--per-page", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from bench.ingest import _templates
    from junkan.sources.openalex import ingest
    from junkan.sources.openalex_api import OpenAlexClient, Query, fetch
    from tests.sources.replay import ReplayServer

    tpl = _templates()
    recs = []
    for i in range(args.works):
        r = dict(tpl[i % len(tpl)])
        r["id"] = f"https://openalex.org/W{1_000_000_000 + i}"
        recs.append(r)
    tmp = Path(tempfile.mkdtemp(prefix="junkan-bench-api-"))
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        with ReplayServer(records=recs) as srv:
            t = time.perf_counter()
            rep = fetch(Query(per_page=args.per_page), tmp / "f", client=OpenAlexClient(email="bench@example.org", base_url=srv.url))
            t_fetch = time.perf_counter() - t
        mb = sum(f.stat().st_size for f in rep.files) / 1e6
        print(f"fetch: {rep.records:,} records, {len(rep.files)} pages, {mb:.1f} MB in {t_fetch:.2f} s "
              f"({rep.records / t_fetch:,.0f} records/s)")
        t = time.perf_counter()
        a = ingest(rep.files, tmp / "st-pages", entity="works", threads=args.threads)
        t_pages = time.perf_counter() - t
        one = tmp / "one" / "works.jsonl"
        one.parent.mkdir()
        with open(one, "wb") as out:
            for f in rep.files:
                out.write(f.read_bytes())
        t = time.perf_counter()
        b = ingest([one], tmp / "st-one", entity="works", threads=args.threads)
        t_one = time.perf_counter() - t
        assert a.kept == b.kept == args.works
        print(f"ingest of {len(rep.files)} page files: {t_pages:.2f} s; of one file: {t_one:.2f} s; "
              f"per-page overhead {(t_pages - t_one) / len(rep.files) * 1000:.0f} ms")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
