"""Institution lineage (child institutions of a programme's institutions) and the cluster bootstrap of programmes,
on hand-made tables with answers computed by hand (docs/programs.md)."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from junkan.errors import BadInputError
from junkan.programs import CLUSTERS, InstitutionSelector, parse_programs
from junkan.programs._evaluate import _BASE, _estimates, _long
from junkan.programs._select import _institution_works, institution_closure

# I1 university; I2 its faculty (lineage I2, I1); I3 a lab of the faculty (I3, I2, I1); I4 unrelated; I5 has no lineage
INSTITUTIONS = pa.table({
    "institution_id": ["I1", "I2", "I3", "I4", "I5"],
    "ror": ["00aaaaa00", "00bbbbb00", None, "00ddddd00", None],
    "display_name": ["Univ One", "Faculty of Science, Univ One", "Lab X", "Other Univ", "Orphan Institute"],
    "lineage": pa.array([["I1"], ["I2", "I1"], ["I3", "I2", "I1"], ["I4"], None], pa.list_(pa.string())),
})


def _closure(sels: tuple[InstitutionSelector, ...]) -> set[tuple[int, str]]:
    t = institution_closure(ibis.memtable(INSTITUTIONS), sels).to_pyarrow()
    return set(zip(t.column("sel").to_pylist(), t.column("institution_id").to_pylist(), strict=True))


def test_children_follow_lineage() -> None:
    assert _closure((InstitutionSelector(id="I1"),)) == {(0, "I1"), (0, "I2"), (0, "I3")}
    assert _closure((InstitutionSelector(id="I1", children=False),)) == {(0, "I1")}
    assert _closure((InstitutionSelector(ror="00bbbbb00"),)) == {(0, "I2"), (0, "I3")}
    assert _closure((InstitutionSelector(name="^Lab"), InstitutionSelector(name="Orphan"))) == {(0, "I3"), (1, "I5")}
    assert _closure((InstitutionSelector(id="I9"),)) == set()


def test_institution_works_with_children_and_years() -> None:
    ai = ibis.memtable({"work_id": ["W1", "W2", "W3", "W4", "W5"], "author_position": [0, 0, 1, 0, 0],
                        "institution_id": ["I1", "I3", "I3", "I4", "I2"]})
    docset = ibis.memtable({"work_id": ["W1", "W2", "W3", "W4", "W5"],
                            "publication_year": [2010, 2012, 2015, 2015, 2009]})
    inst = ibis.memtable(INSTITUTIONS)

    def works(*sels: InstitutionSelector) -> list[str]:
        return sorted(set(_institution_works(ai, inst, docset, sels).to_pyarrow().column("work_id").to_pylist()))

    assert works(InstitutionSelector(id="I1")) == ["W1", "W2", "W3", "W5"]
    assert works(InstitutionSelector(id="I1", children=False)) == ["W1"]
    # years apply per selector: I1 (and children) from 2011, I4 any year
    assert works(InstitutionSelector(id="I1", years=(2011, None)), InstitutionSelector(id="I4")) == ["W2", "W3", "W4"]


def test_children_key_is_parsed_and_validated() -> None:
    text = "programs:\n  - id: C\n    institutions:\n      - {id: I1, children: false}\n      - I2\n"
    (p,) = parse_programs(text, file="c.yaml")
    assert [s.children for s in p.institutions] == [False, True]
    with pytest.raises(BadInputError) as e:
        parse_programs(text.replace("children: false", "children: maybe"), file="c.yaml")
    assert e.value.file == "c.yaml" and e.value.line == 4 and e.value.field == "children"


def _frame(ckeys: list[str] | None) -> ibis.Table:
    # one stratum (2020, field 11, band 2-3): program works p1..p4, controls c1..c6
    ids = [f"p{i}" for i in range(1, 5)] + [f"c{i}" for i in range(1, 7)]
    rows: dict[str, list] = {"work_id": ids, "year": [2020] * 10, "field_id": [11] * 10, "band": ["2-3"] * 10,
                             "top10": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]}
    for k in _BASE:
        if k != "top10":
            rows[k] = [0.5] * 10
    if ckeys is not None:
        rows["ckey"] = ckeys
    return ibis.memtable(pa.table(rows))


def _top10(ckeys: list[str] | None) -> dict:
    members = ibis.memtable({"program_id": ["P"] * 4, "work_id": ["p1", "p2", "p3", "p4"]})
    pflag = ibis.memtable(pa.table({"program_id": pa.array([], pa.string()), "work_id": pa.array([], pa.string())}))
    res = _long(_estimates(_frame(ckeys), members, pflag, 100, 3), 0.9).to_pyarrow().to_pylist()
    (row,) = [r for r in res if r["year"] is None and r["metric"] == "top10"]
    return row


def test_cluster_bootstrap_resamples_clusters() -> None:
    assert set(CLUSTERS) == {"work", "award", "author", "institution"}
    # point estimates do not depend on the clusters: value 2/4, control 2/6
    per_work = _top10(None)
    assert per_work["value"] == pytest.approx(0.5) and per_work["control"] == pytest.approx(2 / 6)
    same = _top10([f"p{i}" for i in range(1, 5)] + [f"c{i}" for i in range(1, 7)])  # ckey = work_id: same draws
    assert same.keys() == per_work.keys()
    for k, v in per_work.items():
        assert same[k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v), k
    # the four program papers in one cluster (one grant): every replicate weights them alike, so the program's
    # mean is 1/2 in every replicate and its interval collapses; resampling papers gives a wide interval
    one = _top10(["award:G"] * 4 + [f"c{i}" for i in range(1, 7)])
    assert one["value"] == pytest.approx(0.5)
    assert one["value_lo"] == pytest.approx(0.5) and one["value_hi"] == pytest.approx(0.5)
    assert per_work["value_lo"] < 0.5 < per_work["value_hi"]
    # two clusters {p1, p2} and {p3, p4}, each with mean 1/2: again every replicate gives 1/2
    two = _top10(["g1", "g1", "g2", "g2"] + [f"c{i}" for i in range(1, 7)])
    assert two["value_lo"] == pytest.approx(0.5) and two["value_hi"] == pytest.approx(0.5)
    # clusters {p1, p3} (mean 1) and {p2, p4} (mean 0): replicate means are K1 / (K1 + K2), anywhere in [0, 1]
    mixed = _top10(["g1", "g2", "g1", "g2"] + [f"c{i}" for i in range(1, 7)])
    assert mixed["value_lo"] == 0.0 and mixed["value_hi"] == 1.0
