"""The definition-file model and validator of kit.container (no runtime needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.container import DefFile, find_pip_installs, validate
from kit.errors import ConfigError, DefFileError
from kit.sites import load_site

GOLDEN = Path(__file__).parent / "golden"


def _site(tmp_path: Path):
    return load_site("ie-ryukyu", overrides={"work_dir": str(tmp_path / "work"),
                                           "container": {"sif_dir": str(tmp_path / "sif")}})


def _issues(text: str, tmp_path: Path, name: str = "env.def", site=None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return validate(path, site=site or _site(tmp_path)).issues


# --- parse / render ------------------------------------------------------------------


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.def")), ids=lambda p: p.name)
def test_round_trip_keeps_golden_files_byte_for_byte(golden: Path) -> None:
    text = golden.read_text(encoding="utf-8")
    assert DefFile.parse(text).render() == text


@pytest.mark.parametrize("text", [
    "",
    "Bootstrap: docker\nFrom: x",  # no final newline
    "Bootstrap: docker\r\nFrom: x\r\n\r\n%post\r\n    true\r\n",  # CRLF kept as is
    "%post\n",  # a section and no header
    "# only a comment\n\n\n",
    "Bootstrap: docker\n%post\n%post\n  a\n%labels",  # duplicate and empty sections
])
def test_round_trip_edge_cases(text: str) -> None:
    assert DefFile.parse(text).render() == text


def test_parse_structure_of_every_section_file() -> None:
    d = DefFile.read(GOLDEN / "every-section.def")
    assert d.header == {"bootstrap": "docker", "from": "ubuntu:22.04", "stage": "build"}
    assert [s.name for s in d.sections] == [
        "setup", "files", "environment", "post", "runscript", "startscript", "test", "labels", "help",
        "appinstall", "apprun"]
    post = d.section("post")
    assert post is not None and post.args == "-c /bin/bash" and post.line == 16
    first = (17, "    apt-get update && apt-get install -y python3-pip   # comment with a %percent")
    assert post.numbered()[0] == first
    assert d.section("apprun").args == "tool"
    assert d.get("FROM").line == 3


def test_read_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="definition file not found: .*nope.def"):
        DefFile.read(tmp_path / "nope.def")


# --- validation ----------------------------------------------------------------------


def test_original_workshop_file_placeholder_and_unpinned(tmp_path: Path) -> None:
    issues = _issues((GOLDEN / "workshop-original.def").read_text(), tmp_path)
    errors = [i for i in issues if i.severity == "error"]
    assert len(errors) == 1 and errors[0].line == 2
    assert "/PATH/TO placeholder" in errors[0].message
    # Nothing pulled yet: the hint says how to pull and what to write.
    assert "singularity pull" in errors[0].hint
    assert f"From: {tmp_path / 'sif' / 'transformers-pytorch-gpu_4.35.2.sif'}" in errors[0].hint
    warnings = [(i.line, i.message.split(":")[0]) for i in issues if i.severity == "warning"]
    assert warnings == [
        (5, "unpinned `pip install pip` in %post"),
        (6, "unpinned `pip install accelerate` in %post"),
        (7, "unpinned `pip install transformers` in %post"),
        (8, "unpinned `pip install evaluate` in %post"),
        (9, "unpinned `pip install datasets` in %post"),
    ]
    tf = next(i for i in issues if "`pip install transformers`" in i.message)
    assert "transformers==4.46.3" in tf.hint and "torch 2.1.0" in tf.message
    assert str(tf).startswith(f"{tmp_path / 'env.def'}:7: warning: ")


def test_placeholder_hint_names_the_pulled_image(tmp_path: Path) -> None:
    sif_dir = tmp_path / "sif"
    sif_dir.mkdir()
    (sif_dir / "other_1.0.sif").write_text("x")
    pulled = sif_dir / "transformers-pytorch-gpu_4.35.2.sif"
    pulled.write_text("x")
    issues = _issues((GOLDEN / "workshop-original.def").read_text(), tmp_path)
    error = next(i for i in issues if i.severity == "error")
    assert error.hint.startswith(f"write 'From: {pulled}'")


def test_nonexistent_from_path_and_relative_paths(tmp_path: Path) -> None:
    issues = _issues("Bootstrap: localimage\nFrom: /nonexistent/base.sif\n", tmp_path)
    assert [(i.severity, i.line, i.message) for i in issues] == [
        ("error", 2, "From: /nonexistent/base.sif does not exist")]
    # Singularity reads a relative From: from the folder the build runs in (the work directory
    # for kit.container.build), not from the definition file's folder.
    (tmp_path / "base.sif").write_text("x")  # next to env.def: does not count
    [issue] = _issues("Bootstrap: localimage\nFrom: base.sif\n", tmp_path)
    assert issue.message.startswith(f"From: base.sif does not exist in {tmp_path / 'work'} (a relative From: path")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "base.sif").write_text("x")
    assert _issues("Bootstrap: localimage\nFrom: base.sif\n", tmp_path) == ()
    assert validate(tmp_path / "env.def", site=_site(tmp_path), base_dir=tmp_path).issues == ()


def test_tilde_in_from_is_not_expanded_by_singularity(tmp_path: Path) -> None:
    [issue] = _issues("Bootstrap: localimage\nFrom: ~/sif/base.sif\n", tmp_path)
    assert "does not expand ~" in issue.message
    assert issue.hint == f"write the full path: 'From: {Path('~/sif/base.sif').expanduser()}'"


def test_missing_base_is_fine_where_nothing_is_built_but_a_placeholder_is_not(tmp_path: Path) -> None:
    path = tmp_path / "env.def"
    path.write_text("Bootstrap: localimage\nFrom: transformers-pytorch-gpu_4.35.2.sif\n")
    assert validate(path, site=_site(tmp_path), base_must_exist=False).issues == ()
    path.write_text((GOLDEN / "workshop-original.def").read_text())
    errors = validate(path, site=_site(tmp_path), base_must_exist=False).errors
    assert len(errors) == 1 and "/PATH/TO placeholder" in errors[0].message


def test_placeholder_hint_when_images_are_pulled_into_the_work_dir(tmp_path: Path) -> None:
    """The default: sif_dir is the work directory, where the build runs: the hint names the file alone."""
    site = load_site("ie-ryukyu", overrides={"work_dir": str(tmp_path / "work")})
    assert site.container.sif_dir == tmp_path / "work"
    issues = _issues((GOLDEN / "workshop-original.def").read_text(), tmp_path, site=site)
    error = next(i for i in issues if i.severity == "error")
    pulled = tmp_path / "work" / "transformers-pytorch-gpu_4.35.2.sif"
    assert f"cd {tmp_path / 'work'} && singularity pull {pulled.name} docker://" in error.hint
    assert error.hint.endswith("then write 'From: transformers-pytorch-gpu_4.35.2.sif'")
    pulled.parent.mkdir()
    pulled.write_text("x")
    error = next(i for i in _issues((GOLDEN / "workshop-original.def").read_text(), tmp_path, site=site)
                 if i.severity == "error")
    assert error.hint.startswith("write 'From: transformers-pytorch-gpu_4.35.2.sif' (the pulled image in ")


def test_validation_report_raises_with_every_issue(tmp_path: Path) -> None:
    path = tmp_path / "env.def"
    path.write_text((GOLDEN / "workshop-original.def").read_text())
    report = validate(path, site=_site(tmp_path))
    assert not report.ok and len(report.errors) == 1 and len(report.warnings) == 5
    with pytest.raises(DefFileError) as err:
        report.raise_for_errors()
    text = str(err.value)
    assert "1 error(s), 5 warning(s)" in text and f"{path}:2: error" in text and f"{path}:9: warning" in text


@pytest.mark.parametrize("text, expected", [
    ("From: ubuntu:22.04\n", [("error", 1, "no 'Bootstrap:' line")]),
    ("Bootstrap: dokcer\nFrom: ubuntu\n", [("error", 1, "unknown bootstrap agent 'dokcer'")]),
    ("Bootstrap: docker\n", [("error", 1, "'Bootstrap: docker' needs a 'From:' line naming the base image")]),
    ("Bootstrap: docker\nFrom: a\nFrom: b\n", [("error", 3, "'From' given twice (first on line 2)")]),
    ("Bootstrap: docker\nFrom: a\nFrum: b\n", [("warning", 3, "unknown header key 'Frum'")]),
    ("Bootstrap: docker\nFrom: a\npip install x\n", [("error", 3, "header line is not 'Key: value': 'pip install x'")]),
    ("Bootstrap: docker\nFrom: a\n\n%pots\n  true\n", [("error", 4, "unknown section %pots")]),
    ("Bootstrap: docker\nFrom: a\n  %post\n  true\n",
     [("error", 3, "indented section header '%post': a section must start at column 1")]),
    ("Bootstrap: docker\nFrom: a\n%post\n  true\n  %environment\n  export A=1\n",
     [("error", 5, "indented section header '%environment': it is read as part of %post, not as a new section")]),
    ("Bootstrap: docker\nFrom: a\n%post\n  true\nBootstrap: docker\n",
     [("error", 5, "a second 'Bootstrap:' (multi-stage build) is not supported by the kit")]),
    ("Bootstrap: docker\nFrom: a\n%post\n  true\n\t  echo mixed\n \techo again\n",
     [("warning", 5, "indentation mixes tabs and spaces in %post")]),
    ("Bootstrap: docker\nFrom: a\n%post\n  true\n%post\n  false\n",
     [("warning", 5, "%post appears twice (first on line 3); only one is used")]),
])
def test_each_validation_error(tmp_path: Path, text: str, expected: list[tuple[str, int, str]]) -> None:
    issues = _issues(text, tmp_path)
    assert [(i.severity, i.line, i.message) for i in issues] == expected


def test_unknown_section_suggests_the_close_one(tmp_path: Path) -> None:
    (issue,) = _issues("Bootstrap: docker\nFrom: a\n%pots\n", tmp_path)
    assert issue.hint == "did you mean %post?"


def test_crlf_is_an_error_on_the_first_line(tmp_path: Path) -> None:
    issues = _issues("Bootstrap: docker\r\nFrom: a\r\n%post\r\n  pip install x==1\r\n", tmp_path)
    assert [(i.severity, i.line) for i in issues] == [("error", 1)]
    assert "CRLF" in issues[0].message and "4 line(s)" in issues[0].message


def test_pinned_and_bounded_installs_pass(tmp_path: Path) -> None:
    text = ("Bootstrap: docker\nFrom: a\n%post\n"
            "    pip install 'numpy==1.26.4' \"requests>=2,<3\" ./local-pkg torch~=2.1.0\n"
            "    python3 -m pip install -e /src/pkg git+https://github.com/a/b@v1.0\n"
            "    pip3 --no-cache-dir install --index-url https://x/simple transformers==4.46.3\n")
    assert _issues(text, tmp_path) == ()


def test_unpinned_forms_are_found_with_their_lines(tmp_path: Path) -> None:
    text = ("Bootstrap: docker\nFrom: a\n%post\n"
            "    apt-get update && pip3 install -U accelerate\n"  # 4: after &&
            "    python3 -m pip install --no-cache-dir \\\n"  # 5: continuation
            "        datasets==3.1.0 \\\n"
            "        'evaluate>=0.4'\n"  # lower bound only
            "    cd /x; pip install git+https://github.com/a/b\n"  # 8: branch URL
            "    pip install -r requirements.txt  # comment: pip install nothing\n"  # 9
            "    echo pip install notreally\n")
    issues = _issues(text, tmp_path)
    assert [(i.line, i.message.split(":")[0]) for i in issues] == [
        (4, "unpinned `pip install accelerate` in %post"),
        (5, "unpinned `pip install evaluate>=0.4` in %post"),
        (8, "unpinned `pip install git+https"),
        (9, "pip install -r requirements.txt"),
    ]
    assert "only a lower bound (>=0.4)" in issues[1].message


def test_find_pip_installs_reports_requirements_and_flags() -> None:
    d = DefFile.parse("%post\n    pip install --upgrade pip\n    pip install -r req.txt x==1 -c c.txt\n")
    (a, b) = find_pip_installs(d.section("post"))
    assert (a.line, a.requirements, a.upgrade) == (2, ("pip",), True)
    assert (b.line, b.requirements, b.requirement_files, b.upgrade) == (3, ("x==1",), ("req.txt",), False)


def test_every_section_golden_file_is_valid(tmp_path: Path) -> None:
    report = validate(GOLDEN / "every-section.def", site=_site(tmp_path))
    assert report.issues == ()
    assert report.to_text().endswith("OK (no errors, no warnings)")
