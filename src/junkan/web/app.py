"""The dashboard as an ASGI app (FastAPI): HTML pages, their JSON twins, downloads, the Vega bundle.

Routes (every page and JSON twin takes the same query parameters: country, field, start, end, counting, lang):

=================================  ====================================================================
``/`` and ``/{page}``              HTML page (overview, output, collaboration, mobility, map, cohorts,
                                   statistics, quality): charts of the catalog whose ``page`` is that page
``/api/pages/{page}``              JSON twin of a page: per chart its spec, table, caption, takeaway, provenance
``/api/charts/{chart_id}``         JSON of one chart
``/api/meta``                      pages, charts, valid parameter values, defaults, store version
``/download/{chart_id}.{format}``  csv, xlsx, parquet, json (with provenance), png, svg
``/static/{name}``                 app.js, style.css, vega-bundle.js (vega + vega-lite + vega-embed, no CDN)
=================================  ====================================================================

Bad requests get a 4xx with ``{"error": message, "parameter": name}`` (an HTML page for HTML routes);
nothing from a request is used as a path, and the store is only read.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from junkan import __version__
from junkan.web.labels import ui
from junkan.web.service import DOWNLOAD_FORMATS, LANGS, Dashboard, ParamError, gzipped, merge, parse_query_string

__all__ = ["create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
#: Vega's expression language compiles to functions at run time, hence 'unsafe-eval'; nothing is loaded from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
TABLE_PREVIEW_ROWS = 20
_BUNDLE: dict[str, bytes] = {}


def vega_bundle(cache_dir: Path | None = None) -> bytes:
    """vega + vega-lite + vega-embed as one script (vl-convert builds it; kept in memory and in the cache folder)."""
    if "js" in _BUNDLE:
        return _BUNDLE["js"]
    import vl_convert

    path = cache_dir / f"vega-bundle-{vl_convert.__version__}.js" if cache_dir else None
    if path is not None and path.exists():
        data = path.read_bytes()
    else:
        data = vl_convert.javascript_bundle().encode("utf-8")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
    _BUNDLE["js"] = data
    return data


def _json(body: bytes | dict[str, Any], status: int = 200) -> Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content=data, status_code=status, media_type="application/json")


def _json_cached(request: Request, body: bytes, gz: bytes | None, status: int = 200) -> Response:
    """A cached JSON body, sent gzip-compressed (compressed once, when cached) to clients that accept it."""
    if gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(content=gz, status_code=status, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(content=body, status_code=status, media_type="application/json", headers={"Vary": "Accept-Encoding"})


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    doc: dict[str, Any] = {"error": message}
    if parameter:
        doc["parameter"] = parameter
    return _json(doc, status)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api", "/download", "/static")) and "text/html" in request.headers.get("accept", "")


def create_app(
    store: str | os.PathLike[str] | None = None,
    *,
    dashboard: Dashboard | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> FastAPI:
    """The dashboard app over ``store`` (or an existing :class:`Dashboard`)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    if dashboard is None:
        if store is None:
            raise ParamError("create_app needs a store or a dashboard")
        dashboard = Dashboard(store, cache_dir=cache_dir, threads=threads)
    dash = dashboard
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False)
    env.filters["num"] = _num
    app = FastAPI(title="junkan dashboard", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = dash

    app.add_middleware(_SecurityHeaders)

    @app.exception_handler(ParamError)
    async def _param_error(request: Request, exc: ParamError) -> Response:
        if _wants_html(request):
            return _html_error(request, exc.status, str(exc))
        return _error(exc.status, str(exc), exc.parameter)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        msg = {404: "not found; the dashboard's routes are listed at /api/meta", 405: f"method {request.method} not allowed (read-only: use GET)"}
        text = msg.get(exc.status_code, str(exc.detail))
        if _wants_html(request):
            return _html_error(request, exc.status_code, text)
        return _error(exc.status_code, text)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return _error(400, f"invalid request: {where}: {first.get('msg', 'invalid')}", where or None)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:  # never a traceback to the client
        log.exception("internal error on %s", request.url.path)
        return _error(500, "internal error (logged on the server)")

    async def params_of(request: Request) -> Any:
        if dash.needs_check():
            await run_in_threadpool(dash.refresh)
        return dash.parse_params(parse_query_string(request.url.query))

    def _html_error(request: Request, status: int, message: str) -> Response:
        lang = request.query_params.get("lang") if request.query_params.get("lang") in LANGS else "ja"
        html = env.get_template("error.html").render(t=ui(lang), lang=lang, status=status, message=message)
        return HTMLResponse(html, status_code=status)

    # ---- JSON ---------------------------------------------------------------------------------------------
    @app.get("/api/meta")
    async def api_meta(request: Request) -> Response:
        params = await params_of(request)
        key = ("meta", dash.state.store.version, params.lang)
        cached = dash.misc.get(key)
        if cached is None:
            body = orjson.dumps(dash.meta_doc(params.lang))
            cached = (body, gzipped(body))
            dash.misc.put(key, cached)
        return _json_cached(request, *cached)

    @app.get("/api/pages/{page}")
    async def api_page(page: str, request: Request) -> Response:
        dash.check_page(page)
        params = await params_of(request)
        cached = dash.cached_page(page, params)
        if cached is None:
            cached = await run_in_threadpool(dash.page, page, params)
        return _json_cached(request, *cached)

    @app.get("/api/charts/{chart_id}")
    async def api_chart(chart_id: str, request: Request) -> Response:
        dash.check_chart(chart_id)
        params = await params_of(request)
        entry = dash.cached_chart(chart_id, params)
        if entry is None:
            entry = await run_in_threadpool(dash.chart, chart_id, params)
        return _json_cached(request, entry.body, entry.gz, 200 if entry.ok else entry.status)

    # ---- downloads --------------------------------------------------------------------------------------
    @app.get("/download/{name}")
    async def download(name: str, request: Request) -> Response:
        chart_id, dot, fmt = name.rpartition(".")
        if not dot:
            raise ParamError(f"download names are CHART.FORMAT with a format of {', '.join(DOWNLOAD_FORMATS)}", parameter="name", status=404)
        dash.check_chart(chart_id)
        if fmt not in DOWNLOAD_FORMATS:
            raise ParamError(f"unknown download format; formats: {', '.join(DOWNLOAD_FORMATS)}", parameter="format", status=404)
        params = await params_of(request)
        path, filename, prov = await run_in_threadpool(dash.download, chart_id, fmt, params)
        # provenance travels inside every format too (sheet, metadata, iTXt chunk, comment); CSV has only this header
        headers = {"X-Junkan-Provenance": _ascii_json(prov)}
        return FileResponse(path, media_type=DOWNLOAD_FORMATS[fmt], filename=filename, content_disposition_type="attachment",
                            headers=headers)

    # ---- static -----------------------------------------------------------------------------------------
    @app.get("/static/vega-bundle.js")
    async def bundle() -> Response:
        data = await run_in_threadpool(vega_bundle, dash.cache_root)
        return Response(data, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise ParamError("unknown static file", parameter="name", status=404)
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name], headers={"Cache-Control": "no-cache"})

    # ---- HTML pages -------------------------------------------------------------------------------------
    def render_page(page: str, params: Any) -> bytes:
        key = ("html", dash.state.store.version, page, params.key())
        hit = dash.misc.get(key)
        if hit is not None:
            return hit
        doc = orjson.loads(dash.page(page, params)[0])
        t = ui(params.lang)
        meta = dash.state.meta
        query = dash.query_of(params)
        previews: dict[str, Any] = {}
        for c in doc["charts"]:
            if "error" in c:
                continue
            entry = dash.cached_chart(c["id"], params) or dash.chart(c["id"], params)
            tbl = entry.table
            previews[c["id"]] = {
                "columns": c["columns"],
                "rows": tbl.slice(0, TABLE_PREVIEW_ROWS).to_pylist() if tbl is not None else [],
                "total": tbl.num_rows if tbl is not None else 0,
            }
        pages = [
            {"id": k, "title": v.get(params.lang, k), "url": f"/{k}?{merge(query)}", "current": k == page}
            for k, v in dash.catalog.PAGES.items()
        ]
        from junkan.web.service import _country_label

        html = env.get_template("page.html").render(
            t=t,
            lang=params.lang,
            page=page,
            page_title=doc["title"],
            pages=pages,
            params=params,
            query=query,
            countries=[(c, _country_label(c, params.lang)) for c in meta.countries],
            fields=list(meta.fields.items()),
            years=list(range(meta.years[0], meta.years[1] + 1)) if meta.years else [],
            countings=[("whole", t["whole"]), ("fractional", t["fractional"])],
            lang_links={lg: f"/{page}?{merge(query, lang=lg)}" for lg in LANGS},
            api_url=f"/api/pages/{page}?{merge(query)}",
            charts=doc["charts"],
            previews=previews,
            store=doc["store"],
            quality=doc.get("quality"),
            summary=doc.get("summary"),
            findings=doc.get("findings"),
            version=__version__,
        ).encode("utf-8")
        dash.misc.put(key, html)
        return html

    async def page_response(page: str, request: Request) -> Response:
        dash.check_page(page)
        params = await params_of(request)
        key = ("html", dash.state.store.version, page, params.key())
        html = dash.misc.get(key)
        if html is None:
            html = await run_in_threadpool(render_page, page, params)
        return HTMLResponse(html)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return await page_response(next(iter(dash.catalog.PAGES)), request)

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="none" stroke="#1f5f8b" stroke-width="3"/></svg>'
        return Response(svg, media_type="image/svg+xml")

    @app.get("/{page}", response_class=HTMLResponse)
    async def page_html(page: str, request: Request) -> Response:
        return await page_response(page, request)

    return app


class _SecurityHeaders:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on every request): security headers on every response."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", CSP.encode()),
    ]

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        t0 = time.perf_counter()

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                # Server-Timing: time spent in the app before the response starts (bench/dashboard.py reports it)
                timing = f"app;dur={(time.perf_counter() - t0) * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", []), *self.HEADERS, (b"server-timing", timing)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _ascii_json(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=True, default=str, separators=(",", ":"))


def _num(v: Any, column: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if v != v:
            return "–"
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return str(v) if "year" in column or column.endswith("_id") or column == "id" else f"{v:,}"
    if isinstance(v, (list, dict)):
        s = orjson.dumps(v).decode()
        return s if len(s) <= 80 else s[:79] + "…"
    return str(v)
