#!/usr/bin/env bash
# One prepared check of a GPU runner, in under 8 minutes; prints ONE table (step, status,
# seconds, detail). Run it from the repository root, in the environment the nightly uses
# (a CUDA build of torch and the project installed: pip install -e '.[ml,test,report,sheet,gpu]').
#
#   bash benchmarks/gpu_check.sh
#
# Steps: harness doctor --gpu; the unit suite (its GPU tests run when a GPU is visible); one
# short GPU profile of the integration suite into a throwaway store (accuracy floors hold:
# ResNet >= 0.90, ViT >= 0.85); the timing benchmark (benchmarks/foundation.py, on CPU too);
# CUDA-event vs host-clock agreement (within 1 %); the noise benchmark on the GPU
# (benchmarks/noise.py --device cuda: CV of 10 repeated measurements, its table printed after
# the summary; target CV <= 1 %); multi-GPU sharding (python -m harness.measure.gpus) when
# there is more than one GPU. Without a GPU every GPU step is skipped with its reason and the
# script exits 0.
# It exits 1 when a step that ran failed.
#
# Environment: PYTHON (default python3), FASHION_MNIST_DIR (default Debian's package folder),
# GPU_CHECK_BUDGET_S (whole-script limit, default 480), GPU_CHECK_KEEP=1 keeps the work folder.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
PYTHON=${PYTHON:-python3}
BUDGET=${GPU_CHECK_BUDGET_S:-480}
export FASHION_MNIST_DIR=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
[ "${GPU_CHECK_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
# A throwaway store: nothing this script measures reaches the real results.
export HARNESS_STORE="$WORK/results.db"
STARTED=$(date +%s)
ROWS=()
FAILED=0

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "gpu_check: $PYTHON not found; set PYTHON to the nightly's interpreter" >&2
    exit 2
fi

row() { ROWS+=("$1|$2|$3|$4"); }
left() { echo $((BUDGET - ($(date +%s) - STARTED))); }

# run NAME LIMIT_S COMMAND...: run a step with a time limit; the detail is its last output line.
run() {
    local name=$1 limit=$2 log="$WORK/$1.log" began status detail
    shift 2
    if [ "$(left)" -lt "$limit" ]; then limit=$(left); fi
    if [ "$limit" -le 5 ]; then row "$name" skipped 0 "script budget (${BUDGET} s) spent"; return; fi
    began=$(date +%s.%N)
    timeout "$limit" "$@" >"$log" 2>&1
    status=$?
    detail=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-110)
    if [ "$status" = 124 ]; then detail="timed out after ${limit} s; $detail"; fi
    if [ "$status" = 0 ]; then status=ok; else status="FAILED ($status)"; FAILED=1; fi
    row "$name" "$status" "$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')" \
        "$detail"
}

# GPUs as torch sees them ("COUNT|REASON": the reason there are none), in one torch import.
PROBE=$("$PYTHON" - <<'EOF' 2>&1 | tail -n 1
import shutil
try:
    import torch
except ImportError as error:
    print(f"0|no GPU: torch does not import ({error})")
else:
    if torch.cuda.is_available():
        print(f"{torch.cuda.device_count()}|")
    else:
        build = torch.version.cuda or "none (a CPU build of torch)"
        smi = "nvidia-smi found" if shutil.which("nvidia-smi") else "no nvidia-smi (no driver)"
        print(f"0|no GPU: torch.cuda.is_available() is False; torch {torch.__version__}, "
              f"CUDA build {build}, {smi}")
EOF
)
GPUS=${PROBE%%|*}
NO_GPU=${PROBE#*|}
case "$GPUS" in ''|*[!0-9]*) GPUS=0; NO_GPU="no GPU: the torch probe failed: $PROBE";; esac
gpu_step() {  # gpu_step NAME LIMIT COMMAND...: a step that needs a GPU
    if [ -n "$NO_GPU" ]; then row "$1" skipped 0 "$NO_GPU"; return; fi
    run "$@"
}

