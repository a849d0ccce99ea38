"""Crash safety (issue 11, property 2): SIGKILL at chosen moments of an ingest, including every step of publishing.

tests/sources/test_crash_safety.py kills an ingest at random times (which mostly land in staging). Here a child
process kills itself with SIGKILL at a precise point: while staging, after an input is staged, during the merge,
while checksumming, after the new version folder is renamed into place, just before and just after ``CURRENT`` is
replaced. After each kill: the store opens, verifies and holds either the previous version (same content hash) or
the complete new one; a reader polling the store the whole time never fails; a rerun ends with the content hash of
an uninterrupted run. bench/reliability.py adds many random-time kills on a larger input.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from junkan.errors import StoreNotFoundError
from junkan.sources.openalex import ingest
from junkan.store import open_store
from tests.sources.oa_records import work, write_jsonl

#: Runs an ingest that SIGKILLs its own process at a point: argv = point, n, store, inputs...
KILLER = r"""
import os, signal, sys
point, nth, store, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
import junkan.sources.openalex as oa
import junkan.store as st
calls = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def wrap(fn, *, before=False, when=lambda *a: True):
    def w(*a, **k):
        hit = when(*a)
        if hit:
            calls[0] += 1
        if hit and before and calls[0] == nth:
            die()
        r = fn(*a, **k)
        if hit and not before and calls[0] == nth:
            die()
        return r
    return w

is_version = lambda src, dst: os.path.basename(os.path.dirname(dst)) == "versions"
is_current = lambda src, dst: os.path.basename(dst) == "CURRENT"
if point == "stage":        # inside staging, before an input's folder is complete
    oa._flatten = wrap(oa._flatten, before=True)
elif point == "staged":     # after the nth input is staged
    oa.os.rename = wrap(os.rename, when=lambda s, d: str(s).endswith(".tmp") and "versions" not in str(s))
elif point == "merge":      # after the nth merged table is written into the unfinished version
    oa._copy = wrap(oa._copy)
elif point == "checksum":   # publish: computing the content hashes
    st.table_content_hash = wrap(st.table_content_hash)
elif point == "renamed":    # publish: the version folder renamed into versions/, CURRENT not yet replaced
    st.os.rename = wrap(os.rename, when=is_version)
elif point == "current":    # publish: just before CURRENT is replaced
    st.os.replace = wrap(os.replace, before=True, when=is_current)
elif point == "published":  # publish: just after CURRENT is replaced (the work folder not yet removed)
    st.os.replace = wrap(os.replace, when=is_current)
else:
    raise SystemExit("unknown point " + point)
oa.ingest(paths, store, threads=2)
raise SystemExit("not killed")
"""

POINTS = [("stage", 2), ("staged", 2), ("merge", 3), ("checksum", 4), ("renamed", 1), ("current", 1), ("published", 1)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("crash")
    base = write_jsonl(d / "base.jsonl", [work(i) for i in range(1, 51)])
    for p in range(3):  # three new inputs; they update base works 40-50 and add new ones
        write_jsonl(d / "snap" / f"updated_date=2024-0{p + 2}-01" / f"part_{p:03d}.gz",
                    [work(i, refs=(i - 1,), updated=f"2024-0{p + 2}-01T00:00:00") for i in range(40 + p * 150, 190 + p * 150)], gz=True)
    ingest([base], d / "v1")
    ingest([d / "snap"], shutil.copytree(d / "v1", d / "reference"))
    return {"dir": d, "snap": d / "snap", "v1": d / "v1", "reference": d / "reference"}


def _kill_at(point: str, n: int, store: Path, inputs: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLER, point, str(n), str(store), *map(str, inputs)],
                          capture_output=True, text=True, timeout=120)


def _unfinished(store: Path) -> list[Path]:
    return list((store / "versions").glob(".v*.tmp"))


@pytest.mark.parametrize(("point", "n"), POINTS)
def test_sigkill_at_point(world: dict[str, Path], tmp_path: Path, point: str, n: int) -> None:
    store = shutil.copytree(world["v1"], tmp_path / "st")
    v1 = open_store(store)
    final_hash = open_store(world["reference"]).manifest["content_hash"]
    seen: set[str] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:  # the published store stays readable the whole time
        while not stop.is_set():
            try:
                s = open_store(store)
                s.verify()
                assert pq.read_metadata(s.table_path("works")).num_rows == s.row_count("works")
                seen.add(s.manifest["content_hash"])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    t = threading.Thread(target=reader)
    t.start()
    try:
        proc = _kill_at(point, n, store, [world["snap"]])
    finally:
        stop.set()
        t.join()
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert errors == []
    assert seen <= {v1.manifest["content_hash"], final_hash}
    s = open_store(store)
    s.verify()
    if point == "published":
        assert s.version != v1.version and s.manifest["content_hash"] == final_hash
    else:
        assert s.version == v1.version and s.manifest["content_hash"] == v1.manifest["content_hash"]
    rep = ingest([world["snap"]], store)  # the rerun completes (or finds it complete)
    done = open_store(store)
    done.verify()
    assert done.manifest["content_hash"] == final_hash
    assert rep.reconciles and _unfinished(store) == [] and not (store / "work").exists()
    if point == "published":
        assert rep.read == 0 and done.version == s.version  # nothing left to do
    else:
        assert rep.read == sum(i["read"] for i in open_store(world["reference"]).manifest["inputs"][1:])


def test_sigkill_during_a_first_ingest_publishes_nothing(world: dict[str, Path], tmp_path: Path) -> None:
    store = tmp_path / "new"
    proc = _kill_at("current", 1, store, [world["snap"]])
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    with pytest.raises(StoreNotFoundError, match="no published store version"):
        open_store(store)
    ingest([world["snap"]], store)
    ref = ingest([world["snap"]], tmp_path / "ref").store
    assert open_store(store).manifest["content_hash"] == ref.manifest["content_hash"]
    assert _unfinished(store) == []
