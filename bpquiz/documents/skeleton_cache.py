"""Skeletons kept between runs, in a cache folder.

A skeleton is built from a neutral sheet (`generate.neutral_job`: no student's numbers, code or
name), so it depends only on the templates, the exercise and the settings printed on every page
— all in its HTML — the paper, and the software and fonts that lay it out and paint its slots
(this package's own code too: which slots are templates or drawn apart). `key` digests all of
that; the same key means a skeleton built afresh would be the same bytes (a test checks that a
run with a cached skeleton writes the same files as one without).

The folder: $BPQUIZ_CACHE if set, else $XDG_CACHE_HOME/bpquiz, else ~/.cache/bpquiz; entries are
`skeletons/<kind>-<key>.skeleton`, at most `KEEP` of them (the oldest go). A folder that cannot
be written is skipped (one warning per process); an entry that cannot be read or does not
check out (truncated, another format, not a skeleton) is built again and replaced, never used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pydyf
import weasyprint

from .. import __version__
from ..files import write_atomic
from .render import TEMPLATES
from .stamping import Skeleton

FORMAT = b"bpquiz-skeleton 3\n"  # bump when Skeleton's fields or their meaning change
CODE = Path(__file__).parent  # the modules that build, paint and stamp skeletons
KEEP = 64
_LOG = logging.getLogger("bpquiz")
_warned = False


def folder() -> Path:
    """Where skeletons are kept: $BPQUIZ_CACHE, $XDG_CACHE_HOME/bpquiz or ~/.cache/bpquiz."""
    if os.environ.get("BPQUIZ_CACHE"):
        return Path(os.environ["BPQUIZ_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bpquiz"


def fonts_digest() -> bytes:
    """A digest of the fonts fontconfig offers WeasyPrint: each file's path, size and time."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    fonts = fontconfig.FcConfigGetFonts(config, 0)  # FcSetSystem
    files = set()
    value = ffi.new("FcChar8 **")
    for k in range(fonts.nfont if fonts != ffi.NULL else 0):
        if fontconfig.FcPatternGetString(fonts.fonts[k], b"file", 0, value) == 0:
            files.add(ffi.string(value[0]).decode(errors="replace"))
    digest = hashlib.sha256()
    for name in sorted(files):
        try:
            stat = os.stat(name)
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{name}\0-\n".encode())
    return digest.digest()


def key(html: str, paper: str, forms: bool) -> str:
    """The digest of everything a skeleton of this HTML depends on."""
    digest = hashlib.sha256(FORMAT)
    versions = (
        __version__, weasyprint.__version__, pydyf.__version__, pikepdf.__version__,
        pikepdf.__libqpdf_version__, f"{sys.version_info[0]}.{sys.version_info[1]}",
    )  # fmt: skip
    digest.update(repr((versions, paper, forms)).encode())
    for path in sorted(TEMPLATES.iterdir()):  # the templates and style.css
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(CODE.glob("*.py")):  # a version number stays put while code changes
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(fonts_digest())
    digest.update(html.encode())
    return digest.hexdigest()[:32]


def _path(kind: str, digest: str) -> Path:
    return folder() / "skeletons" / f"{kind}-{digest}.skeleton"


def get(kind: str, digest: str) -> Skeleton | None:
    """The kept skeleton of this key, or None (absent, unreadable, or not checking out)."""
    try:
        data = _path(kind, digest).read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT):
        return None
    checksum, payload = data[len(FORMAT) : len(FORMAT) + 32], data[len(FORMAT) + 32 :]
    if hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        skeleton = pickle.loads(payload)  # noqa: S301 - our own file, checksummed
    except Exception:  # noqa: BLE001 - a damaged entry is rebuilt, whatever is wrong with it
        return None
    return skeleton if isinstance(skeleton, Skeleton) else None


def put(kind: str, digest: str, skeleton: Skeleton) -> None:
    """Keep a skeleton; a folder that cannot be written is skipped with one warning."""
    global _warned
    payload = pickle.dumps(skeleton, protocol=pickle.HIGHEST_PROTOCOL)
    path = _path(kind, digest)
    try:
        write_atomic(path, FORMAT + hashlib.sha256(payload).digest() + payload)
        entries = sorted(path.parent.glob("*.skeleton"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError as e:
        if not _warned:
            _warned = True
            _LOG.warning("bpquiz: skeleton cache %s not written (%s); set BPQUIZ_CACHE", path, e)


def skeleton(kind: str, html: str, paper: str, forms: bool, build: Callable[[], Skeleton]):
    """The skeleton of this HTML: kept from an earlier run, or built now (and kept)."""
    digest = key(html, paper, forms)
    found = get(kind, digest)
    if found is None:
        found = build()
        put(kind, digest, found)
    return found
