"""The column-wise Web of Science plain-text reader (issue #10) gives exactly what the record-by-record reader gives,
or declines (and the record-by-record reader runs): on the samples, on CRLF files, and on generated files."""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.sources import wos
from junkan.sources._exports import Builder, Rejects
from junkan.sources.batch import SourceBatch

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"


def _slow(path: Path) -> SourceBatch:
    with mock.patch.object(wos, "_read_plain_fast", lambda *a: None):
        return wos.read_wos(path)


def _fast_taken(text: str) -> bool:
    return wos._read_plain_fast(text, Builder("wos", Path("x")), Rejects("x"), set()) is not None


def _same(a: SourceBatch, b: SourceBatch) -> None:
    assert (a.read, a.kept, a.warnings) == (b.read, b.kept, b.warnings)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
    for name in ("cited", "audit", "rejected"):
        assert getattr(a, name).equals(getattr(b, name)), name


@pytest.mark.parametrize("name, fast", [("wos_plain.txt", True), ("wos_same_author.txt", True),
                                        ("wos_truncated.txt", False)])
def test_samples_read_the_same_either_way(name: str, fast: bool) -> None:
    path = DATA / name
    assert _fast_taken(path.read_text(encoding="utf-8")) is fast
    _same(wos.read_wos(path), _slow(path))


def test_crlf_is_read_column_wise_and_the_same(tmp_path: Path) -> None:
    text = (DATA / "wos_plain.txt").read_text(encoding="utf-8")
    p = tmp_path / "crlf.txt"
    p.write_bytes(text.replace("\n", "\r\n").encode())
    assert _fast_taken(p.read_bytes().decode())
    crlf = wos.read_wos(p)
    _same(crlf, _slow(p))
    lf = wos.read_wos(DATA / "wos_plain.txt")
    assert crlf.tables["works"].equals(lf.tables["works"]) and crlf.cited.equals(lf.cited)
    # the rejected record's raw text is the same lines (without CR), from the same line
    assert crlf.rejected.select(["line", "raw"]).equals(lf.rejected.select(["line", "raw"]))


# generated files: records made of tags with values, continuation lines, blank lines, and now and then something
# the column-wise reader must decline (stray text, a tab or no-break space at a line's end, a lone CR, no ER)
_VALUES = ["", " ", "x", "2020", "20x1", "Smith, J", "Tanaka, Hiroshi", "Article", "; ;", "WOS:000000000000001",
           "[Smith, J] Univ Tokyo, Tokyo 113, Japan.", "[Tanaka, Hiroshi; Smith, J] MIT, Cambridge, MA 02139 USA.",
           "Aria M, 2017, J INFORMETR, V11, P959, DOI 10.1016/j.joi.2017.08.007", "[Anonymous], 2016, R LANG",
           "Smith J (corresponding author), MIT", "NSF [123, 456]", "MAR 15", "Dürr, Ülo", "日本 大学"]
_TAGS = ["AU", "AF", "TI", "SO", "PY", "TC", "DT", "CR", "CR", "CR", "C1", "RP", "NR", "DI", "PD", "EA", "FU", "VL",
         "BP", "AR", "J9", "SN", "LA", "OI", "ZZ"]
_ODD = ["garbage line", "   ER", "ER  ", "EF", "x\t", "CR \tAria M", "y\u00a0", "z\r", "", "FN again"]


@st.composite
def _export(draw: st.DrawFn) -> str:
    out = []
    if draw(st.booleans()):
        out += ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for k in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 4)) == 0:
            out.append("")
        out.append("PT " + draw(st.sampled_from(["J", "B", "S", ""])))
        for _ in range(draw(st.integers(0, 7))):
            tag = draw(st.sampled_from(_TAGS))
            vals = draw(st.lists(st.sampled_from(_VALUES), min_size=1, max_size=3))
            out.append(f"{tag} {vals[0]}".rstrip() if draw(st.booleans()) else f"{tag} {vals[0]}")
            out += ["   " + v for v in vals[1:]]
            if draw(st.integers(0, 9)) == 0:
                out.append("")
        ut = draw(st.sampled_from([f"WOS:{k:015d}", "WOS:000000000000001", "XYZ", None]))
        if ut is not None:
            out.append(f"UT {ut}")
        if draw(st.integers(0, 12)) == 0:
            out.append(draw(st.sampled_from(_ODD)))
        if draw(st.integers(0, 15)):
            out.append("ER")
            out.append("")
    if draw(st.booleans()):
        out.append("EF")
    text = "\n".join(out) + "\n"
    return text.replace("\n", "\r\n") if draw(st.integers(0, 4)) == 0 else text


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_export())
def test_generated_exports_read_the_same_either_way(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "savedrecs.txt"
        p.write_bytes(text.encode("utf-8"))
        try:
            slow = _slow(p)
        except Exception as exc:  # noqa: BLE001 - the same error either way
            with pytest.raises(type(exc)):
                wos.read_wos(p)
            return
        _same(wos.read_wos(p), slow)


def test_generated_exports_take_the_column_wise_path() -> None:
    """The property above is not vacuous: clean generated files go the column-wise way."""
    text = "FN x\nVR 1.0\nPT J\nAU Smith, J\n   Tanaka, H\nCR Aria M, 2017, X\n   \n   Doe J, 2010, Y\nUT WOS:1\nER\n\nEF\n"
    assert _fast_taken(text)
    read, cited = wos._read_plain_fast(text, Builder("wos", Path("x")), Rejects("x"), set())
    assert read == 1 and cited.to_pylist() == [
        {"citing_id": "WOS:1", "ordinal": 0, "raw": "Aria M, 2017, X"},
        {"citing_id": "WOS:1", "ordinal": 1, "raw": "Doe J, 2010, Y"},  # the empty continuation is no reference
    ]
    for odd in ("stray\n", "PT J\nUT WOS:2\n", "PT J\nAU x\t\nUT WOS:2\nER\n", "PT J\n!!\nER\n"):
        assert not _fast_taken(text + odd), odd
    assert isinstance(cited, pa.Table)
