"""The one exception family of bpquiz: a problem the user can fix, told in one line.

Library code raises a `BpquizError` (or a subclass that says which stage found it) with a message
that names the file, row, field or option and what was expected; `bpquiz.cli.main` catches the
family once and prints `error: <message>`, exit code 2. Nothing else is caught there: any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class BpquizError(Exception):
    """A problem with the user's input or setup; `str(e)` is the whole one-line message."""


class GivenError(BpquizError):
    """A given value is missing, unknown or not a finite number."""


class ExerciseError(BpquizError):
    """An exercise option or combination of options is invalid."""


class KeyFileError(BpquizError):
    """key.json is not a bpquiz key, or does not agree with itself."""


class DrawError(BpquizError):
    """No acceptable variant within the draw limit (e.g. a learning rate that spoils every draw)."""


class PolicyError(BpquizError):
    """A grading setting is out of range."""


class GenerateError(BpquizError):
    """A problem with generate's input: roster, options, output folder."""


class GradeError(BpquizError):
    """A problem with grade's input that stops the run before anything is written."""


class ExportError(BpquizError):
    """An export's options do not fit the key, or cannot be said in the LMS's format."""


class Interrupted(BpquizError):
    """The user pressed Ctrl-C; the message says what was finished (exit code 130)."""

    exit_code = 130


@contextmanager
def located(where: object) -> Iterator[None]:
    """Prefix the message of a BpquizError raised inside with `where: ` (a file name, an option).

    Keeps the class, so that a KeyFileError read from a file is still a KeyFileError.
    """
    try:
        yield
    except BpquizError as e:
        raise type(e)(f"{where}: {e}") from None
