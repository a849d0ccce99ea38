"""The OpenAlex API → a fetch folder of JSON Lines pages → the ordinary OpenAlex ingest.

A fetch walks an OpenAlex list endpoint (``/works`` or ``/authors``) with **cursor paging** and writes each page's
``results`` as JSON Lines into a *fetch folder*::

    FETCH_DIR/state.json           query, next cursor, pages and records so far (replaced atomically after each page)
    FETCH_DIR/pages/000001.jsonl   one file per page not yet in a chunk, written atomically before the state names it
    FETCH_DIR/chunks/000001.jsonl  pages grouped in page order into files of up to ``chunk_records`` records

An interrupted fetch (error, Ctrl-C, kill) resumes from the last saved cursor when run again with the same query.
When the fetch is complete (or stopped by ``max_records``), the pages not yet in a chunk are grouped into new
chunk files (each input of the ingest costs a fixed staging overhead, so one file per page of 200 records is
slow); chunks already named in ``state.json`` are never rewritten, so a rerun gives the same files (the ingest
skips them by checksum) and a continued fetch adds chunks holding only its new records. :func:`fetch_to_store`
hands the chunk files to :func:`junkan.sources.openalex.ingest`, so API records take exactly the same path as snapshot records (explicit
schema, quarantine of bad records with file and line, latest version wins, atomic publication). Nothing is
ingested before the whole fetch has succeeded.

API hygiene: ``select`` names the root-level fields the ingest reads (:data:`SELECT_FIELDS`); the polite pool gets
``mailto`` and a ``User-Agent`` with the address; an API key (OpenAlex's ``api_key`` parameter) is sent but never
logged, cached, written to the fetch folder or shown in an error. 429 responses honour ``Retry-After``; 5xx,
transport errors, truncated and malformed bodies are retried with exponential backoff and jitter drawn from a
seeded generator (:class:`RetryPolicy`); the ``sleep`` function is injectable. Valid pages are kept in an
on-disk cache (:class:`PageCache`) keyed by the request without its credentials.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import gzip
import hashlib
import json
import logging
import os
import random
import re
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import orjson

from junkan import __version__
from junkan.errors import ConfigError, FetchError
from junkan.sources.openalex_schema import AUTHOR_SPEC, WORK_SPEC

__all__ = [
    "CHUNK_RECORDS",
    "DEFAULT_BASE_URL",
    "SELECT_FIELDS",
    "FetchReport",
    "OpenAlexClient",
    "Page",
    "PageCache",
    "Query",
    "RetryPolicy",
    "default_cache_dir",
    "default_fetch_dir",
    "fetch",
    "fetch_to_store",
    "parse_params",
]

log = logging.getLogger(__name__)

Entity = Literal["works", "authors"]
Progress = Callable[[str, int, int], None]

DEFAULT_BASE_URL = "https://api.openalex.org"
MAX_PER_PAGE = 200
#: Records per chunk file handed to the ingest (pages are never split, so a chunk may hold fewer).
CHUNK_RECORDS = 50_000
#: The root-level fields the ingest reads, per entity (OpenAlex's ``select`` takes root-level fields only).
SELECT_FIELDS: dict[str, tuple[str, ...]] = {"works": tuple(WORK_SPEC), "authors": tuple(AUTHOR_SPEC)}
_STATE_FORMAT = "junkan-openalex-fetch/1"
# Parameters that the client sets itself; ``--param`` may not override them.
_RESERVED = {"filter", "search", "sort", "select", "per-page", "per_page", "cursor", "page", "api_key", "mailto"}
_KEY_RE = re.compile(r"(api_key=)[^&\s\"'<>]+")


def _redact(text: str) -> str:
    return _KEY_RE.sub(r"\1***", text)


class _RedactApiKey(logging.Filter):
    """httpx logs every request URL at INFO; the URL carries the API key, so it is masked before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "api_key=" in msg:
            record.msg, record.args = _redact(msg), ()
        return True


for _name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy"):
    _lg = logging.getLogger(_name)
    if not any(isinstance(f, _RedactApiKey) for f in _lg.filters):
        _lg.addFilter(_RedactApiKey())


