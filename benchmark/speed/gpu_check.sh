#!/usr/bin/env bash
# One-shot GPU check, for a machine with one GPU and no network (about 6 minutes):
#   1. the harness on cuda against CLIP_benchmark on cuda (random open_clip ViT-B-32,
#      1000 stand-in images, 11 languages, fp32 and bf16): wall, peak RSS, cosine
#      agreement, recall equality (bench_vs_clip_benchmark.py);
#   2. the baseline heads at COCO scale for the three losses (bench_baseline_gpu.py).
#
# Usage: benchmark/speed/gpu_check.sh SOURCE [WHEELS] [DEVICE] [extra args for step 1]
#   SOURCE  an XTD10 caption folder in the upstream layout
#   WHEELS  a folder of wheels to install from with no network (see docs/benchmark.md,
#           "GPU check"); omitted or "-": use the python on PATH as it is
#   DEVICE  cuda (default) or cpu (a small-scale rehearsal: add e.g. --languages de,ja --images 100)
# Figures go to stdout and, when $OUT is set, to $OUT/gpu_check.txt.
set -euo pipefail
source_dir=${1:?usage: gpu_check.sh SOURCE [WHEELS] [DEVICE] [extra args]}
wheels=${2:--}
device=${3:-cuda}
shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")/../.." && pwd)
python=python3
if [ "$wheels" != "-" ]; then
    python3 -m venv /tmp/xtd10-gpu-venv
    /tmp/xtd10-gpu-venv/bin/pip install -q --no-index --find-links "$wheels" \
        torch torchvision open_clip_torch clip-benchmark requests
    /tmp/xtd10-gpu-venv/bin/pip install -q --no-index --find-links "$wheels" --no-build-isolation -e "$here"
    python=/tmp/xtd10-gpu-venv/bin/python
    export PATH=/tmp/xtd10-gpu-venv/bin:$PATH
fi
log=${OUT:-/tmp}/gpu_check.txt
scale=()
[ "$device" = cpu ] && scale=(--scale 0.01)
{
    echo "== harness vs CLIP_benchmark ($device)"
    "$python" "$here/benchmark/speed/bench_vs_clip_benchmark.py" --source "$source_dir" --device "$device" \
        --workdir /tmp/xtd10-vs-cb "$@"
    for loss in m3l patr infonce; do
        echo "== baseline heads, loss $loss ($device)"
        "$python" "$here/benchmark/speed/bench_baseline_gpu.py" --device "$device" --loss "$loss" "${scale[@]}"
    done
} 2>&1 | tee "$log"
