"""Fuzzed export files (issue 11, property 1): Scopus CSV, Web of Science plain text and tab-delimited, OpenAlex web CSV.

Whatever the bytes, a reader returns a batch with read = kept + rejected and a reason for every rejected record, or
refuses the whole file with a BadInputError naming it; with the file structure intact, every record written is read
and every unmodified record is kept. bench/reliability.py runs the same generator on >= 10^5 records per reader.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError

from .export_fuzz import FORMATS, check_batch, fuzz_export

FUZZ = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("fmt", list(FORMATS))
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), raw=st.booleans())
def test_fuzzed_export(tmp_path_factory: pytest.TempPathFactory, fmt: str, seed: int, n: int, raw: bool) -> None:
    f = FORMATS[fmt]
    data, expect = fuzz_export(f, random.Random(seed), n, raw=raw)
    path = tmp_path_factory.mktemp("ex") / f"export{f.suffix}"
    path.write_bytes(data)
    try:
        batch = f.reader()(path)
    except BadInputError as exc:  # a file-level refusal must name the file
        assert str(path) in str(exc)
        assert raw or b"\x00" in data, f"structured file refused: {exc}"
        return
    assert check_batch(batch, path, None if raw else expect) == []


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_nul_byte_refuses_the_file_by_name(tmp_path: Path, fmt: str) -> None:
    f = FORMATS[fmt]
    data, _ = fuzz_export(f, random.Random(1), 5)
    path = tmp_path / f"nul{f.suffix}"
    path.write_bytes(data[:200] + b"\x00" + data[200:])
    with pytest.raises(BadInputError, match="NUL bytes") as exc:
        f.reader()(path)
    assert str(path) in str(exc.value)


def _one_cell(tmp_path: Path, fmt: str, column: str, value: str) -> Path:
    """An export whose first unmodified record has ``value`` in ``column``."""
    import csv
    import io

    f = FORMATS[fmt]
    data, expect = fuzz_export(f, random.Random(3), 6)
    k = next(i for i, (kind, _) in enumerate(expect) if kind == "ok")
    text = data.decode("utf-8-sig")
    if f.kind == "wos-plain":
        tag = {"Document Type": "DT", "Cited by": "TC"}[column]
        recs = text.split("\nER\n")
        recs[k] = "\n".join(f"{tag} {value}" if ln.startswith(tag + " ") else ln for ln in recs[k].split("\n"))
        text = "\nER\n".join(recs)
    else:
        rows = list(csv.reader(io.StringIO(text), delimiter=f.delimiter))
        col = {"Document Type": {"scopus": "Document Type", "wos-tab": "DT", "openalex-csv": "type"},
               "Cited by": {"scopus": "Cited by", "wos-tab": "TC", "openalex-csv": "cited_by_count"}}[column][fmt]
        rows[1 + k][rows[0].index(col)] = value
        buf = io.StringIO()
        csv.writer(buf, delimiter=f.delimiter, lineterminator="\n").writerows(rows)
        text = buf.getvalue()
    path = tmp_path / f"one{f.suffix}"
    path.write_text(text, encoding="utf-8")
    return path


# Crashes found by fuzzing in junkan.sources._exports (issue 11), fixed: the record is rejected with a reason.
REJECT_FIELD = {"Cited by": {"scopus": "Cited by", "wos-tab": "TC", "wos-plain": "TC", "openalex-csv": "cited_by_count"},
                "Document Type": {"scopus": "Document Type", "wos-tab": "DT", "wos-plain": "DT"}}


def _baseline(tmp_path: Path, fmt: str):  # noqa: ANN202 - the same file as _one_cell's, unchanged
    f = FORMATS[fmt]
    path = tmp_path / f"base{f.suffix}"
    path.write_bytes(fuzz_export(f, random.Random(3), 6)[0])
    return f.reader()(path)


def _new_reject(batch, base) -> dict:  # noqa: ANN001 - the one rejected row ``batch`` has and ``base`` has not
    old = {r["line"] for r in base.rejected.to_pylist()}
    new = [r for r in batch.rejected.to_pylist() if r["line"] not in old]
    assert len(new) == 1, new
    return new[0]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_integer_beyond_int64_is_rejected_not_a_crash(tmp_path: Path, fmt: str) -> None:
    path = _one_cell(tmp_path, fmt, "Cited by", "99999999999999999999")
    batch = FORMATS[fmt].reader()(path)
    assert check_batch(batch, path, None) == []
    base = _baseline(tmp_path, fmt)
    assert (batch.read, batch.kept, batch.rejected.num_rows) == (base.read, base.kept - 1, base.rejected.num_rows + 1)
    row = _new_reject(batch, base)
    assert row["file"] == str(path) and row["line"] is not None and row["field"] == REJECT_FIELD["Cited by"][fmt]
    assert "99999999999999999999" in row["reason"] and "99999999999999999999" in row["raw"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_document_type_of_separators_only(tmp_path: Path, fmt: str) -> None:
    path = _one_cell(tmp_path, fmt, "Document Type", "; ; ;")
    batch = FORMATS[fmt].reader()(path)
    assert batch.read == 6 and check_batch(batch, path, None) == []
    if fmt == "openalex-csv":  # OpenAlex's type is free text, kept as printed
        assert batch.kept == _baseline(tmp_path, fmt).kept
        return
    base = _baseline(tmp_path, fmt)
    assert (batch.kept, batch.rejected.num_rows) == (base.kept - 1, base.rejected.num_rows + 1)
    row = _new_reject(batch, base)
    assert row["file"] == str(path) and row["field"] == REJECT_FIELD["Document Type"][fmt]
    assert "only separators" in row["reason"]


@pytest.mark.parametrize("value", ["2147483647", "-2147483647", " 12 ", "NA", ""])
def test_to_int_accepts_int32(value: str) -> None:
    from junkan.sources._exports import to_int
    assert to_int(value) == (int(value) if value.strip() not in ("", "NA") else None)


@pytest.mark.parametrize("value", ["2147483648", "-2147483648", "99999999999999999999", "1e3", "abc"])
def test_to_int_rejects_out_of_range_and_non_integers(value: str) -> None:
    from junkan.sources._exports import to_int
    with pytest.raises(ValueError):
        to_int(value)
