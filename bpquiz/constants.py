"""Names and defaults that several stages share, each written once."""

from __future__ import annotations

DEFAULT_TITLE = "Backpropagation exercise"  # translated in the documents (i18n catalogs)
DEFAULT_DECIMALS = 5
PAPERS = ("a4", "letter")
PAPER_NAMES = {"a4": "A4", "letter": "Letter"}
MAX_SHEETS = 5000  # per run

# The placeholder student whose documents the shared layouts (skeletons) are laid out from:
# a code, an ID and a name of the kinds every student's have, and none of their text.
NEUTRAL_CODE, NEUTRAL_ID, NEUTRAL_NAME = "XXXXXX", "Xx0", "Xx"

# The columns that say who and which sheet, before the step columns (contract.md).
IDENTITY_COLUMNS = ("student_id", "name", "version")

# A step's verdict, and how each is drawn: the charts' fill, and the badges' background and
# border (style.css gets its badge rules from here, through the documents' base template).
STATUSES = ("correct", "ecf", "imprecise", "wrong", "blank", "unreadable")
STATUS_COLOURS = {
    "correct": {"fill": "#4c9a52", "badge": "#e3f2e1", "border": "#2e7d32"},
    "ecf": {"fill": "#e0a030", "badge": "#fff3d6", "border": "#b7791f"},
    "imprecise": {"fill": "#5b8fc9", "badge": "#e2ecf8", "border": "#2f6aa8"},
    "wrong": {"fill": "#c94a4a", "badge": "#fbe3e3", "border": "#c62828"},
    "blank": {"fill": "#c8c8c8", "badge": "#eee", "border": "#666"},
    "unreadable": {"fill": "#8a8a8a", "badge": "#eee", "border": "#666"},
}
