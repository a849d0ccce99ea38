"""Programme cohort evaluation (METHODS.md §7): read a cohort file, resolve members to store authors, compare
their output before / during / after the fellowship with the national average and with matched controls
(difference in differences with a seeded bootstrap interval). See ``docs/cohort.md``."""

from __future__ import annotations

from junkan.cohort._evaluate import METRICS, CohortResult, evaluate, resolve, resolve_hosts
from junkan.cohort._read import COLUMNS, Cohort, Problem, normalize_author_id, normalize_orcid, read_cohort

__all__ = [
    "COLUMNS",
    "METRICS",
    "Cohort",
    "CohortResult",
    "Problem",
    "evaluate",
    "normalize_author_id",
    "normalize_orcid",
    "read_cohort",
    "resolve",
    "resolve_hosts",
]
