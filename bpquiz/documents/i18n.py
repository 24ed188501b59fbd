"""The documents' languages: gettext catalogs, one file per language, and their number format.

A language is a catalog `locale/<code>.po` beside this module (gettext's PO format, read with
Babel and compiled in memory, so that adding a language is adding one file: copy `de.po`, set
its `Language:` header, translate each `msgstr`). English is the source text and needs no
catalog. Numbers take the language's decimal sign from Babel's locale data (0,25 in German,
French and Spanish). Step ids and CSV columns are not translated.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol

from ..errors import BpquizError

LOCALE = Path(__file__).resolve().parent / "locale"
SOURCE = "en"


def languages() -> tuple[str, ...]:
    """English and every language that has a catalog."""
    return (SOURCE, *sorted(p.stem for p in LOCALE.glob("*.po")))


def check(lang: str) -> str:
    """`lang` if it is a language the documents speak; else one line naming the known ones."""
    if lang not in languages():
        raise BpquizError(f"--lang: expected one of {', '.join(languages())}, got {lang!r}")
    return lang


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The language's catalog, compiled once per process (English: the source text itself)."""
    if lang == SOURCE:
        return gettext.NullTranslations()
    path = LOCALE / f"{check(lang)}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str):
    """The `_` of a language: a message id to its translation."""
    return translations(lang).gettext


@cache
def decimal_sign(lang: str) -> str:
    return get_decimal_symbol(lang)
