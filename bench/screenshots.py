"""Screenshots of every dashboard page for the docs (docs/img/dashboard-<page>.png), in Debian's Chromium.

    python bench/screenshots.py [--store STORE] [--works 20000] [--lang ja] [--out docs/img] [--max-height 2000]

Without ``--store`` it builds (or reuses) a simulated store of ``--works`` works under ``--dir``. The server runs in
this process on a free loopback port; each page is captured once its charts are drawn, cut at ``--max-height``
pixels and saved as a 256-colour PNG (Pillow) so that each file stays well under 300 KiB.
"""

from __future__ import annotations

import argparse
import io
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--works", type=int, default=20000)
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "junkan-bench-dashboard")
    ap.add_argument("--lang", default="ja", choices=("ja", "en"))
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--max-height", type=int, default=2000)
    args = ap.parse_args()

    import uvicorn
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from junkan.charts.catalog import PAGES
    from junkan.web import Dashboard, create_app

    store = args.store
    if store is None:
        world_root = args.dir / f"w{args.works}"
        try:
            from bench.dashboard import build_store
        except ImportError:  # run as a script: bench/ itself is on sys.path
            from dashboard import build_store

        build_store(world_root, args.works)
        store = world_root / "store"
    dash = Dashboard(store, cache_dir=args.dir / "screenshot-cache")
    server = uvicorn.Server(uvicorn.Config(create_app(dashboard=dash), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(600_000)
        for name in PAGES:
            page.goto(f"{base}/{name}?lang={args.lang}")
            page.wait_for_selector("body[data-ready=true]", state="attached")
            page.wait_for_timeout(300)
            shot = page.screenshot(full_page=True)
            img = Image.open(io.BytesIO(shot)).convert("RGB")
            if img.height > args.max_height:
                img = img.crop((0, 0, img.width, args.max_height))
            out = args.out / f"dashboard-{name}.png"
            img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
            print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}  {img.width}x{img.height}  {out.stat().st_size // 1024} KiB")
        browser.close()
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()
