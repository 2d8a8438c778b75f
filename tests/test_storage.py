"""kit.storage: sizes of the workshop's directories, and a clean() that deletes only what it is told."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kit import storage
from kit.cli import main
from kit.errors import ConfigError
from kit.storage.usage import DirUsage

ENV: dict[str, str] = {}  # no HF_HOME / cache overrides: the defaults under the fake home


def _write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.fixture()
def tree(tmp_path: Path) -> dict[str, Path]:
    """A fake home and work directory with files of known sizes in every known directory."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    return {
        "home": home,
        "pulled": _write(tmp_path / "sif" / "transformers-pytorch-gpu_4.35.2.sif", 7000),
        "env_sif": _write(work / "env.sif", 5000),
        "checkpoint": _write(work / "runs" / "smoke" / "checkpoint-10" / "model.safetensors", 3000),
        "work_hf": _write(work / ".cache" / "huggingface" / "hub" / "m.bin", 2000),
        "singularity": _write(home / ".singularity" / "cache" / "blob" / "layer", 1500),
        "key": _write(home / ".singularity" / "sypgp" / "pgp-secret", 10),
        "hf": _write(home / ".cache" / "huggingface" / "datasets" / "d.arrow", 1200),
        "pip": _write(home / ".cache" / "pip" / "http" / "w", 800),
        "other": _write(home / ".cache" / "fontconfig" / "c", 100),
        "outside": _write(tmp_path / "precious" / "thesis.tex", 50),
    }


def _usage(site, tree: dict[str, Path]) -> dict[str, DirUsage]:
    rows = storage.usage(site, home=tree["home"], env=ENV, apparent=True)
    return {r.key: r for r in rows}


