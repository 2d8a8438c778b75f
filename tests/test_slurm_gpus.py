"""The one GPU-request check (kit.slurm.gpus) and sbatch's refusals, on captured real Slurm output."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import slurm
from kit.sites import load_site
from kit.slurm.client import submission_hint

DATA = Path(__file__).parent / "data" / "slurm"


def read(name: str) -> str:
    return (DATA / name).read_text()


@pytest.mark.parametrize(("gpus", "count"), [("tesla:1", 1), ("tesla:2", 2), ("4", 4), ("tesla", 1), ("", 0)])
def test_gpu_count(gpus: str, count: int) -> None:
    assert slurm.gpu_count(gpus) == count


def test_sinfo_partitions_and_gres() -> None:
    parts = slurm.parse_sinfo_gres(read("sinfo_partition_gres.txt"))
    assert [(p.name, p.default) for p in parts] == [("debug", True)]
    assert parts[0].gres[0].startswith("gpu:tesla:")
    # Several lines of one partition merge; socket annotations and (null) are dropped.
    merged = slurm.parse_sinfo_gres("gpu gpu:a100:4(S:0-1)\ngpu gpu:v100:2\ncpu* (null)\n")
    assert [(p.name, p.gres) for p in merged] == [("gpu", ("gpu:a100:4", "gpu:v100:2")), ("cpu", ())]


def test_check_gpu_request_by_type_count_and_partition() -> None:
    parts = slurm.parse_sinfo_gres("debug* gpu:tesla:2\nbig gpu:a100:8\n")
    assert slurm.check_gpu_request("tesla:1", parts) == ["debug"]
    assert slurm.check_gpu_request("2", parts) == ["debug", "big"]
    assert slurm.check_gpu_request("tesla:99", parts) == []
    assert slurm.check_gpu_request("a100:4", parts, partition="debug") == []


def test_an_impossible_request_is_named_not_the_profiles_valid_value() -> None:
    site = load_site("ci")  # slurm.gpus = "tesla:1", which this cluster can give
    parts = slurm.parse_sinfo_gres(read("sinfo_partition_gres.txt"))
    stderr = read("sbatch_gpus_unavailable.stderr")  # from a script asking for --gpus tesla:99
    hint = submission_hint(stderr, {"--gpus": "tesla:99"}, site, parts)
    assert "--gpus tesla:99" in hint and "the request in the job script" in hint
    assert "which is not what was submitted" in hint  # the profile's tesla:1 is not blamed
    assert "gpu:tesla:" in hint  # what the cluster offers


def test_the_profiles_own_value_is_blamed_when_it_is_the_request() -> None:
    site = load_site("ci", overrides={"slurm": {"gpus": "a100:1"}})
    hint = submission_hint(read("sbatch_gpus_badtype.stderr"), {"--gpus": "a100:1"}, site,
                           slurm.parse_sinfo_gres(read("sinfo_partition_gres.txt")))
    assert "slurm.gpus = 'a100:1' in" in hint and str(site.files[-1]) in hint
    assert "Set slurm.gpus to a type:count it offers" in hint


def test_gres_syntax_and_unreachable_controller_hints() -> None:
    hint = submission_hint(read("sbatch_gres_invalid.stderr"), {"--gres": "gpu:tesla:1:x"}, None, [])
    assert "--gpus tesla:1:x" in hint and "offers no GPUs" in hint
    down = submission_hint("sbatch: error: Unable to contact slurm controller (connect failure)", {}, None, [])
    assert down.startswith("Slurm is installed but not reachable") and "make slurm-up" in down
    other = submission_hint("sbatch: error: invalid partition specified: nope", {"--partition": "nope"}, None, [])
    assert other.startswith("read sbatch's message above")
