"""``junkan brief`` (the briefing deck and HTML report) and ``junkan stats`` (official statistics)."""

from __future__ import annotations
