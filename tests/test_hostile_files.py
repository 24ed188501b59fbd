"""Hostile and careless files: encrypted PDFs, UTF-16 text, file names, modes."""

from __future__ import annotations

import codecs
import hashlib
import io
import json

import pytest

from bpquiz.exercise.model import Exercise
from bpquiz.marking.formats import read_pdf

EX = Exercise()
ENCRYPTED = "the PDF is encrypted; save it without a password and grade again"


def aes_pdf() -> bytes:
    """A one-page PDF encrypted with AES-256 (revision 5) under an empty user password, as a PDF
    "protected against editing" is: opening it needs AES, i.e. the cryptography package."""
    vsalt, ksalt = b"v" * 8, b"k" * 8
    u = hashlib.sha256(vsalt).digest() + vsalt + ksalt  # the empty user password, revision 5
    hexes = {"O": (b"o" * 48).hex(), "U": u.hex(), "OE": (b"e" * 32).hex(),
             "UE": (b"u" * 32).hex(), "Perms": (b"p" * 16).hex()}  # fmt: skip
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ("<< /Filter /Standard /V 5 /R 5 /Length 256 /P -4 /StmF /StdCF /StrF /StdCF "
         "/CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV3 /Length 32 >> >> "
         + " ".join(f"/{k} <{v}>" for k, v in hexes.items()) + " >>").encode(),
    ]  # fmt: skip
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n"
              % (len(objects) + 1, b"ab" * 16, b"ab" * 16))  # fmt: skip
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def test_an_aes_encrypted_pdf_gives_the_readmes_message():
    """An AES-encrypted PDF is the README's encrypted problem, never a DependencyError."""
    (p,) = read_pdf(aes_pdf(), "locked.pdf", EX).problems
    assert (p.file, p.kind, p.message) == ("locked.pdf", "unreadable-file", ENCRYPTED)


HEADER = "student_id,name,version," + ",".join(EX.asked_ids)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_csv_with_a_bom_is_read(encoding):
    """A UTF-16 or UTF-32 CSV with its byte-order mark is read, names intact, no warning."""
    from bpquiz.marking.formats import read_csv

    text = (HEADER + "\nś1,Zoë Ŋ,AAAAAA,0.5\n").replace(",", "\t")
    data = text.encode(encoding)
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        data = codecs.BOM_UTF16_BE + data  # utf-16-be writes no BOM of its own
    r = read_csv(data, "u16.csv", EX)
    assert not r.problems and not r.warnings
    (s,) = r.submissions
    assert (s.student_id, s.name, s.version) == ("ś1", "Zoë Ŋ", "AAAAAA")
    assert s.answers["sum_h1"] == "0.5"


def test_utf16_json_with_a_bom_is_read_as_submissions_and_as_a_key_file(tmp_path):
    """UTF-16 JSON with a BOM is read as submissions and by files.read_json (keys, given)."""
    from bpquiz.files import read_json as read_json_file
    from bpquiz.marking.formats import read_json

    doc = {"student_id": "s1", "name": "Zoë", "version": "AAAAAA", "answers": {"out_h1": "0.6"}}
    data = json.dumps(doc, ensure_ascii=False).encode("utf-16")
    r = read_json(data, "u16.json", EX)
    assert not r.problems and r.submissions[0].name == "Zoë"
    (tmp_path / "given.json").write_bytes(data)
    assert read_json_file(tmp_path / "given.json")["name"] == "Zoë"


WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}  # fmt: skip


def test_feedback_file_names_are_bounded_never_reserved_and_unique():
    """Feedback names of long IDs, CON, nul, aux…: at most 80 characters, not reserved, unique."""
    from bpquiz.exercise.key import Key
    from bpquiz.generate import Settings, plan
    from bpquiz.marking.grading import Policy
    from bpquiz.marking.match import grade_class
    from bpquiz.marking.submissions import Submission
    from bpquiz.outfolder import feedback_names

    ids = ["x" * 300, "x" * 200 + "y" * 100, "CON", "nul", "aux", "Con.txt", "com1", "LPT9"]
    settings = Settings(n=len(ids), seed=3)
    sheets, secret = plan(settings)
    key = Key(tuple(sheets), settings.as_dict(), secret, settings.exercise)
    subs = [Submission("a.csv", k + 2, s.version, sid, "", {}) for k, (s, sid) in
            enumerate(zip(sheets, ids))]  # fmt: skip
    results, _ = grade_class(key, subs, Policy())
    names = feedback_names(results)
    assert len(names) == len(ids) and len({n.casefold() for n in names}) == len(ids)
    for name in names:
        assert name.endswith(".pdf") and len(name) <= 80, name
        assert name.split(".")[0].upper() not in WINDOWS_RESERVED, name


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    """Files written atomically get the umask's mode (0644 under 022), not mkstemp's 0600."""
    import os

    from bpquiz.files import open_atomic, write_atomic

    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "a.csv", "x")
        with open_atomic(tmp_path / "b.pdf") as f:
            f.write(b"%PDF-")
    finally:
        os.umask(old)
    for name in ("a.csv", "b.pdf"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name
