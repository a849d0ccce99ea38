"""Resources (issue 11, property 5): memory limit, full disk, missing file, corrupted store."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import junkan.sources.openalex as oa
import junkan.store as store_mod
from junkan.cli import app, build_command
from junkan.engine import connect
from junkan.errors import IngestError, StoreError
from junkan.sources.openalex import ingest
from junkan.store import open_store, write_store
from tests.sources.oa_records import work, write_jsonl

runner = CliRunner()
build_command()


@pytest.fixture
def two_inputs(tmp_path: Path) -> tuple[Path, Path]:
    a = write_jsonl(tmp_path / "in" / "a.jsonl", [work(i) for i in range(1, 30)])
    b = write_jsonl(tmp_path / "in" / "b.jsonl.gz", [work(i, refs=(1, 2)) for i in range(30, 90)], gz=True)
    return a, b


def _assert_unchanged(root: Path, before: store_mod.Store) -> None:
    s = open_store(root)
    s.verify()
    assert (s.version, s.manifest["content_hash"]) == (before.version, before.manifest["content_hash"])
    assert list((root / "versions").glob(".v*.tmp")) == []
    assert list((root / "work").glob("*.tmp")) == [] if (root / "work").exists() else True


# -- full disk -----------------------------------------------------------------------------------------------------


def test_full_disk_while_staging(tmp_path: Path, two_inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_inputs
    v1 = ingest([a], tmp_path / "st").store

    def full(*args, **kwargs):  # what DuckDB raises when a COPY hits ENOSPC (message as measured on a full tmpfs)
        raise duckdb.IOException('IO Error: Could not write file "x/works.parquet": No space left on device')

    monkeypatch.setattr(oa, "_flatten", full)
    with pytest.raises(StoreError, match=r"no space left on device while writing store .*version v000001 stays published"):
        ingest([b], tmp_path / "st")
    _assert_unchanged(tmp_path / "st", v1)
    monkeypatch.undo()
    assert ingest([b], tmp_path / "st").store.manifest["content_hash"] == ingest([a, b], tmp_path / "ref").store.manifest["content_hash"]


def test_full_disk_while_writing_the_new_version(tmp_path: Path, two_inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = two_inputs
    v1 = ingest([a], tmp_path / "st").store
    real, calls = oa._copy, []

    def copy_then_full(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[3]))
        return real(*args, **kwargs)

    monkeypatch.setattr(oa, "_copy", copy_then_full)
    with pytest.raises(StoreError, match="no space left on device") as exc:
        ingest([b], tmp_path / "st")
    assert "Free some space" in str(exc.value)
    _assert_unchanged(tmp_path / "st", v1)


def test_full_disk_in_write_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = write_store(tmp_path / "st", {"works": [{"work_id": "W1", "data_source": "t", "input_id": 0}]})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.pq, "write_table", full)
    with pytest.raises(StoreError, match="no space left on device.*version v000001 stays published"):
        write_store(tmp_path / "st", {"works": [{"work_id": "W2", "data_source": "t", "input_id": 0}]})
    _assert_unchanged(tmp_path / "st", v1)
    with pytest.raises(StoreError, match="no store version was published"):
        write_store(tmp_path / "new", {})


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 512 KiB tmpfs (needs root and mount; skipped where mounting is not allowed)."""
    mnt = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_for_real(tmp_path: Path, tiny_disk: Path) -> None:
    small = write_jsonl(tmp_path / "small.jsonl", [work(i) for i in range(1, 20)])
    big = write_jsonl(tmp_path / "big.jsonl", [work(i, title=os.urandom(200).hex()) for i in range(100, 8000)])
    v1 = ingest([small], tiny_disk / "st").store
    with pytest.raises(StoreError, match="no space left on device") as exc:
        ingest([big], tiny_disk / "st")
    assert "stays published" in str(exc.value)
    _assert_unchanged(tiny_disk / "st", v1)
    assert shutil.disk_usage(tiny_disk).free > 256 * 1024  # the unfinished staging that filled the disk is removed
    res = runner.invoke(app, ["ingest", "openalex", str(big), "--store", str(tiny_disk / "st")])
    assert res.exit_code == 1 and "no space left on device" in res.output and "Traceback" not in res.output


