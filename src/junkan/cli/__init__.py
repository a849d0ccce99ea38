"""The ``junkan`` command (Typer + Rich). Only the CLI prints; the library logs.

Errors: a :class:`~junkan.errors.JunkanError` prints one line and exits with code 1; ``--debug`` shows
the traceback. Every command has ``--help``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from junkan import __version__
from junkan.errors import JunkanError

__all__ = ["app", "main"]

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="junkan",
    help="junkan (循環): an open observatory of international brain circulation. "
    "Ingest OpenAlex (or exports), compute indicators, mobility and science maps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state: dict[str, Any] = {"debug": False, "quiet": False}


def _version(value: bool) -> None:
    if value:
        console.print(f"junkan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors; no progress bars."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    _state["debug"] = debug
    _state["quiet"] = quiet
    level = logging.ERROR if quiet else (logging.DEBUG if verbose >= 2 or debug else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=debug)],
        force=True,
    )
    for noisy in ("py4j", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@contextmanager
def progress_bar(description: str) -> Any:
    """A Rich progress bar; yields ``update(stage, done, total)`` (a no-op under --quiet)."""
    if _state["quiet"]:
        yield lambda *a: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{description}: {stage}", total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def run_guarded(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except JunkanError as exc:
        if _state["debug"]:
            raise
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except KeyboardInterrupt:
        err_console.print("interrupted; the previously published store version is unchanged")
        raise typer.Exit(130) from None
    except Exception as exc:  # out of memory in any execution → a clear ResourceError (issue 11), else a bug
        from junkan.engine import resource_error

        mapped = resource_error(exc)
        if mapped is None or _state["debug"]:
            raise
        fail(str(mapped))


def build_command() -> Any:
    """The whole ``junkan`` command tree as a Click command (Typer commands plus generated indicator commands)."""
    from junkan.cli import brief, commands, evaluations, exports, fetch, maps, web  # noqa: F401  (register the commands)
    from junkan.cli.indicators import register_indicators

    register_indicators(app)
    return typer.main.get_command(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``junkan`` console script."""
    try:
        build_command()(args=argv, standalone_mode=True, prog_name="junkan")
    except JunkanError as exc:  # raised under --debug
        if _state["debug"]:
            raise
        fail(str(exc))
    except SystemExit:
        raise
    except Exception:
        if _state["debug"] or "--debug" in (argv or sys.argv):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {sys.exc_info()[1]!r} (rerun with --debug for the traceback; please report it)",
            highlight=False,
        )
        raise SystemExit(1) from None
