"""The one error hierarchy of junkan.

Every error raised on purpose by the library derives from :class:`JunkanError`. The CLI catches
``JunkanError`` and prints its one-line message (exit code 1); anything else is a bug and is shown
with a traceback only under ``--debug``.
"""

from __future__ import annotations

__all__ = [
    "BackendCapabilityError",
    "BadInputError",
    "ConfigError",
    "FetchError",
    "IngestError",
    "JunkanError",
    "ResourceError",
    "SimulationError",
    "StoreError",
    "StoreNotFoundError",
]


class JunkanError(Exception):
    """Base class of every error junkan raises on purpose."""


class ConfigError(JunkanError, ValueError):
    """An option or argument has a value junkan cannot use."""


class BadInputError(JunkanError):
    """An input record or file cannot be read.

    The message names the file, the line (1-based) and the field when they are known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        where = ", ".join(
            part
            for part in (
                file,
                f"line {line}" if line is not None else None,
                f"field {field!r}" if field else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class IngestError(JunkanError):
    """An ingest run could not complete (the previous store version stays published)."""


class FetchError(IngestError):
    """Records could not be fetched from an online source (the message names the page, cursor and URL).

    What was fetched before the error stays on disk, so the same command resumes; nothing is published.
    """

    def __init__(self, message: str, *, url: str | None = None, page: int | None = None, cursor: str | None = None) -> None:
        self.url = url
        self.page = page
        self.cursor = cursor
        where = ", ".join(p for p in (f"page {page}" if page is not None else None,
                                      f"cursor {cursor!r}" if cursor is not None else None) if p)
        super().__init__((f"{where}: {message}" if where else message) + (f"; URL: {url}" if url else ""))


class StoreError(JunkanError):
    """A store is missing, corrupted or of an unsupported schema version."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """No published store version exists at the given path."""


class BackendCapabilityError(JunkanError, NotImplementedError):
    """An operation is not supported by the chosen engine backend.

    Raised instead of silently computing a different result.
    """


class SimulationError(JunkanError):
    """The simulated world cannot be generated with the given parameters."""


class ResourceError(JunkanError):
    """A computation ran out of a machine resource (memory under the engine's memory limit).

    The message names the limit and what to change (a larger limit, a spill directory, fewer threads); the store
    is not at fault and is unchanged.
    """