# -- missing and corrupted files ------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, two_inputs: tuple[Path, Path]) -> Path:
    ingest(list(two_inputs), tmp_path / "st")
    return tmp_path / "st"


def test_corrupted_table_is_named_by_verify_and_connect(store: Path) -> None:
    path = open_store(store).table_path("references")
    expected = open_store(store).manifest["tables"]["references"]["sha256"]
    data = bytearray(path.read_bytes())
    for k in (len(data) // 3, len(data) // 2):
        data[k] ^= 0xFF  # flip bytes in place: same size
    path.write_bytes(bytes(data))
    for opener in (open_store, lambda p: connect(p, threads=1)):
        with pytest.raises(StoreError, match=r"table 'references': references.parquet does not match its checksum") as exc:
            opener(store)
        assert expected[:16] in str(exc.value) and store_mod.file_sha256(path)[:16] in str(exc.value)
    res = runner.invoke(app, ["store", "verify", str(store)])
    assert res.exit_code == 1 and "table 'references'" in res.output and "Traceback" not in res.output


def test_missing_table_file(store: Path) -> None:
    open_store(store).table_path("authorships").unlink()
    with pytest.raises(StoreError, match="table 'authorships': file authorships.parquet is missing"):
        connect(store)
    res = runner.invoke(app, ["store", "verify", str(store)])
    assert res.exit_code == 1 and "authorships.parquet is missing" in res.output


def test_corrupted_or_missing_manifest(store: Path) -> None:
    m = open_store(store).version_dir / "manifest.json"
    m.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(StoreError, match="is not a junkan manifest"):
        open_store(store)
    m.write_text('{"tables": ', encoding="utf-8")
    with pytest.raises(StoreError, match="is not valid JSON"):
        open_store(store)
    m.unlink()
    with pytest.raises(StoreError, match="has no manifest.json"):
        connect(store)


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["ingest", "openalex", str(tmp_path / "nope.jsonl"), "--store", str(tmp_path / "st")])
    assert res.exit_code == 1 and "nope.jsonl: no such file or directory" in res.output


def test_opening_an_unchanged_store_hashes_nothing(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(store_mod, "file_sha256", lambda p, **k: calls.append(p) or "")
    open_store(store)
    assert calls == []


def test_a_copy_with_new_file_times_still_opens(store: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(store, tmp_path / "copy", copy_function=shutil.copy)  # file times not preserved
    s = open_store(copy)  # every table is hashed once and matches
    assert s.manifest["content_hash"] == open_store(store).manifest["content_hash"]


# -- memory limit -----------------------------------------------------------------------------------------------------

#: One list value of ~80 MB: it cannot be spilled, so DuckDB must stay under the limit or refuse.
BIG = "SELECT len(list(repeat('x', 200) || k::VARCHAR)) FROM range(400000) t(k)"


def test_memory_limit_is_honoured_by_duckdb(store: Path, tmp_path: Path) -> None:
    unlimited = connect(store, threads=1)
    assert unlimited.con.con.execute(BIG).fetchone()[0] == 400000
    limited = connect(store, threads=1, memory_limit="32MB", temp_directory=tmp_path / "spill")
    assert limited.con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "30.5 MiB"
    with pytest.raises(duckdb.OutOfMemoryException, match="30.5 MiB"):
        limited.con.con.execute(BIG).fetchone()


def test_ingest_memory_limit_too_low_is_a_clear_error(tmp_path: Path, two_inputs: tuple[Path, Path]) -> None:
    with pytest.raises(IngestError, match="ran out of memory under the memory limit.*raise --memory-limit"):
        ingest(list(two_inputs), tmp_path / "st", memory_limit="64MB")
    assert not (tmp_path / "st" / "CURRENT").exists()
    rep = ingest(list(two_inputs), tmp_path / "st", memory_limit="1GB", threads=1)
    assert rep.reconciles and rep.kept == 89
    res = runner.invoke(app, ["ingest", "openalex", *map(str, two_inputs), "--store", str(tmp_path / "s2"), "--memory-limit", "64MB"])
    assert res.exit_code == 1 and "raise --memory-limit" in res.output and "Traceback" not in res.output
    assert json.loads((tmp_path / "st" / "versions" / "v000001" / "manifest.json").read_text())["counts"]["read"] == 89
    assert pq.read_metadata(open_store(tmp_path / "st").table_path("works")).num_rows == 89