def test_usage_counts_each_directory_once(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    rows = _usage(fakes.site(), tree)
    assert list(rows) == ["sif", "work", "work-hf", "singularity", "apptainer", "hf", "pip", "cache"]
    assert rows["sif"].bytes == 7000 and rows["sif"].files == 1
    assert rows["work"].bytes == 5000 + 3000  # its .cache/huggingface has its own row
    assert rows["work-hf"].bytes == 2000
    assert rows["singularity"].bytes == 1500  # the cache only; keys in ~/.singularity are not listed
    assert not rows["apptainer"].exists and rows["apptainer"].bytes == 0
    assert (rows["hf"].bytes, rows["pip"].bytes, rows["cache"].bytes) == (1200, 800, 100)
    assert [r.dir.safe for r in rows.values()] == [True, False, True, True, True, True, True, False]


def test_usage_honours_cache_environment_variables(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    env = {"HF_HOME": str(tmp_path / "hf-elsewhere"), "APPTAINER_CACHEDIR": str(tmp_path / "ac")}
    _write(tmp_path / "hf-elsewhere" / "x", 42)
    rows = {r.key: r for r in storage.usage(fakes.site(), home=tree["home"], env=env, apparent=True)}
    assert rows["hf"].path == tmp_path / "hf-elsewhere" and rows["hf"].bytes == 42
    assert rows["apptainer"].path == tmp_path / "ac"
    assert rows["cache"].bytes == 100 + 1200  # ~/.cache/huggingface is no longer a known dir of its own


def test_hard_links_once_and_symlinks_not_followed(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    os.link(tree["pulled"], tmp_path / "sif" / "copy.sif")
    (tmp_path / "sif" / "link").symlink_to(tree["outside"].parent)
    # The link counts as itself (its target's path), like du; the folder it points to does not.
    assert _usage(fakes.site(), tree)["sif"].bytes == 7000 + len(str(tree["outside"].parent))


def test_disk_blocks_by_default(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    rows = {r.key: r for r in storage.usage(fakes.site(), home=tree["home"], env=ENV)}
    assert rows["sif"].bytes >= 7000  # whole blocks, like du


def test_render_markdown_and_text(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    rows = list(_usage(fakes.site(), tree).values())
    md = storage.render_markdown(rows, home=tree["home"])
    lines = md.splitlines()
    assert lines[0] == "| ディレクトリ | 場所 | サイズ | 削除してよいか | 理由 |"
    assert lines[5].startswith("| Singularity キャッシュ | ~/.singularity/cache | 1.5 KiB | 可 |")
    assert "| Apptainer キャッシュ | ~/.apptainer/cache | なし | 可 |" in md
    assert lines[-1] == "| **合計** | | **20.1 KiB** | | |"
    short = storage.render_markdown(rows, lang="en", home=tree["home"], why=False)
    assert short.splitlines()[0] == "| directory | path | size | safe to delete |"
    text = storage.render_text(rows, home=tree["home"])
    assert text.splitlines()[-1].startswith("total") and "no (keep)" in text
    with pytest.raises(ConfigError, match="unknown language"):
        storage.render_markdown(rows, lang="fr")


def test_plot_usage_writes_a_png(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    out = storage.plot_usage(list(_usage(fakes.site(), tree).values()), tmp_path / "plots" / "du.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clean_is_a_dry_run_without_confirm(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    site = fakes.site()
    result = storage.clean([tree["pulled"], tree["pip"].parent], site=site, home=tree["home"], env=ENV)
    assert not result.deleted and result.message.startswith("dry run: would delete 2 path(s)")
    assert tree["pulled"].exists() and tree["pip"].exists()
    assert [e.dir.key for e in result.entries] == ["sif", "pip"]


def test_clean_deletes_exactly_the_given_paths(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    site = fakes.site()
    ckpt = tree["checkpoint"].parent
    result = storage.clean([str(ckpt), tree["singularity"].parent.parent], site=site, home=tree["home"], env=ENV,
                           confirm=True)
    assert result.deleted and result.bytes >= 3000 + 1500
    assert not ckpt.exists() and not (tree["home"] / ".singularity" / "cache").exists()
    # Everything else is still there.
    for key in ("pulled", "env_sif", "work_hf", "key", "hf", "pip", "other", "outside"):
        assert tree[key].exists(), key
    assert (tree["home"] / ".singularity" / "sypgp").exists()


@pytest.mark.parametrize("target", [
    lambda t: t["outside"],  # not a workshop directory
    lambda t: t["home"] / ".cache",  # the parent of known directories
    lambda t: t["other"],  # other programs' caches are listed, never deleted
    lambda t: t["home"],
    lambda t: t["home"] / ".cache" / "pip" / ".." / ".." / ".." / "precious",  # .. out of a known dir
])
def test_clean_refuses_outside_the_known_directories(fakes, tmp_path: Path, tree: dict[str, Path], target) -> None:
    path = target(tree)
    with pytest.raises(ConfigError, match="refusing to delete") as err:
        # A valid path first: one refused path must delete nothing at all.
        storage.clean([tree["pip"], path], site=fakes.site(), home=tree["home"], env=ENV, confirm=True)
    assert "nothing was deleted" in err.value.hint
    assert tree["pip"].exists() and tree["outside"].exists()


def test_clean_missing_path_and_empty_list(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    site = fakes.site()
    with pytest.raises(ConfigError, match="no such file or directory"):
        storage.clean([tmp_path / "sif" / "nope.sif"], site=site, home=tree["home"], env=ENV, confirm=True)
    with pytest.raises(ConfigError, match="no paths given"):
        storage.clean([], site=site, confirm=True)


def test_clean_removes_a_symlink_not_its_target(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    link = tmp_path / "sif" / "latest.sif"
    link.symlink_to(tree["outside"])
    storage.clean([link], site=fakes.site(), home=tree["home"], env=ENV, confirm=True)
    assert not os.path.lexists(link) and tree["outside"].read_text() == "x" * 50


def test_cli_storage_du_and_clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("HF_HOME", "PIP_CACHE_DIR", "XDG_CACHE_HOME", "APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR"):
        monkeypatch.delenv(var, raising=False)
    pulled = _write(tmp_path / "workshop2024" / "transformers-pytorch-gpu_4.35.2.sif", 4096)  # pulled in the work dir
    assert main(["storage", "du", "--site", "ie-ryukyu", "--plot", str(tmp_path / "du.png")]) == 0
    out = capsys.readouterr().out
    assert "~/workshop2024" in out and "pulled images, env.sif" in out and (tmp_path / "du.png").exists()
    assert main(["storage", "clean", str(pulled), "--site", "ie-ryukyu"]) == 0
    assert "dry run" in capsys.readouterr().out and pulled.exists()
    assert main(["storage", "clean", str(pulled), "--site", "ie-ryukyu", "--yes"]) == 0
    assert not pulled.exists()
    assert main(["storage", "clean", str(tmp_path), "--site", "ie-ryukyu", "--yes"]) == 2
    assert "refusing to delete" in capsys.readouterr().err and tmp_path.exists()


# --- clean deletes only what the workshop made, whatever the profile's folders are ---------------


def _home_site(home: Path):  # noqa: ANN202 - a Site whose work_dir is the home folder itself
    from kit.sites import load_site

    return load_site("ie-ryukyu", overrides={"work_dir": str(home), "container": {"sif_dir": str(home / "sif")}})


def test_a_work_dir_of_home_does_not_make_home_deletable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ssh = _write(home / ".ssh" / "id_ed25519", 10)
    run = _write(home / "runs" / "smoke" / "metrics.json", 10)
    site = _home_site(home)
    for target in (ssh.parent, home, tmp_path):
        with pytest.raises(ConfigError, match="refusing to delete"):
            storage.clean([target], site=site, home=home, env=ENV, confirm=True)
    assert ssh.exists()
    result = storage.clean([run.parent], site=site, home=home, env=ENV, confirm=True)  # a named run is fine
    assert [e.what for e in result.entries] == ["run"] and not run.parent.exists() and ssh.exists()


def test_a_folder_holding_every_run_or_image_must_be_named_twice(fakes, tmp_path: Path,
                                                                 tree: dict[str, Path]) -> None:
    site = fakes.site()
    work, runs, sif_dir = tmp_path / "work", tmp_path / "work" / "runs", tmp_path / "sif"
    for target, what in ((work, "work directory"), (runs, "every training run"), (sif_dir, "every pulled image")):
        with pytest.raises(ConfigError, match=what) as err:
            storage.clean([target], site=site, home=tree["home"], env=ENV, confirm=True)
        assert "nothing was deleted" in err.value.hint
    assert runs.exists() and tree["env_sif"].exists() and tree["pulled"].exists()
    result = storage.clean([runs], whole=[runs], site=site, home=tree["home"], env=ENV, confirm=True)
    assert [e.what for e in result.entries] == ["runs folder"] and not runs.exists() and tree["env_sif"].exists()
    with pytest.raises(ConfigError, match="work directory"):  # never whole, even named twice
        storage.clean([work], whole=[work], site=site, home=tree["home"], env=ENV, confirm=True)


def test_clean_names_what_each_path_is(fakes, tmp_path: Path, tree: dict[str, Path]) -> None:
    stray = _write(tmp_path / "work" / "notes.txt", 5)
    site = fakes.site()
    result = storage.clean([tree["pulled"], tree["env_sif"], tree["checkpoint"].parent, tree["hf"]],
                           site=site, home=tree["home"], env=ENV)
    assert [e.what for e in result.entries] == ["image", "image", "checkpoint", "cache"]
    with pytest.raises(ConfigError, match="the workshop did not make it"):
        storage.clean([stray], site=site, home=tree["home"], env=ENV, confirm=True)


def test_cli_clean_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    runs = tmp_path / "workshop2024" / "runs"
    _write(runs / "a" / "metrics.json", 10)
    _write(runs / "b" / "metrics.json", 10)
    assert main(["storage", "clean", str(runs), "--site", "ie-ryukyu", "--yes"]) == 2
    assert "--whole" in capsys.readouterr().err and runs.exists()
    assert main(["storage", "clean", str(runs), "--whole", str(runs), "--site", "ie-ryukyu", "--yes"]) == 0
    assert not runs.exists()


def test_images_pulled_into_the_work_dir(tmp_path: Path, tree: dict[str, Path]) -> None:
    """The default (sif_dir = ""): no images row of its own; a pulled *.sif there is an image; the work
    directory holding them is still never deleted whole."""
    from kit.sites import load_site

    work = tmp_path / "work"
    site = load_site("ie-ryukyu", overrides={"work_dir": str(work)})
    pulled = _write(work / "transformers-pytorch-gpu_4.35.2.sif", 7000)
    rows = _usage(site, tree)
    assert "sif" not in rows and rows["work"].bytes == 7000 + 5000 + 3000
    assert "pulled images" in rows["work"].dir.label["en"]
    result = storage.clean([pulled, tree["env_sif"]], site=site, home=tree["home"], env=ENV)
    assert [e.what for e in result.entries] == ["image", "image"]
    with pytest.raises(ConfigError, match="refusing to delete the work directory"):
        storage.clean([work], whole=[work], site=site, home=tree["home"], env=ENV, confirm=True)
    with pytest.raises(ConfigError, match=r"deletes only env.sif, pulled \*.sif, runs"):
        storage.clean([_write(work / "notes.txt", 1)], site=site, home=tree["home"], env=ENV, confirm=True)
    assert pulled.exists() and tree["env_sif"].exists()
