"""kit.data: the shipped sample corpus, plain-text and ALT folders, and the unreachable hub."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from kit.data import SAMPLE_DIR, alt_rows_to_pairs, load_corpus, looks_tokenized
from kit.errors import DataError
from kit.proc import run
from kit.sites import PROJECT_ROOT

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
    assert corpus.ja_tokenized
    assert WORKSHOP_PAIR in corpus.test
    english = [en for en, _ in corpus.train + corpus.validation + corpus.test]
    assert len(set(english)) == len(english), "a sentence occurs twice (within or across splits)"
    assert "test 100" in corpus.describe()
    assert WORKSHOP_PAIR[0] in corpus.preview(1, "test")


def _write(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_plain_text_folder(tmp_path: Path) -> None:
    _write(tmp_path, "train.en", ["i am a cat .", "", "it rains ."])
    _write(tmp_path, "train.ja", ["吾輩 は 猫 で あ る 。", "", "雨 が 降 る 。"])
    _write(tmp_path, "dev.en", ["hello ."])
    _write(tmp_path, "dev.ja", ["こんにち は 。"])
    corpus = load_corpus(str(tmp_path))
    assert corpus.train == [("i am a cat .", "吾輩 は 猫 で あ る 。"), ("it rains .", "雨 が 降 る 。")]
    assert corpus.test == corpus.validation  # no test.* files: dev doubles as test, and says so
    assert any("test" in note for note in corpus.notes)


def test_plain_text_errors_name_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "train.en", ["a", "b"])
    _write(tmp_path, "train.ja", ["あ", "い"])
    with pytest.raises(DataError, match="missing the validation files"):
        load_corpus(str(tmp_path))
    _write(tmp_path, "dev.en", ["c"])
    _write(tmp_path, "dev.ja", ["う"])
    _write(tmp_path, "train.ja", ["あ"])
    with pytest.raises(DataError, match=r"train\.en has 2 lines but .*train\.ja has 1"):
        load_corpus(str(tmp_path))
    _write(tmp_path, "train.ja", ["あ", ""])
    with pytest.raises(DataError, match=r"train\.ja:2: empty line"):
        load_corpus(str(tmp_path))
    with pytest.raises(DataError, match="unknown corpus source"):
        load_corpus(str(tmp_path / "missing"))


def test_alt_parquet_folder_skips_rows_without_japanese(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = tmp_path / "alt-jp"
    folder.mkdir()
    for split in ("train", "validation", "test"):
        rows = {
            "SNT.URLID": ["80188", "80188"], "SNT.URLID.SNTID": ["1", "2"], "url": ["u", "u"],
            "status": ["draft", "draft"], "value": ["(S ...)", "(S ...)"], "word_alignment": ["", ""],
            "jp_tokenized": [f"{split} の 文 。", None], "en_tokenized": [f"A {split} sentence .", "No Japanese ."],
        }
        pq.write_table(pa.table(rows), folder / f"{split}-00000-of-00001.parquet")
    corpus = load_corpus(f"alt:{tmp_path}")
    assert corpus.train == [("A train sentence .", "train の 文 。")]
    assert corpus.validation == [("A validation sentence .", "validation の 文 。")]
    assert corpus.ja_tokenized and "skipped 3 rows" in corpus.notes[0]


def test_alt_release_layout(tmp_path: Path) -> None:
    _write(tmp_path, "data_en.txt", ["SNT.1.1\tOne.", "SNT.2.1\tTwo.", "SNT.3.1\tThree.", "SNT.3.2\tNo ja."])
    _write(tmp_path, "data_ja.txt", ["SNT.1.1\t一つ。", "SNT.2.1\t二つ。", "SNT.3.1\t三つ。"])
    with pytest.raises(DataError, match="URL-train.txt not found"):
        load_corpus(f"alt:{tmp_path}")
    for split, url in (("train", "1"), ("dev", "2"), ("test", "3")):
        _write(tmp_path, f"URL-{split}.txt", [f"URL.{url}\thttp://example.org/{url}"])
    corpus = load_corpus(f"alt:{tmp_path}")
    assert (corpus.train, corpus.validation, corpus.test) == ([("One.", "一つ。")], [("Two.", "二つ。")],
                                                             [("Three.", "三つ。")])
    assert not corpus.ja_tokenized


def test_alt_rows_need_the_alt_columns() -> None:
    with pytest.raises(DataError, match="no column 'en_tokenized'"):
        alt_rows_to_pairs([{"translation": {}}], "somewhere")


def test_looks_tokenized() -> None:
    assert looks_tokenized(["私 は テニス 部員 で す 。", "雨 が 降 る 。"])
    assert not looks_tokenized(["私はテニス部員です。", "雨が降る。"])


def test_unreachable_hub_fails_fast_naming_local_options(tmp_path: Path) -> None:
    # A closed local port stands in for the unreachable hub; an empty HF_HOME means nothing is cached.
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(PROJECT_ROOT)}
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env[name] = ""
    started = time.monotonic()
    proc = run([sys.executable, "-m", "kit", "data", "hub:mutiyama/alt"], check=False, env=env, timeout=120,
               cwd=PROJECT_ROOT)
    elapsed = time.monotonic() - started
    assert proc.returncode == 7, proc.stderr
    assert "unreachable" in proc.stderr
    for option in ("--data sample", "--data alt:DIR", "--data DIR"):
        assert option in proc.stderr
    assert elapsed < 20, f"took {elapsed:.1f} s: the hub load retried instead of failing fast"
