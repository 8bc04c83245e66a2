#!/usr/bin/env bash
# One-shot GPU check, for a machine with one GPU and no network:
#   1. the harness on cuda against CLIP_benchmark on cuda (random open_clip ViT-B-32,
#      1000 stand-in images, 11 languages, fp32 and bf16): wall, peak RSS, cosine
#      agreement, recall equality (bench_vs_clip_benchmark.py);
#   2. the baseline heads at COCO scale for the three losses (bench_baseline_gpu.py);
#   3. a two-model Ray sweep (`xtd10 bench sweep --executor ray --gpus-per-model 1`, random
#      open_clip ViT-B-32 and ViT-B-16 checkpoints) over the XTD200 text track of the 20
#      languages of the CLIP_benchmark comparison, when NLLB_CLIP_SOURCE names a checkout of
#      visheratin/nllb-clip and Ray imports (its wheel is ~70 MB: install it beforehand).
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
    echo "== Ray sweep, two models, XTD200 text track ($device)"
    if [ -z "${NLLB_CLIP_SOURCE:-}" ] || ! "$python" -c "import ray" 2>/dev/null; then
        echo "skipped: needs NLLB_CLIP_SOURCE (a checkout of visheratin/nllb-clip) and Ray installed"
    else
        sweep_dir=$(mktemp -d /tmp/xtd10-gpu-sweep.XXXXXX)
        "$python" - "$sweep_dir" <<'PY'
import sys, torch, open_clip
for arch in ("ViT-B-32", "ViT-B-16"):  # random weights: the speed, not the scores, is measured
    torch.save(open_clip.create_model(arch).state_dict(), f"{sys.argv[1]}/{arch}.pt")
PY
        printf 'models:\n  - {spec: "open_clip:ViT-B-32@%s/ViT-B-32.pt", track: text}\n  - {spec: "open_clip:ViT-B-16@%s/ViT-B-16.pt", track: text}\n' \
            "$sweep_dir" "$sweep_dir" > "$sweep_dir/models.yaml"
        resources=(--gpus-per-model 1)
        [ "$device" = cpu ] && resources=(--cpus-per-model 1)
        languages=$("$python" -c "import sys; sys.path.insert(0, '$here/benchmark/speed'); import bench_vs_clip_benchmark as b; print(','.join(b.XTD200_LANGUAGES))")
        /usr/bin/time -f "sweep wall %e s, peak RSS %M KB" "$(dirname "$(command -v "$python")")/xtd10" bench sweep \
            --config "$sweep_dir/models.yaml" --dataset xtd200 --source "$NLLB_CLIP_SOURCE" --languages "$languages" \
            --device "$device" --bootstrap 0 --executor ray "${resources[@]}" --out "$sweep_dir/results"
    fi
} 2>&1 | tee "$log"
