"""A stand-in for the Hugging Face hub (unreachable from our machines): a pre-filled offline cache.

``make_fake_hub(hf_home, model_dir)`` lays out ``$HF_HOME/hub`` as ``huggingface_hub`` does after a
download, so that with ``HF_HUB_OFFLINE=1`` the unchanged program loads ``facebook/bart-base`` (here:
a tiny BART) and ALT's ``alt-jp`` parquet files at the pinned revision (here: the sample corpus).
"""

from __future__ import annotations

import shutil
from pathlib import Path

ALT_REVISION = "b844b035b75e9e8f75e03aa82434c657f4719811"
MODEL_REVISION = "0" * 40


def _snapshot(hub: Path, repo: str, revision: str) -> Path:
    root = hub / repo
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(revision)
    snapshot = root / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


def make_fake_hub(hf_home: Path, model_dir: Path, corpus_dir: Path) -> Path:
    """Fill ``hf_home`` with ``facebook/bart-base`` (from ``model_dir``) and ALT (from ``corpus_dir``'s text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    hub = hf_home / "hub"
    snapshot = _snapshot(hub, "models--facebook--bart-base", MODEL_REVISION)
    for path in model_dir.iterdir():
        if path.is_file():
            shutil.copyfile(path, snapshot / path.name)
    alt = _snapshot(hub, "datasets--mutiyama--alt", ALT_REVISION) / "alt-jp"
    alt.mkdir(exist_ok=True)
    for split, stem in (("train", "train"), ("validation", "dev"), ("test", "test")):
        en = (corpus_dir / f"{stem}.en").read_text(encoding="utf-8").splitlines()
        ja = (corpus_dir / f"{stem}.ja").read_text(encoding="utf-8").splitlines()
        ids = [str(i) for i in range(len(en))]
        table = pa.table({"SNT.URLID": ids, "SNT.URLID.SNTID": ids, "url": [""] * len(en),
                          "en_tokenized": en, "jp_tokenized": ja})
        pq.write_table(table, alt / f"{split}-00000-of-00001.parquet")
    return hf_home
