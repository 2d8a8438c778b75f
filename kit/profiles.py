"""Training profiles: which model, data and extra options ``bart_finetuning.py`` gets (never a second training loop).

Paths in the arguments are relative to the site's work folder, where the job runs
(``models/tiny-…``, ``data/sample``), so the job script reads like one a participant writes.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from kit.data import SAMPLE_DIR, load_corpus
from kit.errors import ConfigError
from kit.model import TinySettings, make_tiny_bart, quiet_hf
from kit.sites import Site, load_site

SAMPLE_DATA_DIR = "data/sample"


@dataclass(frozen=True)
class Profile:
    """A named set of program arguments, with the model and data they need."""

    name: str
    model: str  # hub id, folder, or "tiny" (built here from the training data)
    data: str | None  # None: ALT from the hub (the program's default); "sample"; or a folder
    args: tuple[str, ...] = ()
    tiny: TinySettings = field(default_factory=TinySettings)
    # Length grouping (the program's default) makes every batch of a template corpus one template: the tiny
    # model then learns the templates and ignores the source (BLEU ~11 instead of ~45 on the sample corpus).
    group_by_length: bool = True


# smoke: CI, the lessons and login nodes, a tiny BART built here from the shipped sample corpus (no download).
# lr 1e-3 with batch 32 is what this small post-LN model tolerates (at 2e-3 its encoder collapses); 12 epochs
# reach BLEU ~45 on the sample corpus's test set in about a minute on 2 CPU cores.
SMOKE = Profile(
    "smoke", "tiny", "sample",
    ("--num_train_epochs", "12", "--learning_rate", "1e-3", "--warmup_steps", "30",
     "--per_device_train_batch_size", "32", "--max_length", "64", "--logging_steps", "10",
     "--save_total_limit", "1"),
    TinySettings(vocab_size=2000, d_model=128, layers=2, heads=4, ffn_dim=256), group_by_length=False,
)


PROFILES: dict[str, Profile] = {
    "workshop": Profile("workshop", "facebook/bart-base", None),  # as taught: bart-base on ALT, the program's defaults
    "smoke": SMOKE,
    # The rehearsal's Slurm job (sites/rehearsal.toml): the smoke model and data for 2 epochs, half a minute.
    # That job checks the real site's command lines, folders and result files, not the translations.
    "brief": replace(SMOKE, name="brief", args=("--num_train_epochs", "2", *SMOKE.args[2:])),
    # bench/quality.py: the best dev BLEU in 10 minutes on 2 CPU cores (it adds --max_steps from a measured rate, so
    # the linear decay ends with the budget). Post-LN BART at lr 5e-4 (at 1e-3 from scratch its encoder can collapse:
    # the outputs stop depending on the input); random batches learn faster per step here than length-grouped
    # ones; fp32 (bf16 is emulated, so slower, on CPUs without AVX512-BF16); beam search 4 for the translations.
    # Batch 16 (warmup 300): twice the updates of batch 32 in the same time, for fewer samples a second (measured:
    # 29.3 against 26.6 dev BLEU in 10 minutes; batch 64 at lr 7e-4 reached 21.4).
    "quality": Profile(
        "quality", "tiny", None,
        ("--learning_rate", "5e-4", "--warmup_steps", "300", "--per_device_train_batch_size", "16",
         "--max_length", "64", "--label_smoothing_factor", "0.1", "--eval_strategy", "no", "--save_strategy", "no",
         "--logging_steps", "100", "--num_beams", "4"),
        TinySettings(vocab_size=8000, d_model=256, layers=2, heads=4, ffn_dim=512), group_by_length=False,
    ),
}


def get_profile(name: str) -> Profile:
    """The named profile (ConfigError listing the known ones)."""
    if name not in PROFILES:
        raise ConfigError(f"no training profile {name!r}", hint=f"use one of: {', '.join(PROFILES)}")
    return PROFILES[name]


def prepare_data(profile: Profile, work_dir: Path, data: str | None = None) -> Path | None:
    """The data folder the program reads (the sample corpus is copied into the work folder), or None for ALT."""
    source = data or profile.data
    if source is None:
        return None
    if source != "sample":
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"no data folder {folder}", hint="pass a folder with train.en/.ja and dev.en/.ja")
        return folder.resolve()
    target = work_dir / SAMPLE_DATA_DIR
    target.mkdir(parents=True, exist_ok=True)
    for src in sorted(SAMPLE_DIR.iterdir()):
        if src.suffix in (".en", ".ja") and (not (target / src.name).is_file()
                                             or (target / src.name).read_bytes() != src.read_bytes()):
            shutil.copyfile(src, target / src.name)
    return target


def prepare_model(profile: Profile, work_dir: Path, data_dir: Path | None) -> str:
    """The model the program loads: a hub id or folder as given, or the tiny BART built (once) in ``models/``."""
    if profile.model != "tiny":
        return profile.model
    if data_dir is None:
        raise ConfigError(f"profile {profile.name!r} builds a tiny model and needs training data",
                          hint="pass --data DIR (train.en/.ja, dev.en/.ja)")
    quiet_hf()
    corpus = load_corpus(str(data_dir))
    folder = work_dir / "models" / f"tiny-{profile.tiny.key()}-{corpus.fingerprint()[:8]}"
    return str(make_tiny_bart(folder, corpus, profile.tiny))


def program_args(profile: str | Profile, work_dir: str | os.PathLike[str], *, data: str | None = None,
                 relative_to: str | os.PathLike[str] | None = None) -> list[str]:
    """The arguments of ``bart_finetuning.py`` for a profile, building what it needs in ``work_dir`` first;
    paths relative to ``relative_to`` (the job's working directory) when given, else absolute."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    work = Path(work_dir).expanduser().resolve()
    data_dir = prepare_data(prof, work, data)
    model = prepare_model(prof, work, data_dir)

    def shown(path: str | Path) -> str:
        try:
            return os.path.relpath(path, Path(relative_to).resolve()) if relative_to else str(path)
        except ValueError:  # another drive (Windows): keep it absolute
            return str(path)

    argv: list[str] = []
    if model != PROFILES["workshop"].model:
        argv += ["--model_name_or_path", shown(model) if prof.model == "tiny" else model]
    if data_dir is not None:
        argv += ["--data_dir", shown(data_dir)]
    return argv + list(prof.args) + ([] if prof.group_by_length else random_batches())


def random_batches() -> list[str]:
    """The program option for plain random batches, as the installed transformers spells it."""
    from transformers import Seq2SeqTrainingArguments  # seconds to import: only when asked

    if "train_sampling_strategy" in inspect.signature(Seq2SeqTrainingArguments).parameters:
        return ["--train_sampling_strategy", "random"]
    return ["--group_by_length", "false"]


def site_program_args(site: Site) -> list[str]:
    """The program arguments of the site's training profile (``[train] profile``), paths relative to its work folder."""
    return program_args(site.train.profile, site.work_dir, relative_to=site.work_dir)


def tiny_profile(cfg: Site) -> str:
    """The profile for training outside a job (a notebook, catch-up): the site's own where it is the tiny model
    on the sample data (the rehearsal's brief), else smoke. Never ALT or bart-base there."""
    own = get_profile(cfg.train.profile)
    return own.name if (own.model, own.data) == ("tiny", "sample") else "smoke"


def lesson_inputs(site: str | Site | None = None) -> list[str]:
    """For a lesson notebook: move into the site's work folder and return a tiny profile's arguments.

    Notebooks use the tiny model on a login node too (heavy work belongs in a job). Prints where the cells
    run, so every number on a slide says where it came from.
    """
    import torch  # seconds to import: only in a notebook

    cfg = site if isinstance(site, Site) else load_site(site)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(cfg.work_dir)
    quiet()
    argv = program_args(tiny_profile(cfg), cfg.work_dir, relative_to=cfg.work_dir)
    model_dir = Path(argv[argv.index("--model_name_or_path") + 1])
    params = _parameter_count(model_dir)
    train_pairs = sum(1 for _ in open(Path(argv[argv.index("--data_dir") + 1]) / "train.en", encoding="utf-8"))
    device = f"GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else \
        f"CPU {torch.get_num_threads()} スレッド（GPU なし）"
    print(f"サイト {cfg.name}: このノートブックは {device} で実行")
    print(f"モデル: {model_dir}（小さな BART、{params:,} パラメータ）")
    print(f"データ: {argv[argv.index('--data_dir') + 1]}（同梱のサンプル、学習 {train_pairs:,} 文）")
    if cfg.slurm.executor == "slurm":  # a cluster: this kernel runs on the login node, shared by everyone
        print("ここはログインノードなので小さなモデルだけ。本番の bart-base は 03 でジョブとして GPU ノードへ")
    return argv


def quiet() -> None:
    """No per-call progress bars in notebook outputs (datasets' map, transformers' saving)."""
    import datasets  # seconds to import: only in a notebook

    datasets.disable_progress_bars()
    quiet_hf()


def _parameter_count(model_dir: Path) -> int:
    marker = model_dir / "kit_tiny.json"
    return int(json.loads(marker.read_text(encoding="utf-8")).get("parameters", 0)) if marker.is_file() else 0
