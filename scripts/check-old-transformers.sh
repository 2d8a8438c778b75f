#!/usr/bin/env bash
# Run bart_finetuning.py on the workshop image's old transformers (4.35.2, and 4.46.3 as env.def pins it), in a
# throwaway virtualenv: the branches for `--evaluation_strategy`, `Trainer(tokenizer=...)` and
# `--group_by_length true` only run there. Needs PyPI (a few minutes); not part of `make check`.
#
#   bash scripts/check-old-transformers.sh [4.35.2|4.46.3]
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-4.35.2}
venv=${TMPDIR:-/tmp}/kit-transformers-$version
work=$(mktemp -d)
case "$version" in
  4.35.*) extra=(accelerate==0.25.0) ;;  # accelerate 1.x dropped an argument 4.35's Trainer passes
  *) extra=(accelerate==1.0.1) ;;
esac
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q torch==2.13.0
"$venv/bin/pip" install -q "transformers==$version" datasets==3.1.0 sacrebleu==2.5.1 "numpy<2.3" "${extra[@]}"
# The tiny model's tokenizer is written by this stack's `tokenizers` (newer files do not load in older ones).
PYTHONPATH=$PWD "$venv/bin/python" - "$work/tiny" <<'EOF'
import sys
from kit.data import load_corpus
from kit.model import TinySettings, make_tiny_bart
make_tiny_bart(sys.argv[1], load_corpus("sample"), TinySettings(vocab_size=2000, d_model=128, layers=2, heads=4,
                                                                 ffn_dim=256))
EOF
HF_HUB_OFFLINE=1 "$venv/bin/python" bart_finetuning.py --model_name_or_path "$work/tiny" --data_dir kit/sample_data \
  --output_dir "$work/run" --max_steps 40 --evaluation_strategy steps --eval_steps 20 --save_strategy steps \
  --save_steps 20 --max_length 64 --per_device_train_batch_size 32 --learning_rate 1e-3 >"$work/log" 2>&1 \
  || { tail -30 "$work/log"; exit 1; }
"$venv/bin/python" -c "import json, sys; m = json.load(open(sys.argv[1])); assert m['global_step'] == 40, m; print(
    'transformers', sys.argv[2], 'ok: step', m['global_step'], 'BLEU', round(m['bleu'], 2))" "$work/run/metrics.json" "$version"
rm -rf "$work"
