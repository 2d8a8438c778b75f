"""Files a workshop puts into a participant's folder (here: the program, train.sbatch, env.def, learner notebooks).

They become the participant's: an edited copy is never overwritten (without ``force``); the difference is
shown instead. An unedited copy of an older version of the workshop's own is brought up to date.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from litmarp.paths import write_atomic


@dataclass
class Written:
    """A file written or kept: ``kept`` with the difference when the participant's own version differs;
    ``updated`` when it replaced an older version of its own that nobody had edited."""

    path: Path
    kept: bool = False
    diff: str = ""
    updated: bool = False
    unchanged: bool = False  # the file already held this text

    def __str__(self) -> str:
        if self.unchanged:
            return f"{self.path.name} is already there"
        if self.updated:
            return f"updated {self.path.name} (the one here was the workshop's older version, not edited)"
        if not self.kept:
            return f"wrote {self.path.name}"
        why = (f"kept your {self.path.name}: it differs from the workshop's (for the workshop's, rename yours "
               "and run this again)")
        return why if self.path.suffix == ".ipynb" else f"{why}:\n{self.diff}"


# What was last written into a folder, file name -> sha256: a file that still has that hash was not edited,
# so a newer version (after a lesson or the site changed) may replace it. Folders written before the
# engine left kit/ hold the record under its old name, which is still read.
WRITTEN_RECORD = ".litmarp-written.json"
OLD_RECORD = ".kit-written.json"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(folder: Path) -> dict[str, str]:
    record = folder / WRITTEN_RECORD
    try:
        data = json.loads((record if record.exists() else folder / OLD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: every differing file counts as the participant's
    return data if isinstance(data, dict) else {}


def write_unless_edited(path: Path, text: str, *, force: bool = False) -> Written:
    """Write ``text`` to ``path`` unless the file there is the participant's own (edited) version.

    A file with the hash recorded when it was last written (``.litmarp-written.json`` beside it) was not
    edited, and is replaced; any other differing file is kept, and the difference returned.
    """
    record = _record(path.parent)
    updated = False
    if path.is_file() and not force:
        old = path.read_text(encoding="utf-8", errors="replace")
        if old == text:
            return Written(path, unchanged=True)
        if record.get(path.name) != _sha256(old):
            diff = "".join(difflib.unified_diff(text.splitlines(True), old.splitlines(True), "workshop", "yours", n=1))
            return Written(path, kept=True, diff=diff)
        updated = True
    write_atomic(path, text)
    record[path.name] = _sha256(text)
    write_atomic(path.parent / WRITTEN_RECORD, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return Written(path, updated=updated)
