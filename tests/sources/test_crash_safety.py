"""SIGKILL during ingest leaves the previous version published and readable; a rerun completes it."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from junkan.sources.openalex import ingest
from junkan.store import open_store

from .oa_records import work, write_jsonl

SCRIPT = "import sys; from junkan.sources.openalex import ingest; ingest(sys.argv[2:], sys.argv[1], threads=2)"


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    base = write_jsonl(tmp_path / "base.jsonl", [work(i) for i in range(1, 101)])
    for p in range(12):
        write_jsonl(tmp_path / "snap" / f"updated_date=2024-0{1 + p // 4}-01" / f"part_{p:03d}.gz",
                    [work(i, refs=(i - 1, i + 7), updated=f"2024-0{1 + p // 4}-01T00:00:00") for i in range(p * 1500 + 50, p * 1500 + 1550)], gz=True)
    crashed, reference = tmp_path / "crashed", tmp_path / "reference"
    for st in (crashed, reference):
        ingest([base], st)
    v1 = open_store(crashed)
    # time an uninterrupted run (in a subprocess, like the killed ones) to place the kills inside it
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", SCRIPT, str(reference), str(tmp_path / "snap")], check=True)
    duration = time.monotonic() - t0
    rng = random.Random(20261128)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(crashed), str(tmp_path / "snap")])
        time.sleep(rng.uniform(0.2, 0.85) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        s = open_store(crashed)
        s.verify()
        if s.version == v1.version:  # killed before publishing: the old version is intact
            assert s.manifest["content_hash"] == v1.manifest["content_hash"]
        else:  # it finished in time: a complete new version
            break
    assert kills >= 1
    final = ingest([tmp_path / "snap"], crashed)  # completes (or finds everything already ingested)
    done = open_store(crashed)
    done.verify()
    assert done.manifest["content_hash"] == open_store(reference).manifest["content_hash"]
    assert not (crashed / "work").exists()
    assert final.reconciles
