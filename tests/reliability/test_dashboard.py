"""Dashboard under hostile requests and load (issue 11, property 4).

tests/web/test_api.py checks a fixed list of hostile requests. Here hypothesis generates them: query strings mixing
real parameters with SQL fragments, path traversal, odd Unicode, percent-encoding, huge or reversed year ranges,
unknown countries, repeated and unknown parameters; paths with traversal in page, chart and download names; write
methods with malformed bodies. Every answer is a 2xx/3xx or a 4xx with a JSON (or HTML) message, never a 5xx or a
traceback, and the store is left byte for byte as it was (read-only). A short loopback load run (uvicorn + httpx,
8 clients) must answer every request without error; bench/reliability.py runs 16 clients for 60 s.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.charts import catalog
from junkan.web import Dashboard, create_app
from tests.web.conftest import dashboard, web_cache, web_root, web_store  # noqa: F401  (the shared, pre-warmed store)

NASTY = ["' OR 1=1 --", "1; DROP TABLE works", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "%00", "\x00",
         "JP\r\nSet-Cookie: x=1", "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "\u202e", "循環", "\ud800",
         "99999999999999999999", "-1", "0", "1e9", "NaN", "ZZ", "XX", "JP", "US", "2020", "2000", "1900", "3000", "full",
         "fractional", "ja", "en", "", " ", "A" * 300]
PARAMS = ["country", "field", "start", "end", "counting", "lang", "chart", "page", "format", "store", "path", "sql", "__proto__"]


def _charts() -> list[str]:
    return list(catalog.CATALOG)[:4]


@st.composite
def hostile_url(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(
        ["/", "/overview", "/mobility", "/api/meta", "/api/pages/overview", "/api/pages/map", f"/api/charts/{_charts()[0]}",
         f"/download/{_charts()[0]}.csv", f"/download/{_charts()[0]}.json", "/static/app.js", "PATH"]))
    if base == "PATH":
        seg = draw(st.sampled_from(NASTY + ["manifest", "CURRENT", "versions", "store.parquet"]))
        base = draw(st.sampled_from(["/api/pages/", "/api/charts/", "/download/", "/static/", "/"])) + quote(seg, safe="")
        base += draw(st.sampled_from(["", ".csv", ".parquet", ".json", ".png", "/..", "%2F..%2F..%2Fetc%2Fpasswd"]))
    items = draw(st.lists(st.tuples(st.sampled_from(PARAMS), st.sampled_from(NASTY) | st.text(max_size=12)), max_size=5))
    q = "&".join(f"{quote(k, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in items)
    return base + ("?" + q if q else "")


def _store_fingerprint(store: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(store)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(store.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def client(dashboard: Dashboard) -> TestClient:  # noqa: F811
    return TestClient(create_app(dashboard=dashboard), raise_server_exceptions=False)


def _check(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text, r.text[:300]
    if r.status_code >= 400:
        ctype = r.headers.get("content-type", "")
        assert ctype.startswith(("application/json", "text/html")), ctype
        if ctype.startswith("application/json"):
            assert r.json()["error"]


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(url=hostile_url(), html=st.booleans())
def test_hostile_requests_never_get_a_5xx(client: TestClient, url: str, html: bool) -> None:
    r = client.get(url, headers={"Accept": "text/html"} if html else {})
    _check(r)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["POST", "PUT", "DELETE", "PATCH"]), body=st.binary(max_size=200),
       ctype=st.sampled_from(["application/json", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]))
def test_malformed_bodies_and_writes_are_refused(client: TestClient, method: str, body: bytes, ctype: str) -> None:
    r = client.request(method, "/api/pages/overview", content=body, headers={"Content-Type": ctype})
    _check(r)
    assert 400 <= r.status_code < 500


def test_huge_year_ranges_and_unknown_countries(client: TestClient) -> None:
    for q in ("start=-99999999&end=99999999", "start=0001&end=9999", "start=2010&end=2009", "country=QQ",
              "country=J%C3%9F", "field=-1", "start=2015&start=2016", "end=" + "9" * 5000):
        r = client.get(f"/api/pages/overview?{q}")
        _check(r)
        assert 400 <= r.status_code < 500, q


def test_requests_leave_the_store_untouched(client: TestClient, web_store: Path) -> None:  # noqa: F811
    before = _store_fingerprint(web_store)
    for url in ("/api/meta", "/api/pages/overview?country=JP", f"/download/{_charts()[0]}.parquet",
                "/download/..%2F..%2FCURRENT.csv", "/api/pages/overview?country=JP%27;DROP%20TABLE%20works;--"):
        _check(client.get(url))
    assert _store_fingerprint(web_store) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(base: str, urls: list[str], clients: int, seconds: float) -> tuple[list[float], list[str]]:
    lat: list[float] = []
    errors: list[str] = []
    end = time.monotonic() + seconds

    async def one(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            i = k
            while time.monotonic() < end:
                t0 = time.perf_counter()
                try:
                    r = await c.get(urls[i % len(urls)])
                    if r.status_code != 200:
                        errors.append(f"{urls[i % len(urls)]}: {r.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"{urls[i % len(urls)]}: {exc!r}")
                lat.append(time.perf_counter() - t0)
                i += 1

    await asyncio.gather(*(one(k) for k in range(clients)))
    return lat, errors


def load_test(dash: Dashboard, *, clients: int, seconds: float) -> dict:
    """Serve ``dash`` with uvicorn on a free loopback port and run ``clients`` concurrent clients for ``seconds``."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(dashboard=dash), host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        urls = ["/api/meta", "/api/pages/overview", "/api/pages/overview?lang=en"] + [f"/api/charts/{c}" for c in _charts()]
        lat, errors = asyncio.run(_load(f"http://127.0.0.1:{port}", urls, clients, seconds))
    finally:
        server.should_exit = True
        th.join(timeout=10)
    lat.sort()
    return {"clients": clients, "seconds": seconds, "requests": len(lat), "errors": len(errors), "first_errors": errors[:5],
            "p50_ms": 1000 * lat[len(lat) // 2], "p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))], "max_ms": 1000 * lat[-1]}


def test_loopback_load_has_no_errors(dashboard: Dashboard) -> None:  # noqa: F811
    res = load_test(dashboard, clients=8, seconds=4)
    print(f"loopback load: {res}")  # the p95 of this short run is reported with -s; the 60 s run is in the bench
    assert res["errors"] == 0, res["first_errors"]
    assert res["requests"] >= 8 and res["p95_ms"] > 0