gpu_step "harness doctor --gpu" 60 "$PYTHON" -m harness.cli doctor --gpu
gpu_step "unit suite (GPU tests)" 150 "$PYTHON" -m pytest suites/unit -q -p no:cacheprovider -x
gpu_step "integration, GPU profile" 240 env HARNESS_PROFILE=gpu \
    "$PYTHON" -m pytest suites/integration -q -p no:cacheprovider -x --durations=5
run "timing benchmark" 90 "$PYTHON" benchmarks/foundation.py --skip-unit --repeats 1

cat >"$WORK/events.py" <<'EOF'
"""CUDA events and the host clock time the same GPU work: they must agree within 1 %."""
import time
import torch

device = torch.device("cuda")
left, right = torch.randn(4096, 4096, device=device), torch.randn(4096, 4096, device=device)
for _ in range(5):
    left @ right
torch.cuda.synchronize()
ratios = []
for _ in range(10):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    began = time.perf_counter()
    start.record()
    for _ in range(20):
        left @ right
    end.record()
    end.synchronize()
    host = time.perf_counter() - began
    ratios.append(start.elapsed_time(end) / 1000 / host)
ratios.sort()
median = ratios[len(ratios) // 2]
print(f"CUDA event / host clock: median {median:.3f} (min {ratios[0]:.3f}, max {ratios[-1]:.3f})")
raise SystemExit(0 if abs(median - 1) <= 0.01 else 1)
EOF
gpu_step "CUDA event vs host clock" 60 "$PYTHON" "$WORK/events.py"
NOISE_LOG="$WORK/noise benchmark, GPU.log"
gpu_step "noise benchmark, GPU" 150 "$PYTHON" benchmarks/noise.py --device cuda --skip-load \
    --repeats 10 --batch 256

cat >"$WORK/shard.sh" <<'EOF'
set -eu
args=$("$PYTHON" -m harness.measure.gpus)
case "$args" in *"-n $GPUS "*) ;; *) echo "expected -n $GPUS for $GPUS GPUs, got: '$args'"; exit 1;; esac
mkdir -p "$WORK/shard"
cat >"$WORK/shard/test_shard.py" <<TEST
import os, time, pytest
@pytest.mark.parametrize("n", range(4 * $GPUS))
def test_each_worker_has_its_gpu(device, n):
    time.sleep(0.5)
    name = os.path.join("$WORK/shard", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    with open(name, "a") as handle:
        print(device, file=handle)
TEST
# shellcheck disable=SC2086  # the xdist arguments are several words
"$PYTHON" -m pytest "$WORK/shard/test_shard.py" -q -p no:cacheprovider --rootdir "$WORK/shard" $args
devices=$(cat "$WORK"/shard/gw* | sort -u | wc -l)
workers=$(find "$WORK/shard" -name 'gw*' | wc -l)
echo "$workers workers on $devices distinct GPUs ($args)"
[ "$devices" = "$GPUS" ] && [ "$workers" = "$GPUS" ]
EOF
if [ "$GPUS" -gt 1 ]; then
    run "multi-GPU sharding" 90 env PYTHON="$PYTHON" GPUS="$GPUS" WORK="$WORK" bash "$WORK/shard.sh"
elif [ -n "$NO_GPU" ]; then
    row "multi-GPU sharding" skipped 0 "$NO_GPU"
else
    row "multi-GPU sharding" skipped 0 "one GPU: sharding needs more than one"
fi

total=$(( $(date +%s) - STARTED ))
printf '\n| %-26s | %-12s | %7s | %s\n' step status seconds detail
printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..14})" \
    "$(printf -- '-%.0s' {1..9})" "--------"
for line in "${ROWS[@]}"; do
    IFS='|' read -r name status seconds detail <<<"$line"
    printf '| %-26s | %-12s | %7s | %s\n' "$name" "$status" "$seconds" "$detail"
done
printf '| %-26s | %-12s | %7s | %s\n' total "$([ "$FAILED" = 0 ] && echo ok || echo FAILED)" \
    "$total" "GPUs: $GPUS; budget ${BUDGET} s"
if [ -s "$NOISE_LOG" ]; then
    printf '\nnoise benchmark on the GPU:\n'
    grep -v NoiseWarning "$NOISE_LOG" | grep -v '^  result = ' | tail -n 40
fi
exit "$FAILED"
