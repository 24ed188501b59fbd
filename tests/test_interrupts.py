"""Runs that stop early (issue 11 §3): Ctrl-C, a worker killed, a full disk, a read-only folder,
two runs in one folder. Each ends in one line, within two seconds, leaves no half-written file
and no folder that looks finished, and `generate --resume` completes what generate began."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bpquiz import lock
from bpquiz.errors import GenerateError
from bpquiz.generate import Settings, generate

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def start(*args) -> subprocess.Popen:
    """`bpquiz ARGS` in a session of its own (Ctrl-C goes to its whole process group)."""
    return subprocess.Popen([sys.executable, "-m", "bpquiz", *map(str, args)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpquiz", *map(str, args)], env=ENV,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def wait_for(folder: Path, pattern: str, count: int, process: subprocess.Popen) -> None:
    """Until `count` files match in `folder` (the run is well under way)."""
    deadline = time.monotonic() + 120
    while len(list(folder.glob(pattern))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def stopped(process: subprocess.Popen, how: int, pid: int | None = None) -> tuple[float, str]:
    """Send `how` (to the group, or to `pid`); the seconds until the process ended, its stderr."""
    began = time.monotonic()
    if pid is None:
        os.killpg(process.pid, how)
    else:
        os.kill(pid, how)
    _, err = process.communicate(timeout=60)
    return time.monotonic() - began, err


def no_half_written(folder: Path) -> None:
    assert not list(folder.rglob("*.tmp")), list(folder.rglob("*.tmp"))


def same_files(a: Path, b: Path) -> None:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_ctrl_c_in_generate_stops_at_once_and_resume_completes_the_run(tmp_path):
    """Ctrl-C while the worksheets are being written: exit 130 within 2 s, one line saying what
    was written and how to resume, no temporary file, no print file, the folder marked
    incomplete (a new run there is refused); `--resume` then writes the rest, and the folder is
    byte for byte what an uninterrupted run of the same key writes."""
    out = tmp_path / "run"
    process = start("generate", "--n", 60, "--jobs", 2, "--out", out, "-q")
    wait_for(out / "worksheets", "*.pdf", 3, process)
    seconds, err = stopped(process, signal.SIGINT)
    assert process.returncode == 130 and seconds < 2, (seconds, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("interrupted: ") and "--resume" in lines[0]
    no_half_written(out)
    assert not list(out.glob("print/*.pdf"))
    assert lock.found(out).state == "incomplete"
    again = cli("generate", "--n", 60, "--out", out)
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = cli("generate", "--resume", out, "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert lock.found(out) is None and len(list(out.glob("*/*.pdf"))) == 122
    whole = cli("generate", "--from-key", out / "key.json", "--out", tmp_path / "whole", "-q")
    assert whole.returncode == 0, whole.stderr
    same_files(out, tmp_path / "whole")


def test_a_killed_worker_is_one_line_naming_the_document_and_the_run_can_resume(tmp_path):
    """`kill -9` of a worker: one line naming the document it was making (no BrokenProcessPool
    traceback), exit 2 within 2 s, no temporary file; --resume completes the run."""
    out = tmp_path / "run"
    process = start("generate", "--n", 60, "--jobs", 2, "--out", out, "-q")
    wait_for(out / "worksheets", "*.pdf", 3, process)
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                              text=True).stdout.split()  # fmt: skip
    worker = next(int(c) for c in children if Path(f"/proc/{c}").exists())
    seconds, err = stopped(process, signal.SIGKILL, pid=worker)
    assert process.returncode == 2 and seconds < 2, (seconds, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "a worker process died while making the " in lines[0], err
    assert "Traceback" not in err and "--resume" in lines[0]
    no_half_written(out)
    assert cli("generate", "--resume", out, "-q").returncode == 0
    assert lock.found(out) is None and (out / "print" / "solutions.pdf").is_file()


def test_ctrl_c_in_grade_with_feedback_stops_at_once_and_a_rerun_finishes(tmp_path):
    """Ctrl-C while grade writes feedback: exit 130 within 2 s, one line, no gradebook (it is
    written last) and no temporary file; the same command again finishes, replacing the
    interrupted run's feedback (no duplicates)."""
    made = cli("generate", "--n", 80, "--out", tmp_path / "run", "-q")
    assert made.returncode == 0, made.stderr
    key = tmp_path / "run" / "key.json"
    template = tmp_path / "run" / "answers-template.csv"
    rows = template.read_text().splitlines()
    steps = len(rows[0].split(",")) - 3  # student_id, name, version, then a column per step
    filled = [rows[0]] + [",".join(row.split(",")[:3] + ["0.5"] * steps) for row in rows[1:]]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "answers.csv").write_text("\n".join(filled) + "\n")
    out = tmp_path / "graded"
    process = start("grade", tmp_path / "in", "--key", key, "--out", out, "--jobs", 2)
    wait_for(out / "feedback", "*.pdf", 2, process)
    seconds, err = stopped(process, signal.SIGINT)
    assert process.returncode == 130 and seconds < 2, (seconds, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "no gradebook written" in lines[0]
    assert not (out / "gradebook.csv").exists()
    no_half_written(out)
    again = cli("grade", tmp_path / "in", "--key", key, "--out", out)
    assert again.returncode == 0, again.stderr
    assert len(list((out / "feedback").glob("*.pdf"))) == 80 and lock.found(out) is None


def test_two_runs_into_one_folder_one_is_refused(tmp_path):
    """While a generate runs in a folder (its record names a live process), a second generate
    or grade there is refused in one line naming that process, and writes nothing."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out = tmp_path / "run"
        out.mkdir()
        import socket

        record = {"command": "generate", "pid": sleeper.pid, "host": socket.gethostname(),
                  "state": "running"}  # fmt: skip
        (out / lock.NAME).write_text(json.dumps(record))
        for args in (("generate", "--n", 2, "--out", out), ("generate", "--n", 2, "--out", out,
                     "--force")):  # fmt: skip
            r = cli(*args)
            assert r.returncode == 2 and f"process {sleeper.pid}" in r.stderr, r.stderr
        assert sorted(p.name for p in out.iterdir()) == [lock.NAME]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_two_runs_started_together_one_writes_the_folder(tmp_path):
    """Two generate runs started at once into one new folder: one finishes, the other is
    refused; the folder holds one run, whose key has every sheet of its print file."""
    out = tmp_path / "run"
    runs = [start("generate", "--n", 6, "--out", out, "-q", "--jobs", 1) for _ in range(2)]
    codes = sorted(r.wait(timeout=300) for r in runs)
    assert codes == [0, 2]
    key = json.loads((out / "key.json").read_text())
    assert len(list((out / "worksheets").glob("*.pdf"))) == 6
    assert {p.stem for p in (out / "worksheets").glob("*.pdf")} == {
        v["version"] for v in key["variants"]
    }


def test_a_full_disk_names_what_is_missing_and_resume_makes_it(tmp_path, monkeypatch):
    """Writes that fail with ENOSPC after 5 documents: the run reports each kind of failure
    with the sheets it struck, marks the folder incomplete, and, space freed, --resume makes
    exactly what is missing."""
    from bpquiz import pipeline

    real, count = pipeline.write_atomic, {"n": 0}

    def filling(path, data):
        count["n"] += 1
        if count["n"] > 5:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(pipeline, "write_atomic", filling)
    result = generate(Settings(n=4, seed=3), tmp_path, jobs=1)
    assert len(result.failed) == 3  # 4 worksheets and 1 solution went in
    assert {f.error for f in result.failed} <= {
        "solution not written: No space left on device",
        "worksheet not written: No space left on device",
    }
    record = lock.found(tmp_path)
    assert (
        record.state == "incomplete" and "4 of 4 worksheets and 1 of 4 solutions" in record.written
    )
    monkeypatch.setattr(pipeline, "write_atomic", real)
    with pytest.raises(GenerateError, match="--resume"):
        generate(Settings(n=4, seed=3), tmp_path, jobs=1)
    from bpquiz.generate import from_key
    from bpquiz.grade import load_key

    settings, planned = from_key(load_key(tmp_path / "key.json"))
    done = generate(settings, tmp_path, jobs=1, planned=planned, resume=True)
    assert not done.failed and lock.found(tmp_path) is None
    assert len(list((tmp_path / "solutions").glob("*.pdf"))) == 4


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder no write can go into: a read-only tmpfs where we may mount one (root), else a
    folder without write permission; skipped where neither holds."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                                  str(folder)], capture_output=True)  # fmt: skip
        if mounted.returncode != 0:
            pytest.skip("root, and no read-only mount here")
    else:
        folder.chmod(0o555)
    return folder


def test_a_read_only_output_folder_is_one_line(tmp_path):
    """generate, grade and solve --pdf into a read-only folder: one line naming the folder and
    the system's reason, exit 2, no traceback."""
    made = cli("generate", "--n", 1, "--out", tmp_path / "run", "-q")
    assert made.returncode == 0
    folder = _read_only_folder(tmp_path)
    try:
        for args in (
            ("generate", "--n", 2, "--out", folder / "run"),
            ("grade", tmp_path / "run" / "answers-template.csv", "--key",
             tmp_path / "run" / "key.json", "--out", folder / "g"),
            ("solve", "--seed", 1, "--pdf", folder / "x.pdf"),
        ):  # fmt: skip
            r = cli(*args)
            assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
            lines = [line for line in r.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and str(folder) in lines[0], lines
            assert "Read-only" in lines[0] or "Permission denied" in lines[0], lines
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)
        else:
            folder.chmod(0o755)
