"""The dashboard's JSON twins, downloads, caching and hostile requests, in-process (FastAPI TestClient)."""

from __future__ import annotations

import io
import json
import shutil
import types
import zlib
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.charts import catalog
from junkan.errors import ConfigError
from junkan.web import Dashboard, ParamError, create_app
from junkan.web.service import COUNTINGS, LANGS, PARAMETERS, png_with_text


@pytest.fixture(scope="module")
def client(dashboard: Dashboard) -> TestClient:
    return TestClient(create_app(dashboard=dashboard))


def _first_chart() -> str:
    return "intl_coauthorship_trend" if "intl_coauthorship_trend" in catalog.CATALOG else next(iter(catalog.CATALOG))


def _png_text_chunks(png: bytes) -> dict[str, str]:
    """iTXt chunks of a PNG, parsed by hand (length, type, data, CRC)."""
    out, i = {}, 8
    while i < len(png):
        n = int.from_bytes(png[i:i + 4], "big")
        kind, data = png[i + 4:i + 8], png[i + 8:i + 8 + n]
        assert int.from_bytes(png[i + 8 + n:i + 12 + n], "big") == zlib.crc32(kind + data)
        if kind == b"iTXt":
            key, _, rest = data.partition(b"\x00")
            out[key.decode()] = rest[4:].decode("utf-8")  # compression flag, method, language tag, translated key
        i += 12 + n
    return out


def test_meta_lists_pages_charts_and_the_values_the_store_holds(client: TestClient, web_store: Path) -> None:
    doc = client.get("/api/meta").json()
    assert [p["id"] for p in doc["pages"]] == list(catalog.PAGES)
    assert [c["id"] for c in doc["charts"]] == list(catalog.CATALOG)
    vdir = web_store / "versions" / "v000001"
    years = pq.read_table(vdir / "works.parquet", columns=["publication_year"]).column(0)
    assert doc["parameters"]["years"] == [pc.min(years).as_py(), pc.max(years).as_py()]
    ac = pq.read_table(vdir / "authorship_countries.parquet", columns=["work_id", "country_code"]).to_pylist()
    jp_works = len({r["work_id"] for r in ac if r["country_code"] == "JP"})
    countries = {c["code"]: c["works"] for c in doc["parameters"]["country"]}
    assert countries["JP"] == jp_works and set(countries) == {r["country_code"] for r in ac}
    assert doc["defaults"]["country"] == "JP" and doc["store"]["store_version"] == "v000001"
    assert doc["store"]["simulated"] is True


