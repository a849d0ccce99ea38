"""``junkan serve``: the dashboard (FastAPI, bound to 127.0.0.1 by default)."""

from __future__ import annotations

import ipaddress
import logging
import socket
from pathlib import Path

import typer

from junkan.cli import _state, app, console, err_console, progress_bar, run_guarded

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


@app.command("serve")
def serve(
    store: Path = typer.Argument(..., help="Store folder (read only; new published versions are picked up while serving)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind. Anything but loopback exposes the data to the network."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port (0: any free port)."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Result cache, outside the store (default: $JUNKAN_CACHE_DIR or ~/.cache/junkan/dashboard)."
    ),
    precompute: bool = typer.Option(False, "--precompute", help="Render every chart and page for the defaults (ja and en) before serving."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="DuckDB threads (default: all cores)."),
) -> None:
    """Serve the dashboard: pages with selectors (country, field, period, counting, ja/en), JSON twins, downloads."""
    import uvicorn

    from junkan.web import Dashboard, create_app

    if not is_loopback(host):
        err_console.print(
            f"[bold red]WARNING:[/] binding to {host}: the dashboard and the data of {store} are reachable from the "
            "network, without authentication. Use --host 127.0.0.1 unless that is what you want.",
            highlight=False,
        )
    dash = run_guarded(lambda: Dashboard(store, cache_dir=cache_dir, threads=threads))
    if precompute:
        with progress_bar("precompute") as update:
            res = run_guarded(lambda: dash.precompute(progress=update))
        console.print(f"precomputed {res['charts']} charts for {res['parameter_sets']} parameter sets"
                      + (f" ({res['failed']} could not be drawn from this store; shown in place)" if res["failed"] else ""))
    web = create_app(dashboard=dash)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"junkan dashboard for store {dash.root} (version {dash.state.store.version}) "
                  f"at http://{shown}:{port}/  cache {dash.state.dir}  (Ctrl+C to stop)", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning" if not _state["debug"] else "info", access_log=_state["debug"])
