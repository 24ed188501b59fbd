"""The README's promises: its commands are the ones CI runs, its sessions are real."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
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


def session(command: str) -> list[str]:
    """The output lines the README shows under `$ command`, up to the next prompt, `...` or
    fence."""
    block = README.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    lines = []
    for line in block.splitlines():
        if line.startswith("$ ") or line.strip() == "...":
            break
        lines.append(line.rstrip())
    return lines


def run(command: str, tmp_path: Path) -> list[str]:
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
    args = shlex.split(command)
    done = subprocess.run(
        [sys.executable, "-m", "bpquiz", *args[1:]],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]


def test_readme_solve_session_is_real(tmp_path):
    """The README's `bpquiz solve --example` session is what the command prints (as far as
    shown)."""
    shown = session("bpquiz solve --example")
    assert len(shown) > 20
    assert run("bpquiz solve --example", tmp_path)[: len(shown)] == shown


def test_readme_bad_given_session_is_real(tmp_path):
    """The README's broken.json example: a file missing w3 and learning_rate gives that one line."""
    given = json.loads((ROOT / "tests" / "data" / "article-example.json").read_text())["given"]
    del given["w3"], given["learning_rate"]
    (tmp_path / "broken.json").write_text(json.dumps(given))
    assert run("bpquiz solve --given broken.json", tmp_path) == session(
        "bpquiz solve --given broken.json"
    )


def test_readme_options_session_is_real(tmp_path):
    """The README's `solve` session with exercise options is what the command prints."""
    command = "bpquiz solve --shape 2-3-2 --hidden-act tanh --update-biases --second-pass --seed 7"
    shown = session(command)
    assert len(shown) > 15
    assert run(command, tmp_path)[: len(shown)] == shown


def test_readme_course_file_makes_a_class_set(tmp_path):
    """The README's course.toml is accepted as written by `generate --exercise`."""
    toml = README.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "course.toml").write_text(toml, encoding="utf-8")
    run("bpquiz generate --n 2 --exercise course.toml --out run -q --jobs 1", tmp_path)
    key = json.loads((tmp_path / "run" / "key.json").read_text())
    assert key["exercise"]["hidden"] == "tanh" and key["exercise"]["second_pass"] is True
    assert "E_total_after" in key["exercise"]["ask"] and key["settings"]["course"] == "ML 101"
