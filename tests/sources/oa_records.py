"""Small OpenAlex-shaped records for ingest tests (the real schema, minimal content)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any


def work(i: int, *, year: int = 2020, updated: str = "2024-01-01T00:00:00", countries: tuple[str, ...] = ("JP", "US"), refs: tuple[int, ...] = (), title: str | None = None) -> dict[str, Any]:
    auths = []
    for k, cc in enumerate(countries):
        auths.append(
            {
                "author_position": "first" if k == 0 else "middle",
                "author": {"id": f"https://openalex.org/A{1000 + k}", "display_name": f"Author {k}", "orcid": None},
                "institutions": [
                    {
                        "id": f"https://openalex.org/I{100 + k}",
                        "display_name": f"Univ {cc}",
                        "ror": f"https://ror.org/0{k}abc",
                        "country_code": cc,
                        "type": "education",
                        "lineage": [f"https://openalex.org/I{100 + k}"],
                    }
                ],
                "countries": [cc],
                "is_corresponding": k == 0,
                "raw_author_name": f"Author {k}",
                "raw_affiliation_strings": [f"Univ {cc}"],
            }
        )
    return {
        "id": f"https://openalex.org/W{i}",
        "doi": f"https://doi.org/10.1/{i}",
        "title": title or f"Work {i}",
        "publication_year": year,
        "publication_date": f"{year}-01-01",
        "type": "article",
        "language": "en",
        "primary_location": {"source": {"id": "https://openalex.org/S1", "display_name": "J", "issn_l": None, "type": "journal", "is_core": True}},
        "authorships": auths,
        "countries_distinct_count": len(set(countries)),
        "institutions_distinct_count": len(countries),
        "cited_by_count": 0,
        "is_retracted": False,
        "is_paratext": False,
        "primary_topic": {
            "id": "https://openalex.org/T1",
            "display_name": "Topic",
            "score": 0.9,
            "subfield": {"id": "https://openalex.org/subfields/2308", "display_name": "S"},
            "field": {"id": "https://openalex.org/fields/23", "display_name": "F"},
            "domain": {"id": "https://openalex.org/domains/3", "display_name": "D"},
        },
        "topics": [],
        "referenced_works": [f"https://openalex.org/W{r}" for r in refs],
        "referenced_works_count": len(refs),
        "funders": [],
        "awards": [],
        "updated_date": updated,
        "abstract_inverted_index": {"word": [0]},
    }


def write_jsonl(path: Path, records: list[Any], *, gz: bool = False, raw_lines: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) for r in records] + list(raw_lines or [])
    data = ("\n".join(lines) + "\n").encode() if lines else b""
    if gz:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path
