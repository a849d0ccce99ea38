"""``junkan fetch``: download records from online sources (the OpenAlex API) into a store."""

from __future__ import annotations
