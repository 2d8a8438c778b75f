"""kit.train settings: profiles, config files, and argument names across transformers versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import ConfigError
from kit.sites import load_site
from kit.train import (
    PROFILES,
    TrainConfig,
    accepted_arguments,
    adapt_arguments,
    get_profile,
    read_config_file,
    resolve_config,
    training_argument_kwargs,
    training_arguments,
)

OLD = Path(__file__).parent / "data" / "transformers-4.35.2"


def _names(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}


def test_workshop_profile_is_the_original_setup(tmp_path: Path) -> None:
    config = get_profile("workshop")
    assert (config.model, config.learning_rate, config.epochs, config.batch_size, config.max_length) == (
        "facebook/bart-base", 5e-5, 1.0, 16, 120)
    args = training_arguments(config, tmp_path)
    assert str(args.eval_strategy.value if hasattr(args.eval_strategy, "value") else args.eval_strategy) == "epoch"
    assert args.save_total_limit == 2 and args.load_best_model_at_end and args.per_device_train_batch_size == 16
    assert args.report_to in ([], "none", ["none"])
    for name, profile in PROFILES.items():
        assert profile.validate().profile == name


def test_new_spelling_for_installed_transformers_old_for_4_35(tmp_path: Path) -> None:
    from transformers import Seq2SeqTrainer, Seq2SeqTrainingArguments

    kwargs = training_argument_kwargs(get_profile("workshop"), tmp_path)
    installed = adapt_arguments(kwargs, accepted_arguments(Seq2SeqTrainingArguments))
    old_names = _names(OLD / "seq2seq_training_arguments.txt")
    old = adapt_arguments(kwargs, old_names)
    assert set(old) <= old_names, "an argument 4.35.2 does not know would crash the cluster's job"
    assert old["evaluation_strategy"] == "epoch" and "eval_strategy" not in old
    assert old["group_by_length"] is True and "train_sampling_strategy" not in old
    if "eval_strategy" in accepted_arguments(Seq2SeqTrainingArguments):
        assert installed["eval_strategy"] == "epoch" and "evaluation_strategy" not in installed
    trainer_old = adapt_arguments({"model": None, "processing_class": "tok"}, _names(OLD / "trainer_init.txt"))
    assert trainer_old == {"model": None, "tokenizer": "tok"}
    trainer_new = adapt_arguments({"model": None, "processing_class": "tok"}, accepted_arguments(Seq2SeqTrainer))
    assert "processing_class" in trainer_new or "tokenizer" in trainer_new


def test_config_file_accepts_both_eval_strategy_spellings(tmp_path: Path) -> None:
    for key in ("eval_strategy", "evaluation_strategy"):
        path = tmp_path / f"{key}.toml"
        path.write_text(f'profile = "smoke"\n{key} = "steps"\neval_steps = 5\nsave_strategy = "steps"\n'
                        'save_steps = 5\n[tiny]\nd_model = 64\n', encoding="utf-8")
        config = read_config_file(path).validate()
        assert (config.profile, config.eval_strategy, config.eval_steps, config.tiny["d_model"]) == (
            "smoke", "steps", 5, 64)
        assert training_arguments(config, tmp_path).eval_steps == 5
    bad = tmp_path / "bad.toml"
    bad.write_text("epochz = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: unknown training setting 'epochz'"):
        read_config_file(bad)
    bad.write_text('epochs = "three"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="epochs must be float"):
        read_config_file(bad)


def test_resolve_config_precedence() -> None:
    site = load_site("ci")
    from_site = resolve_config(site=site)
    assert (from_site.profile, from_site.model, from_site.data) == ("smoke", "tiny", "sample")
    explicit = resolve_config("workshop", site=site, max_minutes=5, epochs=None)
    assert (explicit.model, explicit.max_minutes, explicit.epochs) == ("facebook/bart-base", 5.0, 1.0)
    with pytest.raises(ConfigError, match="load_best_model_at_end needs"):
        TrainConfig(save_strategy="no").validate()
    with pytest.raises(ConfigError, match="no training profile 'fast'"):
        get_profile("fast")
