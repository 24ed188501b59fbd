"""The `bpquiz` command: thin typer commands that call the library, one module per command.

Errors a user can cause (a bad file, a bad option value) end in one line on stderr and exit code 2,
never a traceback: the library raises a `bpquiz.errors.BpquizError`, and `main()` alone prints it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import BpquizError, Interrupted
from .console import err

app = typer.Typer(
    name="bpquiz",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def version_callback(value: bool) -> None:
    if value:
        print(f"bpquiz {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """One backpropagation exercise per student: worksheets, worked solutions, automatic grading.

    A 2-2-2 sigmoid network (the article's), randomized per student: `generate` a class set,
    `solve` one variant, `grade` what comes back. `bpquiz COMMAND --help` shows examples.
    """


# The commands register themselves on `app`.
from . import export, generate, grade, solve  # noqa: E402, F401


def main() -> None:
    try:
        app()
    except Interrupted as e:  # Ctrl-C: what was finished and how to go on, not an error
        err.print(str(e), soft_wrap=True)
        sys.exit(e.exit_code)
    except BpquizError as e:
        err.print(f"[red]error:[/] {e}", soft_wrap=True)
        sys.exit(getattr(e, "exit_code", 2))
    except KeyboardInterrupt:  # Ctrl-C outside a batch (reading, planning): nothing half done
        err.print("interrupted", soft_wrap=True)
        sys.exit(130)
