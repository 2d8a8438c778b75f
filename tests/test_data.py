"""kit.data: the shipped sample corpus and plain-text folders, read by the program's reader; ALT sent to the program."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kit.bleu import looks_tokenized
from kit.cli import main
from kit.data import SAMPLE_DIR, load_corpus
from kit.errors import DataError
from kit.sites import PROJECT_ROOT
from litmarp.proc import run

WORKSHOP_PAIR = ("Flaming debris ignited small grass fires next to the roads.",
                 "炎 を あげる 破片 は 道 横 の 小 草 を 燃やし た 。")


def test_committed_sample_corpus_equals_generator_output(tmp_path: Path) -> None:
    run([sys.executable, str(PROJECT_ROOT / "scripts" / "make_sample_corpus.py"), "--out", str(tmp_path)])
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_file())
    for name in generated:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), (
            f"kit/sample_data/{name} differs from scripts/make_sample_corpus.py's output: rerun the script")


def test_sample_corpus_splits_and_workshop_sentence() -> None:
    corpus = load_corpus("sample")
    assert corpus.sizes == {"train": 1200, "validation": 100, "test": 100}
    assert looks_tokenized([ja for _, ja in corpus.train])
    assert WORKSHOP_PAIR in corpus.test
    english = [en for en, _ in corpus.train + corpus.validation + corpus.test]
    assert len(set(english)) == len(english), "a sentence occurs twice (within or across splits)"
    assert "test 100" in corpus.describe()
    assert WORKSHOP_PAIR[0] in corpus.preview(1, "test")


def _write(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_plain_text_folder(tmp_path: Path) -> None:
    _write(tmp_path, "train.en", ["i am a cat .", "it rains ."])
    _write(tmp_path, "train.ja", ["吾輩 は 猫 で あ る 。", "雨 が 降 る 。"])
    _write(tmp_path, "dev.en", ["hello ."])
    _write(tmp_path, "dev.ja", ["こんにち は 。"])
    corpus = load_corpus(str(tmp_path))
    assert corpus.train == [("i am a cat .", "吾輩 は 猫 で あ る 。"), ("it rains .", "雨 が 降 る 。")]
    assert corpus.test == corpus.validation  # no test.* files: dev doubles as test, as in the program


def test_plain_text_errors_are_the_programs_naming_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "train.en", ["a", "b"])
    _write(tmp_path, "train.ja", ["あ", "い"])
    with pytest.raises(DataError, match=r"dev\.en not found: --data_dir needs"):
        load_corpus(str(tmp_path))
    _write(tmp_path, "dev.en", ["c"])
    _write(tmp_path, "dev.ja", ["う"])
    _write(tmp_path, "train.ja", ["あ"])
    with pytest.raises(DataError, match=r"train\.en has 2 lines but .*train\.ja has 1"):
        load_corpus(str(tmp_path))
    _write(tmp_path, "train.ja", ["あ", ""])
    with pytest.raises(DataError, match=r"train\.ja has blank lines \(line 2\)"):
        load_corpus(str(tmp_path))
    with pytest.raises(DataError, match="unknown corpus source"):
        load_corpus(str(tmp_path / "missing"))


def test_looks_tokenized() -> None:
    assert looks_tokenized(["私 は テニス 部員 で す 。", "雨 が 降 る 。"])
    assert not looks_tokenized(["私はテニス部員です。", "雨が降る。"])


@pytest.mark.parametrize("source", ["hub:mutiyama/alt", "hub:mutiyama/alt@main", "alt:/data/alt"])
def test_alt_sources_point_to_the_program(source: str) -> None:
    with pytest.raises(DataError, match=r"ALT is loaded by the program itself \(bart_finetuning\.py\)") as err:
        load_corpus(source)
    for what in ("python3 bart_finetuning.py", "HF_HUB_OFFLINE=1", "--data_dir DIR"):
        assert what in str(err.value)


def test_cli_data_describes_a_folder_and_names_the_program_for_alt(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "train.en", ["it rains ."])
    _write(tmp_path, "train.ja", ["雨 が 降 る 。"])
    _write(tmp_path, "dev.en", ["hello ."])
    _write(tmp_path, "dev.ja", ["こんにち は 。"])
    assert main(["data", str(tmp_path), "--preview", "1"]) == 0
    out = capsys.readouterr().out
    assert "pairs: train 1, validation 1, test 1" in out and "en: it rains ." in out
    assert main(["data", "hub:mutiyama/alt"]) == DataError.exit_code
    assert "bart_finetuning.py" in capsys.readouterr().err
