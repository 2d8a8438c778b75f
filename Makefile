# Entry points of the workshop kit. `make help` lists them.
#   make slides   the main job: set up, execute every lesson (local profile), render HTML + PDF
#   make check    the tests: pairing, every lesson executed on the one-node Slurm (ci profile), pytest

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python writes the bytecode of what it imports (.venv, kit/): where PYTHONDONTWRITEBYTECODE is set
# (some CI images set it), every process would compile transformers' modules again (~1 s of CPU each,
# and make check starts a hundred such processes). uv installs without bytecode.
unexport PYTHONDONTWRITEBYTECODE

PY      := .venv/bin/python
# The site: SITE given to make, else $KIT_SITE from the shell (as the lessons and the CLI read it), else local.
SITE    ?= $(or $(KIT_SITE),local)
OUT     ?= build/slides
LESSONS ?=

# The values a user gives (SITE, KIT_SITE, LESSONS, REFRESH, PORT, OUT) reach a recipe only through these,
# so a space or a `;` in one stops make with a message before any line of the recipe runs, never a bash
# error or a second command. $(call name,VALUE,VAR): VALUE when it is one name (letters, digits, . _ - /);
# $(call names,...): a list of them (LESSONS="01-container 03-slurm", may be empty); $(call path,...): a
# folder, quoted for bash where it needs it (OUT="my decks").
NAME_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H I J K L M N O P Q R S T U V W X \
	Y Z 0 1 2 3 4 5 6 7 8 9 . _ - /
