"""Canonical schema of a junkan store.

A store version is a folder of Parquet files, one per table below, plus ``manifest.json``. This module
is the single source of truth for table names, column names and types, keys and the JSON path each
column comes from; ``docs/schema.md`` is generated from it (``python -m junkan.model.schema``) and a
test keeps the two in sync.

Identifiers are kept in OpenAlex's short form (``W2741809807``, ``A5023888391``, ``I136199984``,
``S137773608``, ``T10001``, ``F4320306076``), without the ``https://openalex.org/`` prefix, as VARCHAR so
that records from other sources (Scopus, Web of Science) can live in the same tables. Country codes
are kept exactly as given by the source (ISO 3166-1 alpha-2); mappings such as Hong Kong/Macao → China
are query-time options (``junkan.model.countries``), never ingest-time edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "Column",
    "Table",
    "arrow_schema",
    "render_markdown",
]

#: Bumped whenever a table or column changes meaning or type. Readers refuse other major versions.
SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Column:
    """One column: DuckDB type, meaning and the JSON path of its source."""

    name: str
    type: str
    doc: str
    source: str = ""
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """One table of the store."""

    name: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    entity: str = "works"  # which input entity fills it
    notes: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Column

WORKS = Table(
    "works",
    "One row per work (latest version wins when several inputs hold the same id).",
    key=("work_id",),
    columns=(
        C("work_id", "VARCHAR", "Work id, short form (W…).", "id", nullable=False),
        C("doi", "VARCHAR", "DOI, lower case, without the https://doi.org/ prefix.", "doi"),
        C("title", "VARCHAR", "Title.", "title (else display_name)"),
        C("publication_year", "INTEGER", "Publication year.", "publication_year"),
        C("publication_date", "DATE", "Publication date.", "publication_date"),
        C("type", "VARCHAR", "OpenAlex work type (article, review, book-chapter, …).", "type"),
        C("language", "VARCHAR", "ISO 639-1 language code.", "language"),
        C("source_id", "VARCHAR", "Venue of the primary location (S…).", "primary_location.source.id"),
        C("source_type", "VARCHAR", "Venue type (journal, conference, repository, …).", "primary_location.source.type"),
        C("is_retracted", "BOOLEAN", "Retracted.", "is_retracted"),
        C("is_paratext", "BOOLEAN", "Front matter, table of contents and similar.", "is_paratext"),
        C("topic_id", "VARCHAR", "Primary topic (T…).", "primary_topic.id"),
        C("subfield_id", "INTEGER", "Subfield of the primary topic (ASJC-like code, e.g. 2308).", "primary_topic.subfield.id"),
        C("field_id", "INTEGER", "Field of the primary topic (one of 26, e.g. 23).", "primary_topic.field.id"),
        C("domain_id", "INTEGER", "Domain of the primary topic (1–4).", "primary_topic.domain.id"),
        C("cited_by_count", "BIGINT", "Citations as reported by the source at its snapshot date (not windowed).", "cited_by_count"),
        C("referenced_works_count", "INTEGER", "Number of references as reported.", "referenced_works_count"),
        C("authors_count", "INTEGER", "Number of authorships in the record.", "len(authorships)"),
        C("countries_distinct_count", "INTEGER", "Reported by the source; kept for cross-checks.", "countries_distinct_count"),
        C("institutions_distinct_count", "INTEGER", "Reported by the source; kept for cross-checks.", "institutions_distinct_count"),
        C("oa_fwci", "DOUBLE", "OpenAlex's own FWCI (reported value, not recomputed).", "fwci"),
        C("oa_citation_percentile", "DOUBLE", "OpenAlex's own normalised percentile (reported).", "citation_normalized_percentile.value"),
        C("oa_is_top_10_percent", "BOOLEAN", "OpenAlex's own top-10% flag (reported).", "citation_normalized_percentile.is_in_top_10_percent"),
        C("oa_is_top_1_percent", "BOOLEAN", "OpenAlex's own top-1% flag (reported).", "citation_normalized_percentile.is_in_top_1_percent"),
        C("updated_date", "TIMESTAMP", "Last update of the record at the source.", "updated_date"),
        C("data_source", "VARCHAR", "Where the record came from (openalex, scopus, wos, …).", "(set by the reader)", nullable=False),
        C("input_id", "INTEGER", "Index of the input file in manifest.json `inputs` that supplied this version.", "(set by the reader)", nullable=False),
    ),
)

AUTHORSHIPS = Table(
    "authorships",
    "One row per authorship (author slot) of a work.",
    key=("work_id", "author_position"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("author_position", "INTEGER", "0-based order of the authorship in the record.", "index in authorships[]", nullable=False),
        C("author_position_label", "VARCHAR", "first, middle or last, as reported.", "authorships[].author_position"),
        C("author_id", "VARCHAR", "Author id (A…); null when the source has none.", "authorships[].author.id"),
        C("author_name", "VARCHAR", "Display name of the author.", "authorships[].author.display_name"),
        C("orcid", "VARCHAR", "ORCID iD (0000-0000-0000-0000), without URL prefix.", "authorships[].author.orcid"),
        C("is_corresponding", "BOOLEAN", "Corresponding author flag.", "authorships[].is_corresponding"),
        C("raw_author_name", "VARCHAR", "Author name as printed.", "authorships[].raw_author_name"),
        C("raw_affiliation_strings", "VARCHAR[]", "Affiliation strings as printed.", "authorships[].raw_affiliation_strings"),
    ),
)

AUTHORSHIP_INSTITUTIONS = Table(
    "authorship_institutions",
    "Institutions matched to an authorship (one row per pair).",
    key=("work_id", "author_position", "institution_id"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("author_position", "INTEGER", "0-based authorship order.", "index in authorships[]", nullable=False),
        C("institution_id", "VARCHAR", "Institution id (I…).", "authorships[].institutions[].id", nullable=False),
    ),
)

AUTHORSHIP_COUNTRIES = Table(
    "authorship_countries",
    "Countries of an authorship as reported by the source (one row per pair).",
    key=("work_id", "author_position", "country_code"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("author_position", "INTEGER", "0-based authorship order.", "index in authorships[]", nullable=False),
        C("country_code", "VARCHAR", "ISO 3166-1 alpha-2 code, as given.", "authorships[].countries[]", nullable=False),
    ),
)

INSTITUTIONS = Table(
    "institutions",
    "Institutions seen in works (or institution entities); latest version wins.",
    key=("institution_id",),
    columns=(
        C("institution_id", "VARCHAR", "Institution id (I…).", "authorships[].institutions[].id", nullable=False),
        C("ror", "VARCHAR", "ROR id without URL prefix.", "authorships[].institutions[].ror"),
        C("display_name", "VARCHAR", "Name.", "authorships[].institutions[].display_name"),
        C("country_code", "VARCHAR", "ISO 3166-1 alpha-2 code, as given (may be null).", "authorships[].institutions[].country_code"),
        C("type", "VARCHAR", "education, healthcare, company, government, facility, nonprofit, …", "authorships[].institutions[].type"),
        C("lineage", "VARCHAR[]", "Ids of the institution and its parents.", "authorships[].institutions[].lineage"),
    ),
)

SOURCES = Table(
    "sources",
    "Venues (journals, conferences, repositories) seen as primary locations.",
    key=("source_id",),
    columns=(
        C("source_id", "VARCHAR", "Source id (S…).", "primary_location.source.id", nullable=False),
        C("display_name", "VARCHAR", "Name.", "primary_location.source.display_name"),
        C("issn_l", "VARCHAR", "Linking ISSN.", "primary_location.source.issn_l"),
        C("type", "VARCHAR", "journal, conference, repository, ebook platform, book series.", "primary_location.source.type"),
        C("is_core", "BOOLEAN", "OpenAlex's own core-source flag (reported).", "primary_location.source.is_core"),
    ),
)

REFERENCES = Table(
    "references",
    "Citation links: one row per distinct (citing, cited) pair from the citing work's reference list.",
    key=("work_id", "cited_work_id"),
    columns=(
        C("work_id", "VARCHAR", "Citing work id.", "id", nullable=False),
        C("cited_work_id", "VARCHAR", "Cited work id (may point outside the store).", "referenced_works[]", nullable=False),
    ),
)

WORK_TOPICS = Table(
    "work_topics",
    "Topics assigned to a work, with scores (primary topic flagged).",
    key=("work_id", "topic_id"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("topic_id", "VARCHAR", "Topic id (T…).", "topics[].id", nullable=False),
        C("score", "DOUBLE", "Classifier score.", "topics[].score"),
        C("is_primary", "BOOLEAN", "The topic is the primary topic.", "topics[].id = primary_topic.id"),
    ),
)

TOPICS = Table(
    "topics",
    "Topic hierarchy (topic → subfield → field → domain) as seen in works.",
    key=("topic_id",),
    columns=(
        C("topic_id", "VARCHAR", "Topic id (T…).", "topics[].id", nullable=False),
        C("display_name", "VARCHAR", "Topic name.", "topics[].display_name"),
        C("subfield_id", "INTEGER", "Subfield code.", "topics[].subfield.id"),
        C("subfield_name", "VARCHAR", "Subfield name.", "topics[].subfield.display_name"),
        C("field_id", "INTEGER", "Field code.", "topics[].field.id"),
        C("field_name", "VARCHAR", "Field name.", "topics[].field.display_name"),
        C("domain_id", "INTEGER", "Domain code.", "topics[].domain.id"),
        C("domain_name", "VARCHAR", "Domain name.", "topics[].domain.display_name"),
    ),
)

WORK_FUNDERS = Table(
    "work_funders",
    "Funders acknowledged by a work.",
    key=("work_id", "funder_id"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("funder_id", "VARCHAR", "Funder id (F…); null when the source names the funder without an id (Scopus, Web of Science exports).", "funders[].id"),
        C("funder_name", "VARCHAR", "Funder name.", "funders[].display_name"),
        C("ror", "VARCHAR", "Funder ROR id without URL prefix.", "funders[].ror"),
    ),
)

WORK_AWARDS = Table(
    "work_awards",
    "Grants/awards acknowledged by a work.",
    key=("work_id", "award_key"),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "id", nullable=False),
        C("award_key", "VARCHAR", "Award id (G…) when given, else funder id + award number.", "awards[].id", nullable=False),
        C("funder_id", "VARCHAR", "Funder id (F…).", "awards[].funder_id"),
        C("funder_name", "VARCHAR", "Funder name.", "awards[].funder_display_name"),
        C("funder_award_id", "VARCHAR", "The funder's own award number.", "awards[].funder_award_id"),
        C("display_name", "VARCHAR", "Award title.", "awards[].display_name"),
    ),
)

WORK_FUNDING_TEXTS = Table(
    "work_funding_texts",
    "Funding acknowledgement text as printed by an export (Scopus Funding Texts, Web of Science FX); empty for OpenAlex.",
    key=("work_id",),
    columns=(
        C("work_id", "VARCHAR", "Work id.", "(export readers)", nullable=False),
        C("funding_text", "VARCHAR", "The funding text as printed.", "Scopus `Funding Texts`/`Funding Text 1…`; WoS `FX`", nullable=False),
    ),
)

AUTHORS = Table(
    "authors",
    "Author entities (from OpenAlex author records when ingested).",
    key=("author_id",),
    entity="authors",
    columns=(
        C("author_id", "VARCHAR", "Author id (A…).", "id", nullable=False),
        C("orcid", "VARCHAR", "ORCID iD without URL prefix.", "orcid"),
        C("display_name", "VARCHAR", "Name.", "display_name"),
        C("works_count", "INTEGER", "Works count as reported.", "works_count"),
        C("cited_by_count", "BIGINT", "Citations as reported.", "cited_by_count"),
        C("updated_date", "TIMESTAMP", "Last update at the source.", "updated_date"),
        C("input_id", "INTEGER", "Index of the input in manifest.json `inputs`.", "(set by the reader)", nullable=False),
    ),
)

AUTHOR_AFFILIATIONS = Table(
    "author_affiliations",
    "Affiliation history of author entities: one row per (author, institution, year).",
    key=("author_id", "institution_id", "year"),
    entity="authors",
    columns=(
        C("author_id", "VARCHAR", "Author id.", "id", nullable=False),
        C("institution_id", "VARCHAR", "Institution id.", "affiliations[].institution.id", nullable=False),
        C("country_code", "VARCHAR", "Institution country, as given.", "affiliations[].institution.country_code"),
        C("year", "INTEGER", "A year the author is affiliated there.", "affiliations[].years[]", nullable=False),
    ),
)

WORK_SOURCES = Table(
    "work_sources",
    "Every source record (OpenAlex, Web of Science, Scopus, OpenAlex CSV) that became a work, and how it was matched "
    "(written by junkan.sources.merge; a store built only by `ingest openalex` has no rows: each work is its own record).",
    key=("data_source", "source_record_id"),
    entity="merged",
    columns=(
        C("work_id", "VARCHAR", "The canonical work id the record became.", "(set by the merger)", nullable=False),
        C("data_source", "VARCHAR", "Source of the record (openalex, wos, scopus, openalex-csv).", "(set by the reader)", nullable=False),
        C("source_record_id", "VARCHAR", "The record's own id (W…, WOS:…, Scopus EID).", "(set by the reader)", nullable=False),
        C("input_id", "INTEGER", "Index of the input file in manifest.json `inputs`.", "(set by the merger)"),
        C("matched_by", "VARCHAR", "How the record joined the work: canonical (it gives the id), id, doi or title-key.", "(set by the merger)", nullable=False),
    ),
)

FIELD_PROVENANCE = Table(
    "field_provenance",
    "Which source record supplied each field of a work described by two or more records (works columns by name; "
    "authorships, work_topics, work_funders, work_awards and references as whole lists). Works with one record "
    "have no rows: every field comes from `works.data_source`.",
    key=("work_id", "field"),
    entity="merged",
    columns=(
        C("work_id", "VARCHAR", "Work id.", "(set by the merger)", nullable=False),
        C("field", "VARCHAR", "A works column, or a list: authorships, work_topics, work_funders, work_awards, references.", "(set by the merger)", nullable=False),
        C("data_source", "VARCHAR", "Source that supplied it.", "(set by the merger)", nullable=False),
        C("source_record_id", "VARCHAR", "Record that supplied it.", "(set by the merger)", nullable=False),
    ),
)

WORK_BIBLIO = Table(
    "work_biblio",
    "Bibliographic locator of a work as printed by an export or in OpenAlex `biblio` (used to match cited "
    "references by author, year, source, volume and page, and by the page-count filter `min_pages`).",
    key=("work_id",),
    entity="works and export",
    columns=(
        C("work_id", "VARCHAR", "Work id.", "(set by the reader)", nullable=False),
        C("volume", "VARCHAR", "Volume.", "VL / Volume / biblio.volume"),
        C("issue", "VARCHAR", "Issue.", "IS / Issue / biblio.issue"),
        C("first_page", "VARCHAR", "First page (or article number).", "BP / Page start / biblio.first_page"),
        C("last_page", "VARCHAR", "Last page.", "EP / Page end / biblio.last_page"),
        C("source_title", "VARCHAR", "Source (journal) title as printed.", "SO / Source title"),
        C("source_abbreviation", "VARCHAR", "Abbreviated source title (WoS J9, Scopus abbreviated source title).", "J9 / Abbreviated Source Title"),
    ),
)

CITED_REFERENCES = Table(
    "cited_references",
    "Cited references as printed in exports, with the work each was matched to (doi, key or a synthetic R: id); "
    "`references` holds the resulting distinct (citing, cited) links.",
    key=("data_source", "source_record_id", "ordinal"),
    entity="export",
    columns=(
        C("work_id", "VARCHAR", "Canonical id of the citing work.", "(set by the merger)", nullable=False),
        C("data_source", "VARCHAR", "Source of the citing record.", "(set by the reader)", nullable=False),
        C("source_record_id", "VARCHAR", "Id of the citing record in its source.", "(set by the reader)", nullable=False),
        C("ordinal", "INTEGER", "0-based position in the record's reference list.", "(set by the reader)", nullable=False),
        C("raw", "VARCHAR", "The reference as printed.", "CR / References"),
        C("doi", "VARCHAR", "DOI of the cited item (lower case), when printed.", "(parsed)"),
        C("first_author", "VARCHAR", "First author as printed.", "(parsed)"),
        C("year", "INTEGER", "Year.", "(parsed)"),
        C("source_title", "VARCHAR", "Source title as printed (abbreviated in WoS).", "(parsed)"),
        C("volume", "VARCHAR", "Volume.", "(parsed)"),
        C("first_page", "VARCHAR", "First page.", "(parsed)"),
        C("title", "VARCHAR", "Cited title, when the format prints it (Scopus).", "(parsed)"),
        C("cited_work_id", "VARCHAR", "The matched work id, or a synthetic `R:` id from the normalised key.", "(set by the merger)", nullable=False),
        C("matched_by", "VARCHAR", "doi, key or synthetic.", "(set by the merger)", nullable=False),
    ),
)

ADDRESS_AUDIT = Table(
    "address_audit",
    "Every address → country decision of the export readers (which string gave which country, by which rule), "
    "kept by the merger for each record of a work.",
    key=("data_source", "source_record_id", "author_position", "address"),
    entity="export",
    columns=(
        C("work_id", "VARCHAR", "Canonical id of the work.", "(set by the merger)", nullable=False),
        C("data_source", "VARCHAR", "Source of the record.", "(set by the reader)", nullable=False),
        C("source_record_id", "VARCHAR", "Id of the record in its source.", "(set by the reader)", nullable=False),
        C("author_position", "INTEGER", "0-based author position; null for an address not tied to an author.", "(set by the reader)"),
        C("address", "VARCHAR", "The address as printed.", "C1 / Affiliations"),
        C("matched", "VARCHAR", "The part of the address that decided the country.", "(set by the reader)"),
        C("country_code", "VARCHAR", "ISO 3166-1 alpha-2; null when no country could be attributed.", "(set by the reader)"),
        C("rule", "VARCHAR", "Which rule decided (alias, us-state, override, none, …).", "(set by the reader)"),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Rejected input records, kept with the reason (read = kept + rejected).",
    key=("input_id", "line"),
    entity="any",
    columns=(
        C("input_id", "INTEGER", "Index of the input in manifest.json `inputs`.", "(set by the reader)", nullable=False),
        C("file", "VARCHAR", "Input file path.", "(set by the reader)", nullable=False),
        C("line", "BIGINT", "1-based line number (record number for JSON arrays and API pages).", "(set by the reader)"),
        C("record_id", "VARCHAR", "Record id when it could be read.", "id"),
        C("field", "VARCHAR", "Offending field path, when known.", "(set by the reader)"),
        C("reason", "VARCHAR", "Why the record was rejected.", "(set by the reader)", nullable=False),
        C("raw", "VARCHAR", "The raw record text.", "(set by the reader)"),
    ),
)

#: All tables of a store, in documentation order.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        WORKS,
        AUTHORSHIPS,
        AUTHORSHIP_INSTITUTIONS,
        AUTHORSHIP_COUNTRIES,
        INSTITUTIONS,
        SOURCES,
        REFERENCES,
        WORK_TOPICS,
        TOPICS,
        WORK_FUNDERS,
        WORK_AWARDS,
        WORK_FUNDING_TEXTS,
        AUTHORS,
        AUTHOR_AFFILIATIONS,
        WORK_SOURCES,
        FIELD_PROVENANCE,
        WORK_BIBLIO,
        CITED_REFERENCES,
        ADDRESS_AUDIT,
        QUARANTINE,
    )
}

_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(table: str | Table) -> pa.Schema:
    """The Arrow schema of a store table."""
    t = TABLES[table] if isinstance(table, str) else table
    return pa.schema([pa.field(c.name, _ARROW[c.type], nullable=c.nullable) for c in t.columns])


def render_markdown() -> str:
    """``docs/schema.md``: every table with its columns, types, keys, meaning and JSON path."""
    out = [
        "# Store schema",
        "",
        "<!-- Generated by `python -m junkan.model.schema > docs/schema.md`; do not edit by hand. -->",
        "",
        f"Schema version **{SCHEMA_VERSION}**. A store is a folder `STORE/` with `CURRENT` (the name of the",
        "published version) and `versions/<name>/`, which holds one Parquet file per table below and",
        "`manifest.json` (schema version, inputs with SHA-256 checksums, row counts, read/kept/rejected",
        "counts, creation time, junkan version, content hash). Identifiers use OpenAlex's short form",
        "(`W…`, `A…`, `I…`, `S…`, `T…`, `F…`). Country codes are kept as the source gives them; mappings",
        "such as Hong Kong/Macao → China are query-time options (`junkan.model.countries`).",
        "",
    ]
    for t in TABLES.values():
        out += [f"## `{t.name}`", "", t.doc, "", f"Key: `({', '.join(t.key)})`. Filled from: {t.entity} records.", ""]
        out += ["| column | type | null | meaning | JSON path |", "|---|---|---|---|---|"]
        for c in t.columns:
            out.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {c.doc} | `{c.source}` |"
            )
        out += [*t.notes, ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(render_markdown(), end="")