@pytest.mark.parametrize("page", list(catalog.PAGES))
def test_every_page_has_a_json_twin_with_its_charts(client: TestClient, page: str) -> None:
    r = client.get(f"/api/pages/{page}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["page"] == page and doc["title"] == catalog.PAGES[page]["ja"]
    assert [c["id"] for c in doc["charts"]] == [k for k, d in catalog.CATALOG.items() if d.page == page]
    for c in doc["charts"]:
        if "error" in c:  # a chart this store cannot give is reported in place, with a reason
            assert c["error"] and c["title"]
            continue
        assert c["spec"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert c["table"] and set(c["columns"]) == set(c["table"][0])
        assert c["caption"] and c["takeaway"] and "v000001" in c["caption"]
        assert c["provenance"]["store_version"] == "v000001" and c["provenance"]["simulated"] is True
        assert set(c["downloads"]) == {"csv", "xlsx", "parquet", "json", "png", "svg"}
    html = client.get(f"/{page}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and f'data-api="/api/pages/{page}?' in html.text
    for c in doc["charts"]:
        assert c["title"] in html.text and (c.get("takeaway") or c["error"]) in html.text


def test_quality_page_shows_manifest_inputs_and_quarantine(client: TestClient, web_store: Path) -> None:
    q = client.get("/api/pages/quality?lang=en").json()["quality"]
    manifest = json.loads((web_store / "versions" / "v000001" / "manifest.json").read_text())
    assert q["content_hash"] == manifest["content_hash"] and q["store_version"] == "v000001"
    assert q["counts"]["read"] == q["counts"]["kept"] + q["counts"]["rejected"]
    assert len(q["inputs"]) == len(manifest["inputs"]) and all(i["sha256"] for i in q["inputs"])
    n_quarantine = pq.read_metadata(web_store / "versions" / "v000001" / "quarantine.parquet").num_rows
    assert sum(r["records"] for r in q["quarantine_by_reason"]) == n_quarantine
    html = client.get("/quality?lang=en").text
    assert manifest["content_hash"] in html and "Quarantined records by reason" in html


def test_chart_twin_equals_the_catalog_rendering(client: TestClient, dashboard: Dashboard) -> None:
    cid = _first_chart()
    doc = client.get(f"/api/charts/{cid}?lang=en&counting=fractional").json()
    res = catalog.render(cid, dashboard.state.engine, catalog.ChartParams(country="JP", lang="en", counting="fractional"))
    assert doc["table"] == json.loads(json.dumps(res.table.to_pylist(), default=str))
    assert doc["takeaway"] == res.takeaway and doc["caption"] == res.caption and doc["title"] == res.title
    page = client.get(f"/api/pages/{catalog.CATALOG[cid].page}?lang=en&counting=fractional").json()
    assert next(c for c in page["charts"] if c["id"] == cid) == doc


def test_selectors_change_the_data(client: TestClient, dashboard: Dashboard) -> None:
    cid = _first_chart()
    jp = client.get(f"/api/charts/{cid}").json()
    # a country outside the briefing's comparison set, so that it is added to the chart
    other = next(c for c in dashboard.state.meta.countries if c not in ("JP", "US", "CN", "GB", "DE", "FR", "KR"))
    oth = client.get(f"/api/charts/{cid}?country={other.lower()}").json()  # codes are case-insensitive
    assert oth["parameters"]["country"] == other and oth["table"] != jp["table"] and oth["takeaway"] != jp["takeaway"]
    assert other in {r.get("country") for r in oth["table"]} - {r.get("country") for r in jp["table"]}
    field = next(iter(dashboard.state.meta.fields))
    fld = client.get(f"/api/charts/{cid}?field={field}").json()
    assert fld["parameters"]["field"] == str(field) and fld["table"] != jp["table"]
    en = client.get(f"/api/charts/{cid}?lang=en").json()
    assert en["title"] == catalog.CATALOG[cid].title["en"] != jp["title"]


HOSTILE = [
    ("/api/pages/overview?country=JP'%20OR%201=1--", 400, "two-letter"),
    ("/api/pages/overview?country=ZZ", 400, "not in this store"),
    ("/api/pages/overview?country=", 200, None),  # empty means the default
    ("/api/pages/overview?start=1200", 400, "outside the store's publication years"),
    ("/api/pages/overview?start=2020&end=2010", 400, "after end"),
    ("/api/pages/overview?end=99999999999999999999", 400, "four-digit year"),
    ("/api/pages/overview?field=1;DROP%20TABLE%20works", 400, "field must be"),
    ("/api/pages/overview?field=9999", 400, "not in this store"),
    ("/api/pages/overview?counting=whole'--", 400, "counting must be"),
    ("/api/pages/overview?lang=de", 400, "lang must be"),
    ("/api/pages/overview?country=JP&country=US", 400, "more than once"),
    ("/api/pages/overview?__proto__=1", 400, "unknown parameter"),
    ("/api/pages/overview?country=" + "A" * 3000, 414, "too long"),
    ("/api/pages/..%2F..%2Fetc%2Fpasswd", 404, None),
    ("/api/pages/secret", 404, "unknown page"),
    ("/api/charts/..%2Fmanifest", 404, None),
    ("/api/charts/no_such_chart", 404, "unknown chart"),
    ("/download/..%2F..%2Fetc%2Fpasswd.csv", 404, None),
    ("/download/%2Fetc%2Fpasswd", 404, None),
    ("/download/intl_coauthorship_trend.exe", 404, "unknown download format"),
    ("/download/intl_coauthorship_trend", 404, "CHART.FORMAT"),
    ("/download/manifest.json", 404, "unknown chart"),
    ("/static/..%2Fservice.py", 404, None),
    ("/static/service.py", 404, "unknown static file"),
    ("/api/meta?x=" + "%00" * 10, 400, "unknown parameter"),
]


@pytest.mark.parametrize(("url", "status", "phrase"), HOSTILE)
def test_hostile_requests_get_a_clear_4xx(client: TestClient, url: str, status: int, phrase: str | None) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text and "File \"" not in r.text
    if status >= 400:
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["error"]
        if phrase:
            assert phrase in r.json()["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_and_malformed_bodies_are_refused(client: TestClient, method: str) -> None:
    r = client.request(method, "/api/pages/overview", content=b'{"country": "JP"', headers={"Content-Type": "application/json"})
    assert r.status_code == 405 and "read-only" in r.json()["error"]


def test_html_routes_answer_errors_with_a_page(client: TestClient) -> None:
    r = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "unknown page" in r.text and "<html" in r.text
    r = client.get("/overview?country=QQ&lang=en", headers={"Accept": "text/html"})
    assert r.status_code == 400 and "not in this store" in r.text and "Back to the dashboard" in r.text


def test_downloads_carry_their_provenance(client: TestClient) -> None:
    cid = _first_chart()
    doc = client.get(f"/api/charts/{cid}?lang=en").json()
    n, cols = len(doc["table"]), doc["columns"]
    r = client.get(doc["downloads"]["csv"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="junkan-{cid}-JP-en-whole.csv"'
    lines = r.text.strip().splitlines()
    assert lines[0].replace('"', "").split(",") == cols and len(lines) == n + 1
    assert json.loads(r.headers["x-junkan-provenance"])["store_version"] == "v000001"
    t = pq.read_table(io.BytesIO(client.get(doc["downloads"]["parquet"]).content))
    assert t.num_rows == n and json.loads(t.schema.metadata[b"junkan.provenance"])["store_version"] == "v000001"
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(client.get(doc["downloads"]["xlsx"]).content))
    assert wb["data"].max_row == n + 1 and dict(wb["provenance"].values)["store_version"] == "v000001"
    j = client.get(doc["downloads"]["json"]).json()
    assert len(j["data"]) == n and j["provenance"]["simulated"] is True
    png = client.get(doc["downloads"]["png"])
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and png.headers["content-type"] == "image/png"
    assert json.loads(_png_text_chunks(png.content)["junkan:provenance"])["store_version"] == "v000001"
    svg = client.get(doc["downloads"]["svg"])
    assert svg.text.lstrip().startswith("<svg") and "junkan provenance" in svg.text


def test_png_text_chunk_round_trip() -> None:
    # the smallest valid PNG: signature, IHDR (1x1 greyscale), IDAT, IEND
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])) + chunk(
        b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    out = png_with_text(png, "junkan:provenance", '{"store_version": "v1", "国": "日本"}')
    assert out.endswith(chunk(b"IEND", b"")) and _png_text_chunks(out) == {"junkan:provenance": '{"store_version": "v1", "国": "日本"}'}
    with pytest.raises(ConfigError, match="not a PNG"):
        png_with_text(b"GIF89a", "k", "v")


def test_results_are_served_from_the_disk_cache_by_a_new_process(dashboard: Dashboard, web_store: Path, web_cache: Path) -> None:
    cid = _first_chart()
    params = dashboard.parse_params([("lang", "en")])
    first = dashboard.chart(cid, params)

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("computed again instead of reading the cache")

    fake = types.ModuleType("junkan.charts.catalog")
    fake.__dict__.update({k: v for k, v in vars(catalog).items() if not k.startswith("__")})
    fake.__file__ = catalog.__file__
    fake.render = refuse
    again = Dashboard(web_store, cache_dir=web_cache, catalog=fake, threads=1)
    entry = again.chart(cid, again.parse_params([("lang", "en")]))
    assert entry.body == first.body and entry.table.equals(first.table)
    again.state.engine.close()


def test_a_newly_published_store_version_is_served(web_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(web_store, store)
    dash = Dashboard(store, cache_dir=tmp_path / "cache", check_interval=0.0, threads=1)
    client = TestClient(create_app(dashboard=dash))
    assert client.get("/api/pages/quality").json()["quality"]["store_version"] == "v000001"
    v2 = store / "versions" / "v000002"
    shutil.copytree(store / "versions" / "v000001", v2)
    manifest = json.loads((v2 / "manifest.json").read_text())
    manifest.update(version="v000002", content_hash="f" * 64)
    (v2 / "manifest.json").write_text(json.dumps(manifest))
    (store / "CURRENT").write_text("v000002\n")
    q = client.get("/api/pages/quality").json()["quality"]
    assert q["store_version"] == "v000002" and q["content_hash"] == "f" * 64
    assert not any(p.name.startswith("v000002") for p in (store / "versions" / "v000002").glob("*.tmp"))
    dash.state.engine.close()


def test_the_cache_folder_must_be_outside_the_store(web_store: Path) -> None:
    with pytest.raises(Exception, match="inside the store"):
        Dashboard(web_store, cache_dir=web_store / "cache")


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_values = st.one_of(_text, st.sampled_from(["JP", "us", "2010", "2023", "1999", "17", "all", "", *LANGS, *COUNTINGS]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.sampled_from(PARAMETERS), _text), _values), max_size=7))
def test_parameters_are_valid_or_refused_with_a_named_parameter(dashboard: Dashboard, items: list[tuple[str, str]]) -> None:
    meta = dashboard.state.meta
    try:
        p = dashboard.parse_params(items)
    except ParamError as exc:
        assert str(exc) and exc.status == 400 and exc.parameter is not None
        return
    assert p.country in meta.countries and p.lang in LANGS and p.counting in COUNTINGS
    assert p.field is None or p.field in meta.fields
    for y in (p.start, p.end):
        assert y is None or meta.years[0] <= y <= meta.years[1]
    assert p.start is None or p.end is None or p.start <= p.end
    assert len({k for k, _ in items}) == len(items)


def test_serve_command_help_and_loopback_check() -> None:
    from typer.testing import CliRunner

    from junkan.cli import app, build_command
    from junkan.cli.web import is_loopback

    build_command()
    res = CliRunner().invoke(app, ["serve", "--help"])
    assert res.exit_code == 0 and "--precompute" in res.output and "127.0.0.1" in res.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("::")



def test_large_json_is_sent_gzip_compressed_to_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/api/pages/collaboration", headers={"Accept-Encoding": "identity"})
    packed = client.get("/api/pages/collaboration", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json() and int(packed.headers["content-length"]) < len(plain.content) / 3
