"""The shipped real citation network (scientographer motor-learning set, CC BY / CC0) as a junkan store.

See ``junkan/data/scientographer/ATTRIBUTION.md``. Works are identified by their DOI. The set has no fields
and no affiliations: every work is put in one reference set (``field_id = 0``, documented here as "the
motor-learning corpus"), typed ``article`` in a ``journal``; country figures of a map built on it are empty.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from junkan.model.schema import arrow_schema
from junkan.store import Store, write_store

__all__ = ["scientographer_store", "scientographer_tables"]

DATA = "data/scientographer"


def scientographer_tables() -> tuple[pa.Table, pa.Table]:
    """The shipped ``papers`` and ``references`` tables (see ATTRIBUTION.md)."""
    base = resources.files("junkan").joinpath(DATA)
    with resources.as_file(base) as d:
        return pq.read_table(Path(d) / "papers.parquet"), pq.read_table(Path(d) / "references.parquet")


def _full(name: str, cols: dict[str, pa.Array], n: int) -> pa.Table:
    sch = arrow_schema(name)
    return pa.table({f.name: cols[f.name].cast(f.type) if f.name in cols else pa.nulls(n, f.type) for f in sch}, schema=sch)


def scientographer_store(root: str | os.PathLike[str]) -> Store:
    """Publish the shipped network as a store at ``root`` (works and references; other tables empty)."""
    papers, refs = scientographer_tables()
    n = papers.num_rows
    works = _full("works", {
        "work_id": papers["doi"],
        "doi": papers["doi"],
        "title": papers["title"],
        "publication_year": papers["year"],
        "type": pa.array(["article"] * n),
        "source_type": pa.array(["journal"] * n),
        "is_retracted": pa.array([False] * n),
        "is_paratext": pa.array([False] * n),
        "field_id": pa.array([0] * n, pa.int32()),
        "authors_count": pa.array([len(a or []) for a in papers["authors"].to_pylist()], pa.int32()),
        "data_source": pa.array(["scientographer"] * n),
        "input_id": pa.array([0] * n, pa.int32()),
    }, n)
    references = _full("references", {"work_id": refs["citing_doi"], "cited_work_id": refs["cited_doi"]}, refs.num_rows)
    return write_store(root, {"works": works, "references": references},
                       manifest={"source": "scientographer 0.1.0 example data (CC BY titles, CC0 links)"})
