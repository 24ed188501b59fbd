import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

# The oracle module and its reference data live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

# Skeletons are kept between runs (bpquiz.documents.skeleton_cache): the tests keep theirs in
# a folder of their own, removed at the end, never in the user's cache. Set here, at import, so
# that the subprocesses of the CLI tests inherit it.
_CACHE = tempfile.mkdtemp(prefix="bpquiz-test-cache-")
os.environ["BPQUIZ_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
