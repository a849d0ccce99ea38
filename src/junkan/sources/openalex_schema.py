"""The part of the OpenAlex JSON record junkan reads, as one nested spec.

The same spec gives DuckDB's explicit ``read_json(columns=...)`` schema (never auto-detected: see
STACK.md §3) and the record validator used to locate bad records exactly (file, line, field). Fields of
the record not named here are ignored (OpenAlex adds fields over time; that is not an error).

A spec node is a DuckDB scalar type name (``"VARCHAR"``, ``"INTEGER"``, ...), a dict (a JSON object →
STRUCT) or a one-element list (a JSON array → LIST of that element).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

__all__ = ["AUTHOR_SPEC", "WORK_SPEC", "duckdb_columns", "validate"]

_INSTITUTION = {
    "id": "VARCHAR",
    "display_name": "VARCHAR",
    "ror": "VARCHAR",
    "country_code": "VARCHAR",
    "type": "VARCHAR",
    "lineage": ["VARCHAR"],
}
_TOPIC = {
    "id": "VARCHAR",
    "display_name": "VARCHAR",
    "score": "DOUBLE",
    "subfield": {"id": "VARCHAR", "display_name": "VARCHAR"},
    "field": {"id": "VARCHAR", "display_name": "VARCHAR"},
    "domain": {"id": "VARCHAR", "display_name": "VARCHAR"},
}

WORK_SPEC: dict[str, Any] = {
    "id": "VARCHAR",
    "doi": "VARCHAR",
    "title": "VARCHAR",
    "display_name": "VARCHAR",
    "publication_year": "INTEGER",
    "publication_date": "DATE",
    "type": "VARCHAR",
    "language": "VARCHAR",
    "primary_location": {
        "source": {
            "id": "VARCHAR",
            "display_name": "VARCHAR",
            "issn_l": "VARCHAR",
            "type": "VARCHAR",
            "is_core": "BOOLEAN",
        }
    },
    "authorships": [
        {
            "author_position": "VARCHAR",
            "author": {"id": "VARCHAR", "display_name": "VARCHAR", "orcid": "VARCHAR"},
            "institutions": [_INSTITUTION],
            "countries": ["VARCHAR"],
            "is_corresponding": "BOOLEAN",
            "raw_author_name": "VARCHAR",
            "raw_affiliation_strings": ["VARCHAR"],
        }
    ],
    "countries_distinct_count": "INTEGER",
    "institutions_distinct_count": "INTEGER",
    "fwci": "DOUBLE",
    "cited_by_count": "BIGINT",
    "citation_normalized_percentile": {
        "value": "DOUBLE",
        "is_in_top_1_percent": "BOOLEAN",
        "is_in_top_10_percent": "BOOLEAN",
    },
    "is_retracted": "BOOLEAN",
    "is_paratext": "BOOLEAN",
    "primary_topic": _TOPIC,
    "topics": [_TOPIC],
    "referenced_works": ["VARCHAR"],
    "referenced_works_count": "INTEGER",
    "funders": [{"id": "VARCHAR", "display_name": "VARCHAR", "ror": "VARCHAR"}],
    "awards": [
        {
            "id": "VARCHAR",
            "display_name": "VARCHAR",
            "funder_award_id": "VARCHAR",
            "funder_id": "VARCHAR",
            "funder_display_name": "VARCHAR",
        }
    ],
    "updated_date": "TIMESTAMP",
}

AUTHOR_SPEC: dict[str, Any] = {
    "id": "VARCHAR",
    "orcid": "VARCHAR",
    "display_name": "VARCHAR",
    "works_count": "INTEGER",
    "cited_by_count": "BIGINT",
    "affiliations": [{"institution": _INSTITUTION, "years": ["INTEGER"]}],
    "updated_date": "TIMESTAMP",
}


def _duck_type(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return f"{_duck_type(node[0])}[]"
    return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in node.items()) + ")"


def duckdb_columns(spec: dict[str, Any]) -> dict[str, str]:
    """The ``columns=`` argument of DuckDB's ``read_json`` for a spec."""
    return {k: _duck_type(v) for k, v in spec.items()}


_INT_LIMITS = {"INTEGER": 2**31 - 1, "BIGINT": 2**63 - 1}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _check_scalar(kind: str, value: Any) -> str | None:
    """None if DuckDB's reader converts ``value`` to ``kind``; else why not."""
    vk = _kind(value)
    if kind == "VARCHAR":  # DuckDB keeps any JSON value where text is expected (objects as JSON text)
        return None
    if vk in ("array", "object"):
        return f"expected {kind.lower()}, got {vk}"
    if kind in ("INTEGER", "BIGINT", "DOUBLE"):
        if vk == "boolean":
            return f"expected a number, got {vk}"
        if vk == "string":
            try:
                num = float(value)
            except ValueError:
                return f"expected a number, got string {value[:40]!r}"
        else:
            num = float(value)
        if kind != "DOUBLE" and (not math.isfinite(num) or abs(num) > _INT_LIMITS[kind]):
            return f"number {value!r} out of range for {kind.lower()}"
        return None
    if kind == "BOOLEAN":
        if vk == "boolean" or (vk == "string" and value.lower() in ("true", "false")):
            return None
        return f"expected true/false, got {vk} {str(value)[:40]!r}"
    if kind == "DATE":
        if vk != "string":
            return f"expected a date YYYY-MM-DD, got {vk}"
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"expected a date YYYY-MM-DD, got {value[:40]!r}"
        return None
    if kind == "TIMESTAMP":
        if vk != "string":
            return f"expected a timestamp, got {vk}"
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return f"expected a timestamp, got {value[:40]!r}"
        return None
    raise AssertionError(kind)  # pragma: no cover


def validate(record: Any, spec: dict[str, Any]) -> tuple[str, str] | None:
    """Check one parsed record against ``spec``.

    Returns ``None`` when the record is readable, else ``(field_path, reason)`` for the first problem,
    e.g. ``("authorships[2].institutions[0].country_code", "expected varchar, got object")``.
    """
    if not isinstance(record, dict):
        return ("", f"a record must be a JSON object, got {_kind(record)}")
    rid = record.get("id")
    if rid is None:
        return ("id", "the record has no id")
    if not isinstance(rid, str) or not rid:
        return ("id", f"id must be a non-empty string, got {_kind(rid)}")
    return _walk(record, spec, "")


def _walk(obj: Any, spec: Any, path: str) -> tuple[str, str] | None:
    if obj is None:
        return None
    if isinstance(spec, str):
        why = _check_scalar(spec, obj)
        return (path, why) if why else None
    if isinstance(spec, list):
        if not isinstance(obj, list):
            return (path, f"expected an array, got {_kind(obj)}")
        for i, item in enumerate(obj):
            bad = _walk(item, spec[0], f"{path}[{i}]")
            if bad:
                return bad
        return None
    if not isinstance(obj, dict):
        return (path, f"expected an object, got {_kind(obj)}")
    for key, sub in spec.items():
        if key in obj:
            bad = _walk(obj[key], sub, f"{path}.{key}" if path else key)
            if bad:
                return bad
    return None
