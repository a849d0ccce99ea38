"""``junkan fetch``: download records from online sources (the OpenAlex API) into a store."""

from __future__ import annotations

from pathlib import Path

import typer

from junkan.cli import app, console, err_console, fail, progress_bar, run_guarded

fetch_app = typer.Typer(
    help="Download records from online sources (the OpenAlex API) and ingest them into a store.", no_args_is_help=True
)
app.add_typer(fetch_app, name="fetch")


@fetch_app.command("openalex")
def fetch_openalex(
    filter_: str = typer.Option(None, "--filter", "-f", help="OpenAlex filter, e.g. 'authorships.countries:JP,publication_year:2022'."),
    search: str = typer.Option(None, "--search", help="Full-text search."),
    sort: str = typer.Option(None, "--sort", help="Sort, e.g. 'publication_date:desc' (the cursor pages in this order)."),
    entity: str = typer.Option("works", "--entity", help="works or authors."),
    store: Path = typer.Option(None, "--store", "-s", help="Store to ingest the records into (a new version once the fetch is complete)."),
    fetch_dir: Path = typer.Option(
        None, "--fetch-dir", help="Folder for pages and resume state (default: STORE/fetch/openalex-ENTITY-QUERYHASH)."
    ),
    email: str = typer.Option(None, "--email", envvar="OPENALEX_EMAIL", help="Your e-mail: OpenAlex's polite pool (mailto and User-Agent)."),
    api_key: str = typer.Option(
        None, "--api-key", envvar="OPENALEX_API_KEY", show_default=False, help="OpenAlex API key (better: the OPENALEX_API_KEY variable); never logged."
    ),
    max_records: int = typer.Option(None, "--max-records", "-n", help="Stop after this many records."),
    per_page: int = typer.Option(200, "--per-page", help="Records per request (1–200)."),
    select: str = typer.Option(None, "--select", help="Comma-separated root-level fields (default: the fields the ingest reads)."),
    param: list[str] = typer.Option([], "--param", help="Further query parameter KEY=VALUE, e.g. include_xpac=true (repeatable)."),
    base_url: str = typer.Option("https://api.openalex.org", "--base-url", help="API base URL."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Page cache folder (default: $XDG_CACHE_HOME/junkan/openalex-api)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the page cache."),
    cache_max_age: float = typer.Option(168.0, "--cache-max-age", help="Hours a cached page stays valid."),
    retries: int = typer.Option(5, "--retries", help="Retries per page on 429, 5xx, network errors and bad bodies."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for a response."),
    seed: int = typer.Option(0, "--seed", help="Seed of the backoff jitter."),
    restart: bool = typer.Option(False, "--restart", help="Discard a previous (partial) fetch in the fetch folder and start again."),
    on_error: str = typer.Option("collect", "--on-error", help="Ingest: collect (quarantine bad records), skip (no raw text) or raise."),
    threads: int = typer.Option(None, "--threads", help="Ingest: cores to use (default: all)."),
    memory_limit: str = typer.Option(None, "--memory-limit", help="Ingest: DuckDB memory limit such as 4GB."),
) -> None:
    """Fetch OpenAlex works (or authors) page by page with a cursor and ingest them into STORE.

    Pages are saved as JSON Lines in the fetch folder with the cursor to resume from: rerun the same command after
    an interruption and it goes on where it stopped. The store gets a new version only when the fetch is complete,
    through the same ingest as snapshot files. See docs/ingest.md, "OpenAlex API".
    """
    from junkan.sources.openalex_api import OpenAlexClient, PageCache, Query, RetryPolicy, default_cache_dir, fetch, fetch_to_store, parse_params

    if store is None and fetch_dir is None:
        fail("give --store (fetch and ingest) or --fetch-dir (fetch only), or both")

    def go() -> None:
        query = Query(
            entity=entity,  # type: ignore[arg-type]
            filter=filter_,
            search=search,
            sort=sort,
            select=tuple(select.split(",")) if select else None,
            per_page=per_page,
            params=parse_params(param),
        )
        cache = None if no_cache else PageCache(cache_dir or default_cache_dir(), max_age=cache_max_age * 3600.0)
        client = OpenAlexClient(email=email, api_key=api_key, base_url=base_url, timeout=timeout,
                                retry=RetryPolicy(retries=retries, seed=seed), cache=cache)
        with client, progress_bar("fetch") as update:
            if store is not None:
                rep, ing = fetch_to_store(query, store, fetch_dir=fetch_dir, client=client, max_records=max_records, restart=restart,
                                          on_error=on_error, threads=threads, memory_limit=memory_limit, progress=update)  # type: ignore[arg-type]
            else:
                rep, ing = fetch(query, fetch_dir, client=client, max_records=max_records, restart=restart, progress=update), None
        resumed = f"; resumed at page {rep.resumed_at_page}" if rep.resumed_at_page else ""
        of = f" of {rep.count:,} matching" if rep.count is not None else ""
        console.print(
            f"[bold]fetched[/] {rep.records:,} records{of} in {rep.pages:,} page(s), {len(rep.files):,} chunk file(s) ({rep.finished}){resumed}; "
            f"this run: {rep.requests:,} requests, {rep.cache_hits:,} pages from the cache, {rep.retries:,} retries",
            highlight=False, soft_wrap=True,
        )
        console.print(f"fetch folder {rep.fetch_dir} (query and cursor in state.json)", highlight=False, soft_wrap=True)
        for w in rep.warnings:
            err_console.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
        if store is not None and ing is None:
            console.print(f"the query matched no records; store {store} is unchanged")
        elif ing is not None:
            from junkan.cli.commands import _report_ingest

            _report_ingest(ing)

    run_guarded(go)
