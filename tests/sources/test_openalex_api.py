"""The OpenAlex API client against a loopback replay server: paging, faults, resumption, cache, store, CLI."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import shutil
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from junkan.errors import ConfigError, FetchError
from junkan.sources.openalex_api import (
    SELECT_FIELDS,
    OpenAlexClient,
    PageCache,
    Query,
    RetryPolicy,
    fetch,
    fetch_to_store,
)
from junkan.store import open_store
from tests.sources import replay
from tests.sources.oa_records import work
from tests.sources.replay import ReplayServer, real_pages

KEY = "sk-test-SECRET-0123"


def works(n: int, start: int = 1) -> list[dict]:
    return [work(i, year=2015 + i % 8, countries=("JP", "US") if i % 3 else ("DE",)) for i in range(start, start + n)]


def client(srv: ReplayServer, sleeps: list[float] | None = None, **kw) -> OpenAlexClient:
    kw.setdefault("retry", RetryPolicy(retries=3, seed=7))
    return OpenAlexClient(email="analyst@example.org", api_key=KEY, base_url=srv.url,
                          sleep=(sleeps.append if sleeps is not None else _no_sleep), **kw)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep of {seconds} s")


def lines(files: list[Path]) -> list[dict]:
    return [json.loads(x) for f in files for x in f.read_bytes().split(b"\n") if x]


# -- paging


def test_real_pages_are_paged_to_the_last_cursor_and_land_in_the_store(tmp_path: Path) -> None:
    pages = real_pages()
    with ReplayServer(pages=pages, end="empty") as srv:
        cl = client(srv)
        rep, ing = fetch_to_store(Query(filter="publication_year:2020"), tmp_path / "st", fetch_dir=tmp_path / "f", client=cl, threads=2)
    # 6 pages of results (200+50+50+50+25+2 = 377) and then the empty page whose next_cursor is null
    assert [len(p["results"]) for p in pages] == [200, 50, 50, 50, 25, 2]
    reqs = srv.page_requests()
    assert [r.params["cursor"] for r in reqs] == srv.cursors  # "*", then each page's real next_cursor, in order
    assert len(reqs) == 7 and reqs[1].params["cursor"] == pages[0]["meta"]["next_cursor"]
    for r in reqs:
        assert r.params["select"] == ",".join(SELECT_FIELDS["works"])
        assert r.params["per-page"] == "200" and r.params["filter"] == "publication_year:2020"
        assert r.params["mailto"] == "analyst@example.org" and r.params["api_key"] == KEY
        assert "mailto:analyst@example.org" in r.headers["user-agent"]
    assert rep.finished == "end" and rep.pages == 7 and rep.records == 377
    # the six page files are grouped into one chunk (the ingest input) and removed
    assert rep.files == [tmp_path / "f" / "chunks" / "000001.jsonl"] and rep.chunks_run == 1
    assert not list((tmp_path / "f" / "pages").iterdir())
    # meta.count of the first page (the six pages come from different real queries, so paging returns fewer)
    assert rep.count == 429 and rep.warnings == ["OpenAlex reported 429 matching records but paging returned 377"]
    assert [r["id"] for r in lines(rep.files)] == [r["id"] for p in pages for r in p["results"]]
    # the same ingest as snapshot files: 377 read = 294 distinct works kept + 83 repeated ids superseded
    assert (ing.read, ing.kept, ing.rejected) == (377, 294, 83)
    assert ing.rejected_by_reason == {"superseded": 83}
    s = open_store(tmp_path / "st")
    assert s.row_count("works") == 294
    assert sorted(i["path"] for i in s.manifest["inputs"]) == sorted(str(f.resolve()) for f in rep.files)
    state = json.loads((tmp_path / "f" / "state.json").read_text())
    assert state["finished"] == "end" and state["next_cursor"] is None and state["query"]["filter"] == "publication_year:2020"
    assert state["files"] == [] and [(c["file"], c["first_page"], c["last_page"], c["records"]) for c in state["chunks"]] == [
        ("000001.jsonl", "000001.jsonl", "000006.jsonl", 377)]


def test_generated_pages_end_on_a_null_cursor_and_per_page_is_sent(tmp_path: Path) -> None:
    recs = works(23)
    with ReplayServer(records=recs) as srv:
        rep = fetch(Query(per_page=10, sort="publication_date:desc"), tmp_path / "f", client=client(srv), chunk_records=10)
    assert [r.params["per-page"] for r in srv.requests] == ["10", "10", "10"]
    assert [r.params["sort"] for r in srv.requests] == ["publication_date:desc"] * 3
    assert [r.params["cursor"] for r in srv.requests] == ["*", srv.cursor_at(10), srv.cursor_at(20)]
    assert (rep.pages, rep.records, rep.count, rep.finished) == (3, 23, 23, "end")
    assert [len(f.read_text().splitlines()) for f in rep.files] == [10, 10, 3]  # chunks of at most 10 records
    assert lines(rep.files) == recs


def test_max_records_lowers_the_last_per_page_and_a_larger_limit_continues_in_new_chunks(tmp_path: Path) -> None:
    with ReplayServer(records=works(25)) as srv:
        rep, ing = fetch_to_store(Query(per_page=10), tmp_path / "st", fetch_dir=tmp_path / "f", client=client(srv),
                                  max_records=15, threads=1)
        assert (rep.records, rep.finished) == (15, "max_records")
        assert [r.params["per-page"] for r in srv.requests] == ["10", "5"]
        assert [len(f.read_text().splitlines()) for f in rep.files] == [15] and ing.read == 15
        first = rep.files[0].read_bytes()
        again, ing2 = fetch_to_store(Query(per_page=10), tmp_path / "st", fetch_dir=tmp_path / "f", client=client(srv),
                                     max_records=15, threads=1)
        assert again.requests == 0 and again.chunks_run == 0 and ing2.read == 0  # rerun: nothing new published
        v = open_store(tmp_path / "st").version
        more, ing3 = fetch_to_store(Query(per_page=10), tmp_path / "st", fetch_dir=tmp_path / "f", client=client(srv), threads=1)
    assert more.resumed_at_page == 3 and (more.records, more.finished) == (25, "end")
    assert [r.params["cursor"] for r in srv.requests][2:] == [srv.cursor_at(15)]  # the last page: next_cursor null
    # the first chunk is sealed (same bytes); the 10 new records form a new chunk, the only input ingested
    assert [len(f.read_text().splitlines()) for f in more.files] == [15, 10] and more.files[0].read_bytes() == first
    assert (ing3.read, ing3.kept, len(ing3.skipped_inputs)) == (10, 10, 1)
    s = open_store(tmp_path / "st")
    assert s.version != v and s.row_count("works") == 25 and lines(more.files) == works(25)


def test_a_run_killed_while_grouping_pages_is_completed_by_the_next_run(tmp_path: Path, monkeypatch) -> None:
    import junkan.sources.openalex_api as api

    with ReplayServer(records=works(7)) as srv:
        ref = fetch(Query(per_page=2), tmp_path / "ref", client=client(srv), chunk_records=4)
        real = api._atomic_write

        def killed(path: Path, data: bytes, **kw) -> None:  # dies when the state would name the new chunks
            if path.name == "state.json" and b'"chunks": [\n  {' in data:
                raise KeyboardInterrupt
            real(path, data, **kw)

        monkeypatch.setattr(api, "_atomic_write", killed)
        with pytest.raises(KeyboardInterrupt):
            fetch(Query(per_page=2), tmp_path / "f", client=client(srv), chunk_records=4)
        monkeypatch.setattr(api, "_atomic_write", real)
        assert len(list((tmp_path / "f" / "chunks").iterdir())) == 2  # written, fsynced, but not named in the state
        assert json.loads((tmp_path / "f" / "state.json").read_text())["chunks"] == []
        (tmp_path / "f" / "chunks" / "000003.jsonl").write_text("{}\n")  # and a stray file
        rep = fetch(Query(per_page=2), tmp_path / "f", client=client(srv), chunk_records=4)
        assert rep.requests == 0 and rep.chunks_run == 2
        # killed after naming the chunks but before removing the pages: the leftover page is removed
        (tmp_path / "f" / "pages" / "000001.jsonl").write_bytes(b"{}\n")
        again = fetch(Query(per_page=2), tmp_path / "f", client=client(srv), chunk_records=4)
    assert again.chunks_run == 0 and not list((tmp_path / "f" / "pages").iterdir())
    assert [f.read_bytes() for f in rep.files] == [f.read_bytes() for f in ref.files]  # deterministic
    assert [len(f.read_text().splitlines()) for f in rep.files] == [4, 3] and lines(rep.files) == works(7)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 9), min_size=0, max_size=12), limit=st.integers(1, 20))
def test_chunks_keep_page_order_and_never_split_a_page(sizes: list[int], limit: int) -> None:
    import tempfile

    from junkan.sources.openalex_api import _make_chunks

    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "pages").mkdir()
        names, recs, k = [], [], 0
        for i, n in enumerate(sizes, 1):
            rows = [{"id": f"W{k + j}"} for j in range(n)]
            k += n
            recs.append(rows)
            names.append(f"{i:06d}.jsonl")
            (root / "pages" / names[-1]).write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows))
        state = {"files": list(names), "chunks": []}
        assert _make_chunks(root, state, limit) == len(state["chunks"])
        got = [[json.loads(x) for x in (root / "chunks" / c["file"]).read_bytes().splitlines()] for c in state["chunks"]]
        assert [r for c in got for r in c] == [r for p in recs for r in p]  # every record once, in page order
        assert [c["records"] for c in state["chunks"]] == [len(c) for c in got]
        # a chunk exceeds the limit only when it is one page; no two neighbours could have been one chunk
        pages = [(names.index(c["last_page"]) - names.index(c["first_page"]) + 1, c["records"]) for c in state["chunks"]]
        assert all(n <= limit or p == 1 for p, n in pages)
        first_sizes = [sizes[names.index(c["first_page"])] for c in state["chunks"]]
        assert all(a[1] + b > limit for a, b in zip(pages, first_sizes[1:], strict=False))
        assert state["files"] == [] and not list((root / "pages").iterdir())


# -- faults


@pytest.mark.parametrize(
    ("fault", "what"),
    [
        (replay.status(500), "HTTP 500"),
        (replay.status(503), "HTTP 503"),
        (replay.truncated(), "not valid JSON"),
        (replay.cut(), "RemoteProtocolError"),
        (replay.drop(), "RemoteProtocolError"),
        (replay.not_a_page(), "not an OpenAlex results page"),
    ],
)
def test_each_fault_is_retried_with_seeded_backoff(tmp_path: Path, fault: replay.Fault, what: str, caplog) -> None:
    sleeps: list[float] = []
    with ReplayServer(records=works(9)) as srv:
        srv.fail(srv.cursor_at(3), fault, fault)
        with caplog.at_level(logging.WARNING, logger="junkan.sources.openalex_api"):
            rep = fetch(Query(per_page=3), tmp_path / "f", client=client(srv, sleeps))
    assert rep.records == 9 and rep.retries == 2 and rep.requests == 5
    # retry k waits min(max_backoff, 1 * 2**k) * u, u ~ U[0.5, 1) from Random(7)
    rng = random.Random(7)
    assert sleeps == [1 * rng.uniform(0.5, 1.0), 2 * rng.uniform(0.5, 1.0)]
    assert sum(what in r.getMessage() for r in caplog.records) == 2
    assert lines(rep.files) == works(9)


def test_429_waits_for_retry_after(tmp_path: Path) -> None:
    sleeps: list[float] = []
    with ReplayServer(records=works(4)) as srv:
        srv.fail("*", replay.status(429, "7"), replay.status(429))  # the second without Retry-After: backoff
        rep = fetch(Query(per_page=2), tmp_path / "f", client=client(srv, sleeps))
    assert rep.records == 4
    assert sleeps == [7.0, 2 * random.Random(7).uniform(0.5, 1.0)]  # retry 1 of the policy: 2**1 * u (first draw)


def test_a_long_retry_after_is_an_error_at_once(tmp_path: Path) -> None:
    with ReplayServer(records=works(4)) as srv:
        srv.fail("*", replay.status(429, "86400"))
        with pytest.raises(FetchError, match=r"page 1, cursor '\*': rate limited .* 86400 s"):
            fetch(Query(per_page=2), tmp_path / "f", client=client(srv))
        assert len(srv.requests) == 1


def test_a_client_error_is_not_retried_and_shows_the_api_message(tmp_path: Path) -> None:
    with ReplayServer(records=works(4)) as srv:
        srv.fail("*", replay.status(400))
        url = srv.url
        with pytest.raises(FetchError, match=r"HTTP 400 Bad Request: HTTP 400; scripted fault.*not retried") as exc:
            fetch(Query(per_page=2), tmp_path / "f", client=client(srv))
    assert len(srv.requests) == 1 and exc.value.page == 1 and exc.value.url.startswith(url + "/works?")


def test_the_api_key_is_never_logged_stored_or_shown(tmp_path: Path, caplog) -> None:
    with ReplayServer(records=works(4)) as srv, caplog.at_level(logging.DEBUG):
        srv.fail(srv.cursor_at(2), replay.status(500), replay.status(500), replay.status(500), replay.status(500))
        cl = client(srv, [], cache=PageCache(tmp_path / "cache"))
        with pytest.raises(FetchError) as exc:
            fetch(Query(per_page=2), tmp_path / "f", client=cl)
    assert any("api_key=***" in r.getMessage() for r in caplog.records)  # httpx's request log, masked
    assert KEY not in caplog.text and KEY not in str(exc.value)
    for p in [*tmp_path.rglob("*")]:
        if p.is_file():
            assert KEY.encode() not in p.read_bytes() and b"api_key" not in p.read_bytes(), p


# -- interruption and resumption


def test_an_interrupted_fetch_resumes_and_ends_with_the_same_store(tmp_path: Path) -> None:
    recs = works(30)
    fdir = tmp_path / "f"
    with ReplayServer(records=recs) as srv:
        _, ing = fetch_to_store(Query(per_page=10), tmp_path / "uninterrupted", fetch_dir=fdir, client=client(srv), threads=2)
        expected = open_store(tmp_path / "uninterrupted").manifest["content_hash"]
        assert ing.kept == 30
    shutil.rmtree(fdir)  # the same fetch folder again, so the stores' quarantine file names are comparable
    sleeps: list[float] = []
    with ReplayServer(records=recs) as srv:
        srv.fail(srv.cursor_at(20), *[replay.status(502)] * 4)  # more than the 3 retries
        with pytest.raises(FetchError, match=r"page 3, cursor '[^']+': HTTP 502 Bad Gateway \(gave up after 4 attempts\).*URL: http://127\.0\.0\.1") as exc:
            fetch_to_store(Query(per_page=10), tmp_path / "resumed", fetch_dir=fdir, client=client(srv, sleeps), threads=2)
        assert exc.value.cursor == srv.cursor_at(20) and len(sleeps) == 3
        assert not (tmp_path / "resumed" / "CURRENT").exists()  # nothing published
        state = json.loads((fdir / "state.json").read_text())
        assert (state["pages"], state["records"], state["next_cursor"], state["finished"]) == (2, 20, srv.cursor_at(20), None)
        # a run killed between writing a page and saving the state leaves a stray file: it is not ingested
        (fdir / "pages" / "000003.jsonl").write_text('{"id": "https://openalex.org/W999"}\n')
        n = len(srv.requests)
        rep, ing = fetch_to_store(Query(per_page=10), tmp_path / "resumed", fetch_dir=fdir, client=client(srv), threads=2)
    assert [r.params["cursor"] for r in srv.requests[n:]] == [srv.cursor_at(20)]  # one request: the saved cursor
    assert rep.resumed_at_page == 3 and rep.records_run == 10 and ing.read == 30
    assert open_store(tmp_path / "resumed").manifest["content_hash"] == expected


def test_another_query_in_the_same_fetch_folder_is_refused_unless_restarted(tmp_path: Path) -> None:
    with ReplayServer(records=works(3)) as srv:
        fetch(Query(per_page=2, filter="a:1"), tmp_path / "f", client=client(srv))
        with pytest.raises(ConfigError, match="another query .*filter"):
            fetch(Query(per_page=2, filter="a:2"), tmp_path / "f", client=client(srv))
        rep = fetch(Query(per_page=2, filter="a:2"), tmp_path / "f", client=client(srv), restart=True)
    assert rep.records == 3 and rep.requests == 2


# -- cache


def test_a_second_fetch_is_served_from_the_cache_without_network(tmp_path: Path) -> None:
    recs = works(5)
    with ReplayServer(records=recs) as srv:
        url = srv.url
        first = fetch(Query(per_page=2), tmp_path / "f1", client=client(srv, cache=PageCache(tmp_path / "c")))
    assert first.requests == 3 and first.cache_hits == 0
    # the server is gone: every page must come from the cache (a different key or e-mail does not matter)
    offline = OpenAlexClient(email="other@example.org", base_url=url, cache=PageCache(tmp_path / "c"), sleep=_no_sleep,
                             retry=RetryPolicy(retries=0))
    second = fetch(Query(per_page=2), tmp_path / "f2", client=offline)
    assert (second.requests, second.cache_hits, second.records) == (0, 3, 5)
    assert [f.read_bytes() for f in second.files] == [f.read_bytes() for f in first.files]
    expired = OpenAlexClient(base_url=url, cache=PageCache(tmp_path / "c", max_age=0), sleep=_no_sleep, retry=RetryPolicy(retries=0))
    with pytest.raises(FetchError, match="ConnectError"):
        fetch(Query(per_page=2), tmp_path / "f3", client=expired)


# -- options, entities, CLI


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="root-level fields only.*authorships.author"):
        Query(select=("id", "authorships.author"))
    with pytest.raises(ConfigError, match="must include 'id'"):
        Query(select=("doi",))
    for n in (0, 201):
        with pytest.raises(ConfigError, match="per_page"):
            Query(per_page=n)
    with pytest.raises(ConfigError, match="cursor"):
        Query(params=(("cursor", "x"),))
    with pytest.raises(ConfigError, match="e-mail"):
        OpenAlexClient(email="not an address")


def test_authors_are_fetched_into_the_authors_table(tmp_path: Path) -> None:
    authors = [{"id": f"https://openalex.org/A{i}", "display_name": f"Author {i}", "works_count": i,
                "affiliations": [{"institution": {"id": "https://openalex.org/I1", "country_code": "JP"}, "years": [2020, 2021]}],
                "updated_date": "2024-01-01T00:00:00"} for i in range(1, 6)]
    with ReplayServer(records=authors, entity="authors") as srv:
        rep, ing = fetch_to_store(Query(entity="authors", per_page=2), tmp_path / "st", fetch_dir=tmp_path / "f", client=client(srv),
                                  threads=2)
    assert srv.requests[0].path == "/authors" and srv.requests[0].params["select"] == ",".join(SELECT_FIELDS["authors"])
    assert rep.records == 5 and ing.kept == 5
    s = open_store(tmp_path / "st")
    assert s.row_count("authors") == 5 and s.row_count("works") == 0


@settings(max_examples=60, deadline=None)
@given(retry=st.integers(0, 30), backoff=st.floats(0, 10), cap=st.floats(0, 100), seed=st.integers(0, 2**32))
def test_backoff_is_bounded_and_reproducible(retry: int, backoff: float, cap: float, seed: int) -> None:
    pol = RetryPolicy(backoff=backoff, max_backoff=cap, seed=seed)
    d = pol.delay(retry, random.Random(seed))
    full = min(cap, backoff * 2.0**retry)
    assert 0.5 * full <= d <= full
    assert d == pol.delay(retry, random.Random(seed))


def test_cli_fetches_into_a_store_and_reports_errors(tmp_path: Path, monkeypatch) -> None:
    from junkan.cli import app, build_command

    build_command()
    runner = CliRunner()
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    res = runner.invoke(app, ["fetch", "openalex", "--help"])
    assert res.exit_code == 0 and "--max-records" in res.output and KEY not in res.output
    with ReplayServer(records=works(12)) as srv:
        args = ["fetch", "openalex", "--filter", "authorships.countries:JP", "--email", "analyst@example.org", "--base-url", srv.url,
                "--per-page", "5", "--cache-dir", str(tmp_path / "c"), "--store", str(tmp_path / "st"), "--threads", "2"]
        res = runner.invoke(app, ["-q", *args])
        assert res.exit_code == 0, res.output
        assert "fetched 12 records of 12 matching in 3 page(s), 1 chunk file(s) (end)" in res.output and "kept 12" in res.output
        assert {r.params["api_key"] for r in srv.requests} == {KEY}  # from OPENALEX_API_KEY
        # default fetch folder inside the store; a rerun is a no-op for the store
        assert len(list((tmp_path / "st" / "fetch").glob("openalex-works-*/chunks/*.jsonl"))) == 1
        res = runner.invoke(app, ["-q", *args])
        assert res.exit_code == 0 and "nothing new" in res.output
        srv.fail("*", *[replay.status(500)] * 2)
        res = runner.invoke(app, ["-q", *args[:-4], "--no-cache", "--retries", "1", "--fetch-dir", str(tmp_path / "f2")])
    assert res.exit_code == 1
    assert "page 1, cursor '*': HTTP 500" in res.output and "URL: http://127.0.0.1" in res.output and KEY not in res.output
    t = pq.read_table(open_store(tmp_path / "st").table_path("works"))
    assert t.num_rows == 12


def _mock(handler) -> OpenAlexClient:
    return OpenAlexClient(email="analyst@example.org", base_url="http://openalex.test", transport=httpx.MockTransport(handler),
                          sleep=_no_sleep)


def test_a_cursor_returned_twice_is_an_error_not_an_endless_loop(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        cur = request.url.params["cursor"]
        nxt = {"*": "c1", "c1": "c2", "c2": "c1"}[cur]
        return httpx.Response(200, json={"meta": {"count": 9, "next_cursor": nxt}, "results": [work(len(cur))]})

    with pytest.raises(FetchError, match=r"page 3, cursor 'c2': the API returned cursor 'c1' a second time"):
        fetch(Query(per_page=1), tmp_path / "f", client=_mock(handler))


def test_records_beyond_max_records_from_a_server_ignoring_per_page_are_dropped_with_a_warning(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"meta": {"count": 5, "next_cursor": "next"}, "results": works(5)})

    rep = fetch(Query(per_page=5), tmp_path / "f", client=_mock(handler), max_records=3)
    assert rep.records == 3 and rep.finished == "max_records" and "2 records beyond --max-records" in rep.warnings[0]


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    from junkan.sources.openalex_api import _retry_after

    assert _retry_after("12") == 12.0 and _retry_after(" 0 ") == 0.0 and _retry_after(None) is None
    assert _retry_after("soon") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    future = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=90), usegmt=True)
    assert 80 <= _retry_after(future) <= 90


def test_a_write_error_is_a_fetch_error_and_the_next_run_resumes(tmp_path: Path, monkeypatch) -> None:
    import junkan.sources.openalex_api as api

    real = api._atomic_write

    def full_disk(path: Path, data: bytes, **kw) -> None:
        if path.name == "000002.jsonl":
            raise OSError(28, "No space left on device")
        real(path, data, **kw)

    monkeypatch.setattr(api, "_atomic_write", full_disk)
    with ReplayServer(records=works(6)) as srv:
        with pytest.raises(FetchError, match=r"page 2, cursor '[^']+': cannot write .*000002\.jsonl .*No space left"):
            fetch(Query(per_page=3), tmp_path / "f", client=client(srv))
        monkeypatch.setattr(api, "_atomic_write", real)
        # a fetch folder written before chunks existed has no "chunks" in its state: it is read as none
        state = json.loads((tmp_path / "f" / "state.json").read_text())
        del state["chunks"]
        (tmp_path / "f" / "state.json").write_text(json.dumps(state))
        rep = fetch(Query(per_page=3), tmp_path / "f", client=client(srv))
    assert rep.resumed_at_page == 2 and rep.records == 6 and lines(rep.files) == works(6)