# --------------------------------------------------------------------------------------------------
# query


@dataclass(frozen=True)
class Query:
    """One OpenAlex list query. ``select=None`` selects the fields the ingest reads (:data:`SELECT_FIELDS`).

    ``params`` are further query parameters passed as given (e.g. ``(("include_xpac", "true"),)``).
    """

    entity: Entity = "works"
    filter: str | None = None
    search: str | None = None
    sort: str | None = None
    select: tuple[str, ...] | None = None
    per_page: int = MAX_PER_PAGE
    params: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.entity not in SELECT_FIELDS:
            raise ConfigError(f"entity must be one of {', '.join(SELECT_FIELDS)}, not {self.entity!r}")
        if not isinstance(self.per_page, int) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ConfigError(f"per_page must be between 1 and {MAX_PER_PAGE} (OpenAlex's limit), not {self.per_page!r}")
        if self.select is not None:
            fields = tuple(f.strip() for f in self.select if f.strip())
            nested = [f for f in fields if "." in f or "[" in f]
            if nested:
                raise ConfigError(
                    f"select takes root-level fields only (OpenAlex rule), not {', '.join(nested)}; "
                    f"Hint: select {nested[0].split('.')[0].split('[')[0]!r} instead"
                )
            if "id" not in fields:
                raise ConfigError("select must include 'id' (the ingest keys every record on it)")
            object.__setattr__(self, "select", fields)
        for k, _v in self.params:
            if k in _RESERVED:
                raise ConfigError(f"parameter {k!r} is set by its own option, not through params/--param")

    @property
    def fields(self) -> tuple[str, ...]:
        return self.select if self.select is not None else SELECT_FIELDS[self.entity]

    def api_params(self, *, cursor: str, per_page: int | None = None) -> dict[str, str]:
        """The query string of one request (without credentials)."""
        p: dict[str, str] = {}
        if self.filter:
            p["filter"] = self.filter
        if self.search:
            p["search"] = self.search
        if self.sort:
            p["sort"] = self.sort
        p["select"] = ",".join(self.fields)
        p["per-page"] = str(per_page or self.per_page)
        p.update(dict(self.params))
        p["cursor"] = cursor
        return p

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["select"] = list(self.fields)
        d["params"] = [list(kv) for kv in self.params]
        return d

    @property
    def key(self) -> str:
        """A digest of what the query asks for; a fetch folder belongs to one key."""
        return hashlib.sha256(orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()


# --------------------------------------------------------------------------------------------------
# retries and cache


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried.

    ``retries`` further attempts after the first. Retry ``k`` (0-based) of a 5xx, transport error or bad body waits
    ``min(max_backoff, backoff * 2**k) * u`` seconds with ``u`` uniform in [0.5, 1) from ``random.Random(seed)``
    (the same seed gives the same waits). A 429 waits its ``Retry-After`` (or the backoff when absent); a
    ``Retry-After`` longer than ``max_retry_after`` is an error at once (usually a spent daily budget).
    """

    retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 600.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ConfigError("retries, backoff, max_backoff and max_retry_after must not be negative")

    def delay(self, retry: int, rng: random.Random) -> float:
        return min(self.max_backoff, self.backoff * 2.0**retry) * rng.uniform(0.5, 1.0)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/junkan/openalex-api`` (``~/.cache/junkan/openalex-api`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "junkan" / "openalex-api"


class PageCache:
    """Valid API pages on disk (gzip), keyed by the request without credentials; entries older than ``max_age``
    seconds are ignored and removed (``None``: never expire). Only pages that passed validation are stored."""

    def __init__(self, root: str | os.PathLike[str], *, max_age: float | None = 7 * 24 * 3600.0) -> None:
        self.root = Path(root)
        self.max_age = max_age

    @staticmethod
    def key(url: str, params: Mapping[str, str]) -> str:
        clean = sorted((k, v) for k, v in params.items() if k not in ("api_key", "mailto"))
        return hashlib.sha256(f"{url}?{urlencode(clean)}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json.gz"

    def get(self, key: str) -> bytes | None:
        p = self._path(key)
        try:
            age = time.time() - p.stat().st_mtime
            if self.max_age is not None and age > self.max_age:
                p.unlink(missing_ok=True)
                return None
            return gzip.decompress(p.read_bytes())
        except (OSError, EOFError, zlib.error):  # absent, unreadable or corrupt: fetch again
            return None

    def put(self, key: str, body: bytes) -> None:
        p = self._path(key)
        _atomic_write(p, gzip.compress(body, compresslevel=6, mtime=0), fsync=False)


# --------------------------------------------------------------------------------------------------
# client


@dataclass(frozen=True)
class Page:
    """One validated page of an OpenAlex list response."""

    results: list[dict[str, Any]]
    next_cursor: str | None
    count: int | None
    from_cache: bool


class _BadBody(Exception):
    pass


class OpenAlexClient:
    """An httpx client for OpenAlex list endpoints with polite-pool identity, API key, retries and a page cache.

    Pass ``client`` (an ``httpx.Client``) or ``transport`` to control the HTTP layer (tests, proxies); ``sleep``
    replaces :func:`time.sleep` for the waits between retries.
    """

    def __init__(
        self,
        *,
        email: str | None = None,
        api_key: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        cache: PageCache | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if email is not None and ("@" not in email or any(c.isspace() for c in email)):
            raise ConfigError(f"--email must be an e-mail address, not {email!r}")
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise ConfigError(f"base URL must start with http:// or https://, not {base_url!r}")
        self.email = email
        self._api_key = api_key or None
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.cache = cache
        self._sleep = sleep
        self._rng = random.Random(self.retry.seed)
        agent = f"junkan/{__version__} (mailto:{email})" if email else f"junkan/{__version__}"
        headers = {"User-Agent": agent, "Accept": "application/json"}
        self._own = client is None
        self._http = client or httpx.Client(transport=transport, timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)))
        self._http.headers.update(headers)
        self.requests = 0
        self.retries = 0
        self.cache_hits = 0
        if not email and not api_key:
            log.warning("no e-mail address or API key given: requests go to OpenAlex's common pool (stricter limits)")

    def close(self) -> None:
        if self._own:
            self._http.close()

    def __enter__(self) -> OpenAlexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_of(self, entity: str, params: Mapping[str, str]) -> str:
        """The request URL as shown in messages: no API key."""
        return f"{self.base_url}/{entity}?{urlencode(dict(params))}"

    def get_page(self, query: Query, cursor: str, *, per_page: int | None = None, page_no: int | None = None) -> Page:
        """Fetch and validate one page (from the cache when it holds it), retrying as :attr:`retry` says."""
        params = query.api_params(cursor=cursor, per_page=per_page)
        endpoint = f"{self.base_url}/{query.entity}"
        shown = self.url_of(query.entity, params)
        ckey = PageCache.key(endpoint, params) if self.cache else ""
        if self.cache:
            body = self.cache.get(ckey)
            if body is not None:
                try:
                    page = _parse(body, from_cache=True)
                except _BadBody:
                    log.debug("ignoring an unreadable cache entry for %s", shown)
                else:
                    self.cache_hits += 1
                    log.debug("page %s from the cache", page_no)
                    return page
        send = dict(params)
        if self.email:
            send["mailto"] = self.email
        if self._api_key:
            send["api_key"] = self._api_key
        attempts = self.retry.retries + 1
        last = ""
        for attempt in range(attempts):
            wait: float | None = None
            try:
                self.requests += 1
                resp = self._http.get(endpoint, params=send)
            except httpx.RequestError as exc:  # transport errors and undecodable (e.g. corrupt gzip) bodies
                last = f"{type(exc).__name__}: {_redact(str(exc)) or 'connection failed'}"
            else:
                status = resp.status_code
                if status == 200:
                    try:
                        page = _parse(resp.content, from_cache=False)
                    except _BadBody as exc:
                        last = str(exc)
                    else:
                        if self.cache:
                            self.cache.put(ckey, resp.content)
                        return page
                elif status == 429:
                    wait = _retry_after(resp.headers.get("Retry-After"))
                    if wait is not None and wait > self.retry.max_retry_after:
                        raise FetchError(
                            f"rate limited (HTTP 429) and asked to wait {wait:.0f} s, more than the {self.retry.max_retry_after:.0f} s "
                            "allowed (the daily budget may be spent); rerun the same command later to resume",
                            url=shown, page=page_no, cursor=cursor,
                        )
                    last = "HTTP 429 Too Many Requests"
                elif status >= 500:
                    last = f"HTTP {status} {resp.reason_phrase}".strip()
                else:
                    raise FetchError(_client_error(resp, bool(self._api_key)), url=shown, page=page_no, cursor=cursor)
            if attempt == attempts - 1:
                break
            if wait is None:
                wait = self.retry.delay(attempt, self._rng)
            self.retries += 1
            log.warning("page %s: %s; retry %d of %d in %.1f s", page_no, last, attempt + 1, self.retry.retries, wait)
            self._sleep(wait)
        raise FetchError(
            f"{last} (gave up after {attempts} attempt{'s' if attempts != 1 else ''}); the pages before this one are kept "
            "and the same command resumes from this cursor",
            url=shown, page=page_no, cursor=cursor,
        )


def _parse(body: bytes, *, from_cache: bool) -> Page:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _BadBody(f"the response is not valid JSON ({len(body):,} bytes; truncated body?): {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) or not isinstance(data.get("meta"), dict):
        raise _BadBody("the response is not an OpenAlex results page (no 'meta' object and 'results' list)")
    meta = data["meta"]
    nxt = meta.get("next_cursor")
    if nxt is not None and (not isinstance(nxt, str) or not nxt):
        raise _BadBody(f"meta.next_cursor must be a string or null, got {nxt!r}")
    bad = next((i for i, r in enumerate(data["results"]) if not isinstance(r, dict)), None)
    if bad is not None:
        raise _BadBody(f"results[{bad}] is not a JSON object")
    count = meta.get("count")
    return Page(results=data["results"], next_cursor=nxt, count=count if isinstance(count, int) else None, from_cache=from_cache)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _client_error(resp: httpx.Response, has_key: bool) -> str:
    detail = ""
    try:
        data = resp.json()
        if isinstance(data, dict):
            detail = "; ".join(str(data[k]) for k in ("error", "message") if data.get(k))
    except ValueError:
        detail = resp.text[:200]
    msg = f"HTTP {resp.status_code} {resp.reason_phrase}".strip() + (f": {_redact(detail)}" if detail else "")
    if resp.status_code in (401, 403):
        msg += "; Hint: check the API key (--api-key or OPENALEX_API_KEY)" if has_key else "; Hint: this request may need an API key"
    elif resp.status_code == 400:
        msg += "; Hint: check --filter, --search, --sort, --select and --param against the OpenAlex documentation"
    return msg + " (not retried)"


# --------------------------------------------------------------------------------------------------
# the fetch folder


@dataclass
class FetchReport:
    """What a fetch did; ``pages``/``records`` count the whole fetch folder, ``*_run`` this run only.

    ``files`` are the ingest inputs: the chunk files, in page order."""

    fetch_dir: Path
    files: list[Path]
    query: dict[str, Any]
    pages: int
    records: int
    count: int | None
    finished: Literal["end", "max_records"]
    resumed_at_page: int | None
    pages_run: int = 0
    records_run: int = 0
    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    warnings: list[str] = field(default_factory=list)
    chunks_run: int = 0  #: chunk files this run wrote


def default_fetch_dir(store: str | os.PathLike[str], query: Query) -> Path:
    """``STORE/fetch/openalex-<entity>-<query key>``: the same query resumes in the same folder."""
    return Path(store) / "fetch" / f"openalex-{query.entity}-{query.key[:12]}"


def _atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    """Make renames and removals in ``path`` durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without directory fsync
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(fetch_dir: Path) -> Iterator[None]:
    """One fetch per folder at a time (POSIX advisory lock; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fetch_dir.mkdir(parents=True, exist_ok=True)
    with open(fetch_dir / ".lock", "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ConfigError(f"another fetch is running in {fetch_dir}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _save(path: Path, data: bytes, page: int, cursor: str) -> None:
    try:
        _atomic_write(path, data)
    except OSError as exc:  # a full disk, a read-only folder: the saved state stays as it was
        raise FetchError(f"cannot write {path} ({exc}); the pages saved before stay and the same command resumes",
                         page=page, cursor=cursor) from exc


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _load_state(fetch_dir: Path, query: Query, restart: bool) -> dict[str, Any]:
    state_path = fetch_dir / "state.json"
    pages_dir = fetch_dir / "pages"
    chunks_dir = fetch_dir / "chunks"
    if restart:
        state_path.unlink(missing_ok=True)
        shutil.rmtree(pages_dir, ignore_errors=True)
        shutil.rmtree(chunks_dir, ignore_errors=True)
    state: dict[str, Any] | None = None
    if state_path.exists():
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise FetchError(f"{state_path} is not valid JSON ({exc}); rerun with --restart to start the fetch again") from exc
        if state.get("format") != _STATE_FORMAT:
            raise ConfigError(f"{state_path} is not a junkan OpenAlex fetch state; use another --fetch-dir or --restart")
        if state.get("query_key") != query.key:
            old = state.get("query", {})
            diff = sorted(k for k, v in query.to_dict().items() if old.get(k) != v)
            raise ConfigError(
                f"{fetch_dir} holds a fetch of another query (differs in {', '.join(diff) or 'query'}); "
                "use another --fetch-dir, or --restart to replace it"
            )
    else:
        for d in (pages_dir, chunks_dir):
            if d.exists() and any(d.iterdir()):
                raise ConfigError(f"{d} holds files but {fetch_dir} has no state.json; use another --fetch-dir or --restart")
    if state is None:
        state = {
            "format": _STATE_FORMAT, "query": query.to_dict(), "query_key": query.key, "next_cursor": "*", "pages": 0,
            "records": 0, "files": [], "chunks": [], "count": None, "finished": None, "created": _now(), "updated": _now(),
            "junkan_version": __version__,
        }
    # "files": pages not yet in a chunk; "chunks": sealed chunk files (absent in folders of junkan before chunks)
    state.setdefault("chunks", [])
    # Files a killed run wrote after its last saved state (pages, chunks, temporary files) are not part of the
    # fetch; a page already copied into a chunk named in the state was left by a run killed before removing it.
    for d, listed in ((pages_dir, set(state["files"])), (chunks_dir, {c["file"] for c in state["chunks"]})):
        if d.exists():
            for p in d.iterdir():
                if p.name not in listed:
                    log.info("removing %s: not named in the last saved state", p)
                    p.unlink()
    missing = [f"pages/{f}" for f in state["files"] if not (pages_dir / f).exists()]
    missing += [f"chunks/{c['file']}" for c in state["chunks"] if not (chunks_dir / c["file"]).exists()]
    if missing:
        raise FetchError(f"{fetch_dir}: file(s) {', '.join(missing[:3])} named in state.json are missing; rerun with --restart")
    return state


def _make_chunks(root: Path, state: dict[str, Any], chunk_records: int, tick: Progress | None = None) -> int:
    """Group the pages of ``state["files"]`` (in page order) into new chunk files of up to ``chunk_records``
    records; returns the number of chunks written.

    Crash safety: every chunk is written to a temporary name, fsynced and renamed, and the folder fsynced, before
    the state names it (one atomic replacement of ``state.json`` for all new chunks); the page files are removed
    only after that. A run killed before the state is saved leaves chunk files the next run removes (the pages
    are still named and are grouped again, into the same chunks); killed after, it leaves page files the next run
    removes. Deterministic: the same pages give the same chunk files, byte for byte.
    """
    pending: list[str] = list(state["files"])
    if not pending:
        return 0
    pages_dir, chunks_dir = root / "pages", root / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    new: list[dict[str, Any]] = []
    out = None
    tmp = final = None
    digest = None
    first = last = ""
    count = 0

    def close() -> None:
        nonlocal out
        assert out is not None and tmp is not None and final is not None and digest is not None
        out.flush()
        os.fsync(out.fileno())
        out.close()
        out = None
        os.replace(tmp, final)
        new.append({"file": final.name, "first_page": first, "last_page": last, "records": count,
                    "sha256": digest.hexdigest()})

    try:
        for i, name in enumerate(pending):
            if tick is not None:
                tick("grouping pages", i, len(pending))
            data = (pages_dir / name).read_bytes()
            k = data.count(b"\n")
            if out is not None and count + k > chunk_records:
                close()
            if out is None:
                final = chunks_dir / f"{len(state['chunks']) + len(new) + 1:06d}.jsonl"
                tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                out = open(tmp, "wb")  # noqa: SIM115 - closed by close() or below
                digest = hashlib.sha256()
                first, count = name, 0
            out.write(data)
            digest.update(data)
            last, count = name, count + k
        close()
        _fsync_dir(chunks_dir)
    except OSError as exc:
        if out is not None:
            out.close()
        raise FetchError(f"cannot write the chunk files in {chunks_dir} ({exc}); the pages stay and the same command "
                         "groups them again") from exc
    state["chunks"].extend(new)
    state["files"] = []
    state["updated"] = _now()
    try:
        _atomic_write(root / "state.json", json.dumps(state, indent=1).encode())
    except OSError as exc:  # the state still names the pages: the chunk files are removed and made again
        raise FetchError(f"cannot write {root / 'state.json'} ({exc}); the pages stay and the same command groups "
                         "them again") from exc
    _fsync_dir(root)
    for name in pending:
        (pages_dir / name).unlink(missing_ok=True)
    _fsync_dir(pages_dir)
    if tick is not None:
        tick("grouping pages", len(pending), len(pending))
    log.info("grouped %d page file(s) into %d chunk file(s) in %s", len(pending), len(new), chunks_dir)
    return len(new)


def fetch(
    query: Query,
    fetch_dir: str | os.PathLike[str],
    *,
    client: OpenAlexClient | None = None,
    max_records: int | None = None,
    restart: bool = False,
    progress: Progress | None = None,
    chunk_records: int = CHUNK_RECORDS,
) -> FetchReport:
    """Fetch every page of ``query`` (up to ``max_records`` records) into ``fetch_dir``; resume what is there.

    When the fetch is complete, its new pages are grouped into chunk files of up to ``chunk_records`` records
    (:attr:`FetchReport.files`, the ingest inputs). Raises :class:`~junkan.errors.FetchError` (naming URL, page and cursor) when a page cannot be fetched after
    the retries; the pages saved until then stay and the next call with the same query continues from the saved
    cursor. ``restart=True`` discards a previous fetch in the folder (not the cache).
    """
    if max_records is not None and max_records < 1:
        raise ConfigError(f"max_records must be at least 1, not {max_records}")
    if not isinstance(chunk_records, int) or chunk_records < 1:
        raise ConfigError(f"chunk_records must be a positive integer, not {chunk_records!r}")
    root = Path(fetch_dir)
    own = client is None
    cl = client or OpenAlexClient()
    tick = progress or (lambda stage, done, total: None)
    req0, ret0, hit0 = cl.requests, cl.retries, cl.cache_hits
    try:
        with _locked(root):
            state = _load_state(root, query, restart)
            pages_dir = root / "pages"
            pages_dir.mkdir(parents=True, exist_ok=True)
            if state["finished"] == "max_records" and (max_records is None or max_records > state["records"]):
                state["finished"] = None  # asked for more than last time: go on from the saved cursor
            resumed = state["pages"] + 1 if state["pages"] and state["finished"] is None else None
            if resumed:
                log.info("resuming %s at page %d (%d records saved)", root, resumed, state["records"])
            pages_run = records_run = 0
            dropped = 0
            seen = {state["next_cursor"]}
            while state["finished"] is None:
                remaining = None if max_records is None else max_records - state["records"]
                if remaining is not None and remaining <= 0:
                    state["finished"] = "max_records"
                    break
                cursor = state["next_cursor"]
                n = state["pages"] + 1
                per_page = min(query.per_page, remaining) if remaining is not None else None
                page = cl.get_page(query, cursor, per_page=per_page, page_no=n)
                results = page.results if remaining is None else page.results[:remaining]
                dropped += len(page.results) - len(results)  # only when the server ignores per-page
                if results:
                    name = f"{n:06d}.jsonl"
                    _save(pages_dir / name, b"".join(orjson.dumps(r) + b"\n" for r in results), n, cursor)
                    state["files"].append(name)
                state["pages"] = n
                state["records"] += len(results)
                if state["count"] is None:  # the query's total when the fetch started (later pages may differ)
                    state["count"] = page.count
                pages_run += 1
                records_run += len(results)
                if page.next_cursor is None or not page.results:
                    state["finished"], state["next_cursor"] = "end", None
                elif page.next_cursor in seen:
                    raise FetchError(f"the API returned cursor {page.next_cursor!r} a second time (paging would not end)",
                                     url=cl.url_of(query.entity, query.api_params(cursor=cursor)), page=n, cursor=cursor)
                else:
                    seen.add(page.next_cursor)
                    state["next_cursor"] = page.next_cursor
                    if max_records is not None and state["records"] >= max_records:
                        state["finished"] = "max_records"
                state["updated"] = _now()
                _save(root / "state.json", json.dumps(state, indent=1).encode(), n, cursor)
                total = state["count"] if state["count"] is not None else state["records"]
                tick("records", state["records"], min(total, max_records) if max_records else max(total, state["records"]))
            _atomic_write(root / "state.json", json.dumps(state, indent=1).encode())
            chunks_run = _make_chunks(root, state, chunk_records, tick)
    finally:
        if own:
            cl.close()
    warnings = []
    if dropped:
        warnings.append(f"the server sent {dropped:,} records beyond --max-records on the last page (it ignored per-page); "
                        "they were dropped, and a later run with a larger --max-records continues after them (without them)")
    if state["finished"] == "end" and state["count"] is not None and state["records"] != state["count"]:
        warnings.append(f"OpenAlex reported {state['count']:,} matching records but paging returned {state['records']:,}")
    log.info("fetch %s: %d records in %d pages (%s)", root, state["records"], state["pages"], state["finished"])
    return FetchReport(
        fetch_dir=root, files=[root / "chunks" / c["file"] for c in state["chunks"]], query=state["query"], pages=state["pages"],
        records=state["records"], count=state["count"], finished=state["finished"], resumed_at_page=resumed,
        pages_run=pages_run, records_run=records_run, requests=cl.requests - req0, retries=cl.retries - ret0,
        cache_hits=cl.cache_hits - hit0, warnings=warnings, chunks_run=chunks_run,
    )


def fetch_to_store(
    query: Query,
    store: str | os.PathLike[str],
    *,
    fetch_dir: str | os.PathLike[str] | None = None,
    client: OpenAlexClient | None = None,
    max_records: int | None = None,
    restart: bool = False,
    on_error: Literal["raise", "collect", "skip"] = "collect",
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Progress | None = None,
    chunk_records: int = CHUNK_RECORDS,
) -> tuple[FetchReport, Any]:
    """:func:`fetch` then, once the fetch is complete, ingest its pages into ``store`` (a new version).

    Returns ``(fetch report, IngestReport)``; the ingest report is ``None`` when the query matched no records
    (the store is left as it is). Chunk files already in the store (same checksum) are skipped by the ingest,
    so rerunning a finished fetch publishes nothing new, and a continued fetch ingests only its new chunks.
    """
    from junkan.sources.openalex import ingest

    fdir = Path(fetch_dir) if fetch_dir is not None else default_fetch_dir(store, query)
    rep = fetch(query, fdir, client=client, max_records=max_records, restart=restart, progress=progress,
                chunk_records=chunk_records)
    if not rep.files:
        log.warning("the query matched no records; store %s is unchanged", store)
        return rep, None
    ing = ingest(rep.files, store, entity=query.entity, on_error=on_error, threads=threads, memory_limit=memory_limit,
                 progress=progress)
    return rep, ing


def parse_params(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``["include_xpac=true"]`` → ``(("include_xpac", "true"),)``; a ConfigError names a malformed item."""
    out = []
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise ConfigError(f"--param takes KEY=VALUE, not {item!r}")
        out.append((k.strip(), v.strip()))
    return tuple(out)
