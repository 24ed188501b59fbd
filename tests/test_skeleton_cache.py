"""Skeletons kept between runs: same files with or without, damaged entries rebuilt, key."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bpquiz.documents import render, skeleton_cache, stamping
from bpquiz.generate import Settings, from_key, generate
from bpquiz.grade import load_key


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def again(run: Path, out: Path) -> None:
    """The run in `run` made again from its key (the same sheets, secret and so codes)."""
    settings, planned = from_key(load_key(run / "key.json"))
    generate(settings, out, jobs=1, planned=planned)


@pytest.fixture
def builds(monkeypatch):
    """Counts the skeletons built (not taken from the cache)."""
    count = []
    real = stamping.render_skeleton

    def counted(*args, **kwargs):
        count.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(stamping, "render_skeleton", counted)
    return count


def test_a_kept_skeleton_gives_the_same_files(tmp_path, monkeypatch, builds):
    """A run whose skeletons come from the cache — kept by a run with another seed — writes the
    same bytes as the same run with an empty cache."""
    monkeypatch.setenv("BPQUIZ_CACHE", str(tmp_path / "cold"))
    generate(Settings(n=2, seed=7), tmp_path / "fresh", jobs=1)
    assert len(builds) == 2
    monkeypatch.setenv("BPQUIZ_CACHE", str(tmp_path / "kept"))
    generate(Settings(n=3, seed=8), tmp_path / "other", jobs=1)
    again(tmp_path / "fresh", tmp_path / "cached")
    assert len(builds) == 4  # the second run of this cache built nothing
    assert files(tmp_path / "cached") == files(tmp_path / "fresh")


def test_a_damaged_entry_is_built_again(tmp_path, monkeypatch, builds):
    """An entry that is truncated, altered or of another format is never used: the skeleton is
    built again (the same files) and the entry replaced by a good one."""
    monkeypatch.setenv("BPQUIZ_CACHE", str(tmp_path / "cache"))
    generate(Settings(n=1, seed=3), tmp_path / "a", jobs=1)
    entries = sorted((tmp_path / "cache" / "skeletons").glob("*.skeleton"))
    assert len(entries) == 2
    entries[0].write_bytes(entries[0].read_bytes()[:-100])  # truncated
    data = bytearray(entries[1].read_bytes())
    data[-10] ^= 0xFF  # one byte altered: the checksum no longer holds
    entries[1].write_bytes(bytes(data))
    again(tmp_path / "a", tmp_path / "b")
    assert len(builds) == 4
    assert files(tmp_path / "b") == files(tmp_path / "a")
    for entry in entries:
        kind, digest = entry.stem.split("-")
        assert isinstance(skeleton_cache.get(kind, digest), stamping.Skeleton)
    entries[0].write_bytes(b"not a skeleton")
    assert skeleton_cache.get(*entries[0].stem.split("-")) is None


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch, caplog):
    """With a cache folder that cannot be made (a file is in the way), the run writes its files
    as usual and says so in one warning at most."""
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv("BPQUIZ_CACHE", str(tmp_path / "blocked"))
    monkeypatch.setattr(skeleton_cache, "_warned", False)
    caplog.set_level(logging.WARNING, logger="bpquiz")
    result = generate(Settings(n=1, seed=3), tmp_path / "out", jobs=1)
    assert not result.failed and not result.warnings
    assert len(list((tmp_path / "out" / "worksheets").glob("*.pdf"))) == 1
    assert len([r for r in caplog.records if "skeleton cache" in r.getMessage()]) == 1


def test_the_key_covers_what_a_skeleton_depends_on(tmp_path, monkeypatch):
    """The key changes with the HTML, the paper, the form fields, any template's bytes and the
    code that builds and paints skeletons, and is the same when nothing of that changes."""
    base = skeleton_cache.key("<html>a</html>", "a4", True)
    assert base == skeleton_cache.key("<html>a</html>", "a4", True)
    assert base != skeleton_cache.key("<html>b</html>", "a4", True)
    assert base != skeleton_cache.key("<html>a</html>", "letter", True)
    assert base != skeleton_cache.key("<html>a</html>", "a4", False)
    copy = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, copy)
    monkeypatch.setattr(skeleton_cache, "TEMPLATES", copy)
    assert base == skeleton_cache.key("<html>a</html>", "a4", True)
    (copy / "style.css").write_bytes((copy / "style.css").read_bytes() + b"\n")
    assert base != skeleton_cache.key("<html>a</html>", "a4", True)
    monkeypatch.setattr(skeleton_cache, "TEMPLATES", render.TEMPLATES)
    code = tmp_path / "code"
    shutil.copytree(skeleton_cache.CODE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(skeleton_cache, "CODE", code)
    assert base == skeleton_cache.key("<html>a</html>", "a4", True)
    (code / "fragments.py").write_bytes((code / "fragments.py").read_bytes() + b"\n")
    assert base != skeleton_cache.key("<html>a</html>", "a4", True)  # the painting code


def test_the_cache_folder(monkeypatch, tmp_path):
    """BPQUIZ_CACHE first, then $XDG_CACHE_HOME/bpquiz, then ~/.cache/bpquiz."""
    monkeypatch.setenv("BPQUIZ_CACHE", str(tmp_path / "mine"))
    assert skeleton_cache.folder() == tmp_path / "mine"
    monkeypatch.delenv("BPQUIZ_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert skeleton_cache.folder() == tmp_path / "xdg" / "bpquiz"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert skeleton_cache.folder() == tmp_path / "home" / ".cache" / "bpquiz"
