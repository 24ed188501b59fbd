"""Keep the documents' catalogs in step with the code (a maintainer's tool, not part of bpquiz).

    python tools/catalogs.py            # extract the messages, update every locale/*.po

It runs `pybabel extract` (Babel) over the package and templates into locale/messages.pot and
merges that into each language's catalog: new messages appear untranslated (empty msgstr), old
ones are marked obsolete. tests/test_languages.py fails while any message lacks a translation.
To add a language, copy messages.pot to locale/<code>.po, set `Language: <code>`, translate.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "bpquiz" / "documents" / "locale"


def main() -> int:
    pot = LOCALE / "messages.pot"
    babel = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run([*babel, "extract", "-F", str(ROOT / "babel.cfg"), "-k", "Label", "-k", "N_",
                    "--no-location", "--sort-output", "--no-wrap", "-o", str(pot), str(ROOT)],
                   check=True)  # fmt: skip
    for po in sorted(LOCALE.glob("*.po")):
        subprocess.run([*babel, "update", "-i", str(pot), "-o", str(po), "-l", po.stem,
                        "--no-wrap", "--ignore-obsolete"], check=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
