"""Canonical records read from one export file: the interface between export readers and the merger.

Every export reader (Scopus CSV, Web of Science plain text and tab-delimited, the OpenAlex web CSV) turns
one file into a :class:`SourceBatch`: canonical store tables (the Arrow schemas of
:mod:`junkan.model.schema`), the cited references as printed (to be matched to works), the audit of every
address → country attribution, and the rejected records with their reasons. The merger
(:mod:`junkan.sources.merge`) combines batches (and an existing store) into one store version.

Accounting: ``read == kept + len(rejected)`` for every batch, where ``kept`` is the number of rows of
``tables["works"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from junkan.model.schema import arrow_schema

__all__ = ["AUDIT_SCHEMA", "CITED_SCHEMA", "SourceBatch", "empty_tables"]

#: One row per cited reference as printed in the export (before matching to works).
CITED_SCHEMA = pa.schema(
    [
        ("citing_id", pa.string()),  # canonical work id of the citing record
        ("ordinal", pa.int32()),  # 0-based position in the citing record's reference list
        ("raw", pa.string()),  # the reference string exactly as in the file
        ("doi", pa.string()),  # lower case, no prefix; null when the string has none
        ("first_author", pa.string()),  # as printed (matching normalises it)
        ("year", pa.int32()),
        ("source_title", pa.string()),  # journal or book title as printed (abbreviated in WoS)
        ("volume", pa.string()),
        ("first_page", pa.string()),
        ("title", pa.string()),  # cited title when the format carries it (Scopus), else null
    ]
)

#: One row per address → country attribution (auditable; a user overrides file can correct it).
AUDIT_SCHEMA = pa.schema(
    [
        ("work_id", pa.string()),
        ("author_position", pa.int32()),  # null for an address not tied to an author
        ("address", pa.string()),  # the address string as printed
        ("matched", pa.string()),  # the substring that decided the country (e.g. "Peoples R China")
        ("country_code", pa.string()),  # ISO 3166-1 alpha-2; null when no country could be attributed
        ("rule", pa.string()),  # which rule decided (alias, us-state, override, none, …)
    ]
)


def _empty(schema: pa.Schema) -> pa.Table:
    """``schema.empty_table()`` without its import of pandas (1–2 s at start-up, for nothing)."""
    return pa.Table.from_arrays([pa.nulls(0, f.type) for f in schema], schema=schema)


def empty_tables() -> dict[str, pa.Table]:
    """Empty canonical tables for every store table except the quarantine."""
    from junkan.model.schema import TABLES

    return {name: _empty(arrow_schema(name)) for name in TABLES if name != "quarantine"}


@dataclass
class SourceBatch:
    """What one export file holds, in canonical form."""

    source: str  #: "scopus", "wos", "openalex-csv", "openalex" (an existing store)
    path: Path  #: the file read
    read: int  #: records read from the file
    tables: dict[str, pa.Table] = field(default_factory=empty_tables)  #: canonical tables (store schemas)
    cited: pa.Table = field(default_factory=lambda: _empty(CITED_SCHEMA))  #: references as printed
    audit: pa.Table = field(default_factory=lambda: _empty(AUDIT_SCHEMA))  #: address → country decisions
    rejected: pa.Table = field(default_factory=lambda: _empty(arrow_schema("quarantine")))  #: with reasons
    warnings: list[str] = field(default_factory=list)  #: file-level findings (e.g. decoded as cp1252, not UTF-8)

    @property
    def kept(self) -> int:
        return self.tables["works"].num_rows

    def check_accounting(self) -> None:
        """Raise :class:`~junkan.errors.IngestError` unless read = kept + rejected."""
        from junkan.errors import IngestError

        if self.read != self.kept + self.rejected.num_rows:
            raise IngestError(
                f"{self.path}: read {self.read} records but kept {self.kept} and rejected {self.rejected.num_rows}"
            )
