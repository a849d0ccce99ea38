"""The served dashboard in Debian's Chromium (Playwright, headless): pages, charts, selectors, downloads, ja/en.

Never downloads a browser: it drives /usr/bin/chromium (CI installs it with apt) and is skipped, with the reason,
only when that file is absent.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from junkan.charts import catalog
from junkan.web import Dashboard, create_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def base_url(dashboard: Dashboard) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(dashboard=dashboard), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the dashboard server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.problems = []  # console errors, page errors and failed requests
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    yield pg
    ctx.close()


def _open(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("body[data-ready=true]", state="attached")


def _chart_svg(pg: Any, chart_id: str) -> str:
    return pg.locator(f"#vis-{chart_id} svg.marks").first.inner_html()


def test_every_page_loads_without_errors_and_draws_its_charts(page: Any, base_url: str) -> None:
    for name in catalog.PAGES:
        _open(page, f"{base_url}/{name}")
        drawable = page.locator("section.chart:not(.failed)")
        assert page.locator(".vis[data-rendered=true] svg.marks").count() == drawable.count(), name
        assert page.locator("nav.pages a.current").get_attribute("data-page") == name
        assert page.locator("h1").inner_text() == catalog.PAGES[name]["ja"]
    assert page.problems == []
    # the science map pans and zooms: a wheel event over it changes the drawn marks
    _open(page, f"{base_url}/map")
    if "science_map" in catalog.CATALOG and page.locator("#vis-science_map svg.marks").count():
        before = _chart_svg(page, "science_map")
        box = page.locator("#vis-science_map svg.marks").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(300)
        assert _chart_svg(page, "science_map") != before
    assert page.problems == []


def test_selectors_change_the_chart(page: Any, base_url: str, dashboard: Dashboard) -> None:
    cid = "intl_coauthorship_trend" if "intl_coauthorship_trend" in catalog.CATALOG else next(iter(catalog.CATALOG))
    pg_name = catalog.CATALOG[cid].page
    _open(page, f"{base_url}/{pg_name}")
    before = _chart_svg(page, cid)
    other = next(c for c in dashboard.state.meta.countries if c not in ("JP", "US", "CN", "GB", "DE", "FR", "KR"))
    with page.expect_navigation():
        page.select_option("#sel-country", other)
    page.wait_for_selector("body[data-ready=true]", state="attached")
    assert f"country={other}" in page.url and "field=" not in page.url  # empty selections stay out of the URL
    after = _chart_svg(page, cid)
    assert after != before
    field = str(next(iter(dashboard.state.meta.fields)))
    with page.expect_navigation():
        page.select_option("#sel-field", field)
    page.wait_for_selector("body[data-ready=true]", state="attached")
    assert f"field={field}" in page.url and f"country={other}" in page.url
    assert _chart_svg(page, cid) != after
    assert page.problems == []


def test_downloads_work(page: Any, base_url: str) -> None:
    from openpyxl import load_workbook

    cid = "intl_coauthorship_trend" if "intl_coauthorship_trend" in catalog.CATALOG else next(iter(catalog.CATALOG))
    _open(page, f"{base_url}/{catalog.CATALOG[cid].page}")
    got = {}
    for fmt in ("csv", "xlsx", "png"):
        with page.expect_download() as info:
            page.click(f"#chart-{cid} a.dl-{fmt}")
        d = info.value
        assert d.suggested_filename == f"junkan-{cid}-JP-ja-whole.{fmt}"
        got[fmt] = Path(d.path()).read_bytes()
    n_rows = int(page.locator(f"#chart-{cid} details.data table").get_attribute("data-rows"))
    assert len(got["csv"].decode().strip().splitlines()) == n_rows + 1
    wb = load_workbook(io.BytesIO(got["xlsx"]))
    assert wb["data"].max_row == n_rows + 1 and "provenance" in wb.sheetnames
    assert got["png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert page.problems == []


def test_language_switch(page: Any, base_url: str) -> None:
    _open(page, f"{base_url}/collaboration")
    assert page.locator("html").get_attribute("lang") == "ja"
    ja_titles = page.locator("section.chart h2").all_inner_texts()
    with page.expect_navigation():
        page.click("#lang-en")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    assert "lang=en" in page.url and page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == catalog.PAGES["collaboration"]["en"]
    assert page.locator("nav.pages a").all_inner_texts() == [p["en"] for p in catalog.PAGES.values()]
    en_titles = page.locator("section.chart h2").all_inner_texts()
    expected = [d.title["en"] for d in catalog.CATALOG.values() if d.page == "collaboration"]
    assert en_titles == expected and en_titles != ja_titles
    assert page.locator("label", has_text="Country").count() == 1
    # the chart itself is drawn with English labels
    first = next(k for k, d in catalog.CATALOG.items() if d.page == "collaboration")
    assert _chart_svg(page, first) and page.locator(f"#vis-{first} svg").first.inner_html().count("国") == 0
    assert page.problems == []
