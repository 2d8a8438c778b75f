"""Workshop kit: the helpers behind "Fine-tuning BART on the department server".

Importing ``kit`` is cheap: heavy libraries (torch, transformers, matplotlib)
are imported inside the functions that need them.
"""

import os
from pathlib import Path

# This checkout is a litmarp project ([tool.litmarp] in its pyproject.toml): the engine finds it from any
# folder inside it, and through this variable when the kit runs elsewhere (a participant's work folder, a job).
os.environ.setdefault("LITMARP_ROOT", str(Path(__file__).resolve().parents[1]))
