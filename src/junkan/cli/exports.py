"""``junkan ingest scopus|wos|openalex-csv`` and ``junkan merge``: bibliographic exports into the store."""

from __future__ import annotations