not_name = $(if $(2),$(call not_name,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(strip $(1)))
is_name = $(and $(filter 1,$(words $(1))),$(if $(call not_name,$(1),$(NAME_CHARS)),,yes))
name = $(if $(call is_name,$(1)),$(strip $(1)),$(error $(2)='$(1)' is not a name: use letters, digits and . _ - / only))
names = $(if $(call not_name,$(1),$(NAME_CHARS)),$(error $(2)='$(1)' is not a list of names: use letters, digits \
	and . _ - / only, names separated by spaces),$(strip $(1)))
path = $(if $(call is_name,$(1)),$(strip $(1)),$(if $(strip $(1)),'$(subst ','\'',$(1))',$(error $(2) is empty: name a folder)))
SITE_ARG    = $(call name,$(SITE),$(if $(and $(filter file,$(origin SITE)),$(KIT_SITE)),KIT_SITE,SITE))
LESSONS_ARG = $(call names,$(LESSONS),LESSONS)
OUT_ARG     = $(call path,$(OUT),OUT)
REFRESH_ARG = $(if $(REFRESH),--refresh $(filter-out all,$(call names,$(REFRESH),REFRESH)))
# The Jupyter kernel `make lab` registers; notebooks/*.ipynb name it in their kernelspec.
KERNEL      := workshop-kit
KERNEL_DESC := Python (BART workshop kit)

.PHONY: help setup slides slides-fast watch check sync-check imports sync program test test-fast lessons-ci slurm-up \
	slurm-down bench bench-render lint clean doctor env-def pins-check lock lab

# make lab: SITE given to make wins, else $KIT_SITE from the shell, else local.
LAB_SITE = $(if $(and $(filter file,$(origin SITE)),$(KIT_SITE)),$(call name,$(KIT_SITE),KIT_SITE),$(SITE_ARG))
LAB_PORT = $(call name,$(or $(PORT),8888),PORT)

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## install everything from the project's own files (idempotent): .venv, npm ci, apt packages
	@bash scripts/setup.sh

slides: setup ## the main job: execute changed lessons (SITE=local; the rest from the cache), render HTML + PDF + notes
	$(PY) -m litmarp slides $(LESSONS_ARG) --site $(SITE_ARG) --pdf --out $(OUT_ARG) $(REFRESH_ARG)
	@echo "Open the decks above in a browser or PDF viewer (presenter view: press P in the HTML deck)."

watch: setup ## serve the decks (marp-cli server, PORT=8080) and re-render from the cache when a lesson changes
	$(PY) -m litmarp watch $(LESSONS_ARG) --site $(SITE_ARG) --out $(OUT_ARG) --port $(call name,$(or $(PORT),8080),PORT)

# The kernel is registered by `make lab`, on every start, not by scripts/setup.sh: setup skips its
# Python steps while the lock is unchanged, and a kernelspec holds the absolute path of
# .venv/bin/python, so writing it again (well under a second) keeps it pointing at the environment
# of the checkout that starts the lab. --sys-prefix puts it in .venv/share/jupyter/kernels: the
# project's kernel, not one in the user's ~/.local. KIT_SITE is exported to the server, and the
# kernels it starts inherit it (the lessons' parameters cell reads it). The server listens on
# localhost only (Jupyter's default), with a token. LAB_ARGS: more options for `jupyter lab`.
lab: ## JupyterLab on the learner's notebooks (lab/: exercises, no solutions) with the kit's kernel (PORT=8888, SITE=local or KIT_SITE, NO_BROWSER=1)
	@[ -f sites/$(LAB_SITE).toml ] && [ "$(LAB_SITE)" != default ] \
	  || { echo "make lab: no site profile sites/$(LAB_SITE).toml (SITE=local, ie-ryukyu, ... or your own)" >&2; exit 2; }
	@KIT_NODE=optional bash scripts/setup.sh
	@$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "$(KERNEL_DESC)" >/dev/null
	@# ```bash cells are command cells (litmarp.shell) in the participant's kernel, as when the lessons are executed
	@$(PY) -c 'import json, sys; k = json.load(open(sys.argv[1])); k["argv"] = [a for a in k["argv"] if a != "--ext=litmarp.shell"] + ["--ext=litmarp.shell"]; json.dump(k, open(sys.argv[1], "w"), indent=1)' .venv/share/jupyter/kernels/$(KERNEL)/kernel.json
	@echo "[lab] kernel \"$(KERNEL_DESC)\" ($(abspath $(PY))), site $(LAB_SITE)"
	@echo "[lab] on a login node (NO_BROWSER=1): ssh -N -L $(LAB_PORT):localhost:$(LAB_PORT) <login-node> on your laptop, then open the URL below"
	@# The learner's notebooks, made from slides/ (a notebook the participant saved is kept): lab/
	@$(PY) -m litmarp learner --out lab
	KIT_SITE=$(LAB_SITE) exec $(PY) -m jupyterlab --ServerApp.root_dir=lab --ServerApp.port=$(LAB_PORT) \
		--MappingKernelManager.default_kernel_name=$(KERNEL) $(if $(NO_BROWSER),--no-browser) $(LAB_ARGS)

slides-fast: setup ## render the decks from the sources without executing (quick edits)
	$(PY) -m litmarp slides $(LESSONS_ARG) --no-exec --out $(OUT_ARG)

check: setup slurm-up sync-check imports test ## everything CI runs: pairing, the import contracts, then pytest (every lesson on Slurm in the ci and rehearsal sites, decks)

sync-check: ## fail if a slides/*.md and its notebooks/*.ipynb differ, or bart_finetuning.py and lesson 02
	$(PY) -m litmarp check
	$(PY) -m kit program check

imports: ## the import contracts in pyproject.toml (import-linter): the engine imports nothing of kit, no cycles
	.venv/bin/lint-imports

program: ## regenerate bart_finetuning.py from lesson 02's cells tagged "program"
	$(PY) -m kit program write

sync: ## pair new lessons and bring notebooks in line with slides (jupytext --sync)
	.venv/bin/jupytext --sync slides/*.md

lessons-ci: ## execute every lesson (ci profile, cached) and render HTML + PDF into build/check (make test does it too)
	$(PY) -m litmarp slides $(LESSONS_ARG) --site ci --pdf --out build/check

# Three workers: much of the suite waits on Slurm (time limits, KillWait) and on subprocesses, so
# three keep the two CPUs busy. --dist loadfile with the groups of tests/conftest.py: each file on one
# worker (a module's early-submitted job and its last test stay together), the deck files together,
# the longest first (--no-loadscope-reorder: xdist would order them by their number of tests). The first deck test executes every lesson (ci profile, through the cache) into
# build/check while the other workers go on. OMP_NUM_THREADS=1: workers, kernels and Slurm jobs share
# two cores; a second thread makes the tiny model only 1.3x faster for twice the CPU.
test: ## run pytest on 3 workers; it executes every lesson (ci profile) into build/check on the way
	OMP_NUM_THREADS=1 KIT_CHECK_BUILD=build/check $(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=15

test-fast: ## the unit tests only (no Slurm, no lessons or decks, nothing slow) on 2 workers: the quick loop, about 40 s
	$(PY) -m pytest -q -n 2 -m "not slurm and not decks and not slow"

lock: ## re-resolve requirements.lock from pyproject.toml (uv; UPGRADE=1 moves every pin to the newest allowed)
	@bash scripts/lock.sh

slurm-up: ## start the one-node Slurm cluster on localhost (installs Debian's packages when root)
	@bash scripts/slurm-up.sh

slurm-down: ## stop the daemons slurm-up started
	@bash scripts/slurm-down.sh

doctor: setup ## what this machine has, and which lesson steps run here (SITE=...)
	$(PY) -m kit doctor --site $(SITE_ARG)

env-def: setup ## regenerate container/env.def from kit/versions.py (the one place for the pins)
	$(PY) -m kit container def --out container/env.def --force

pins-check: setup ## check with pip (dry run, needs PyPI) that the pins in kit/versions.py install together
	$(PY) -m kit container pins --check

bench: setup ## run the benchmarks in bench/ (throughput, quality; quality needs ../shared/data)
	$(PY) bench/throughput.py
	$(PY) bench/quality.py

bench-render: setup ## measure re-rendering from the cache: six decks unchanged, one text edit (bench/render_cache.py)
	$(PY) bench/render_cache.py

lint: ## ruff and mypy
	.venv/bin/ruff check kit litmarp tests bench
	.venv/bin/mypy kit litmarp

clean: ## remove rendered decks and executed notebooks; keeps build/work (training runs, logs)
	find build -mindepth 1 -maxdepth 1 ! -name work -exec rm -rf {} + 2>/dev/null || true
	@echo "kept build/work (runs, checkpoints, logs): remove it yourself if you mean to"
