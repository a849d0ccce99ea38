"""OpenAlex API client: fetch throughput over loopback and the ingest of page files against chunk files.

Serves OpenAlex-shaped works (the embedded real records as templates with new ids, as bench/ingest.py does) from
the test replay server (tests/sources/replay.py, 127.0.0.1 only), then measures in one run:

1. fetch: ``junkan.sources.openalex_api.fetch`` of every page (per-page 200, no cache) into a fetch folder,
   including the grouping of the pages into chunk files of ``--chunk-records`` records (timed on its own too);
2. ingest of the chunk files, the path ``junkan fetch openalex --store`` takes;
3. ingest of the same records as one file per page (what the fetch handed to the ingest before chunks; the
   per-input overhead is 3 minus 2, divided by the number of extra inputs).

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
    ap.add_argument("--chunk-records", type=int, default=50_000)
    args = ap.parse_args()

    from bench.ingest import _templates
    from junkan.sources.openalex import ingest
    import junkan.sources.openalex_api as api
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
        t_chunk = 0.0
        real_make_chunks = api._make_chunks

        def timed(*a, **kw):  # the grouping step alone
            nonlocal t_chunk
            t0 = time.perf_counter()
            try:
                return real_make_chunks(*a, **kw)
            finally:
                t_chunk = time.perf_counter() - t0

        api._make_chunks = timed
        with ReplayServer(records=recs) as srv:
            t = time.perf_counter()
            rep = fetch(Query(per_page=args.per_page), tmp / "f", client=OpenAlexClient(email="bench@example.org", base_url=srv.url),
                        chunk_records=args.chunk_records)
            t_fetch = time.perf_counter() - t
        api._make_chunks = real_make_chunks
        mb = sum(f.stat().st_size for f in rep.files) / 1e6
        print(f"fetch: {rep.records:,} records, {rep.pages} pages, {mb:.1f} MB in {t_fetch:.2f} s "
              f"({rep.records / t_fetch:,.0f} records/s), of which grouping into {len(rep.files)} chunk file(s) {t_chunk:.2f} s")
        t = time.perf_counter()
        a = ingest(rep.files, tmp / "st-chunks", entity="works", threads=args.threads)
        t_chunks = time.perf_counter() - t
        # the same records as one file per page, as the fetch wrote them before chunks
        pages = []
        lines = [ln for f in rep.files for ln in f.read_bytes().splitlines(keepends=True)]
        (tmp / "pages").mkdir()
        for k in range(0, len(lines), args.per_page):
            pages.append(tmp / "pages" / f"{k // args.per_page + 1:06d}.jsonl")
            pages[-1].write_bytes(b"".join(lines[k : k + args.per_page]))
        t = time.perf_counter()
        b = ingest(pages, tmp / "st-pages", entity="works", threads=args.threads)
        t_pages = time.perf_counter() - t
        assert a.kept == b.kept == args.works
        extra = len(pages) - len(rep.files)
        print(f"ingest of {len(rep.files)} chunk file(s): {t_chunks:.2f} s; of {len(pages)} page files: {t_pages:.2f} s; "
              f"per-input overhead {(t_pages - t_chunks) / max(extra, 1) * 1000:.0f} ms")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
