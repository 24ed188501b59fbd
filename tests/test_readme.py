"""The README's promises: its commands are the ones CI runs, its sessions are real."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    """.ci/run contains the README's set-up-and-test command character for character."""
    test_command = next(b.strip() for b in shell_blocks() if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_main_command_generates_30():
    """The README's main command sets up and runs `bpquiz generate --n 30`."""
    main = next(b.strip() for b in shell_blocks() if "generate --n 30" in b)
    assert main.startswith("apt-get update") and "pip install ." in main
