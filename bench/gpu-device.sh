#!/usr/bin/env bash
# The WebGPU check on a real GPU, for a session that is lent the device machine (an NVIDIA H200 with
# no network and, as far as we know, no Node.js). Two halves:
#
#   bash bench/gpu-device.sh pack    here: writes tmp/gpu-pack/ (about 40 MB): the CLI and the bench
#                                    engines bundled with TensorFlow.js, Dawn's linux-x64 dawn.node,
#                                    the golden checkpoint, this machine's Node.js (xz), libvulkan1
#   bash tmp/gpu-pack/run.sh         there (device tool: carry ["tmp/gpu-pack"], timeout 240 s):
#                                    nvidia-smi, the Vulkan ICDs, the adapter Dawn gets, matMul
#                                    GFLOP/s at 1024/2048/4096, 20 DistilBERT-base training steps at
#                                    20x128 on webgpu, and the golden checkpoint on that adapter.
#                                    Then, with the machine's own PyTorch and transformers 5.x:
#                                    PyTorch's step at 20x128 on CUDA (the comparison); transformers
#                                    loading a model we trained (same probabilities); our exported
#                                    script run by transformers' Trainer; and our predict on the
#                                    folder that Trainer wrote (same probabilities again).
#                                    Everything goes to $OUT/gpu-device.txt (and golden.json).
#
# Then, here: node ../shared/tools/compare_golden.mjs test/fixtures/tiny-distilbert < golden.json
set -euo pipefail
cd "$(dirname "$0")/.."
pack=tmp/gpu-pack

if [ "${1:-}" = pack ]; then
  rm -rf "$pack" && mkdir -p "$pack/node_modules/webgpu/dist/linux-x64"
  for entry in src/cli.ts bench/engine.ts bench/gpuMatmul.ts; do
    npx esbuild "$entry" --bundle --platform=node --target=node20 --format=cjs --external:webgpu \
      --define:VERSION='"gpu-check"' --minify --log-level=error --outfile="$pack/$(basename "$entry" .ts).js"
  done
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$pack/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$pack/node_modules/webgpu/dist/linux-x64/"
  cp -r test/fixtures/tiny-distilbert "$pack/golden"
  xz -T0 -6 -c "$(command -v node)" > "$pack/node.xz"
  # The Vulkan loader and GLVND, which NVIDIA's Vulkan driver (libGLX_nvidia) needs and the image lacks.
  mkdir -p "$pack/gl" && (cd "$pack/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1) \
    || echo "gpu-device: no Vulkan loader .debs (apt-get update first?)"
  cp bench/gpu-device.sh bench/torch_reference.py bench/hf_interop.py "$pack/"
  # Interop: a small model trained here (from scratch, one layer) with our predictions, and the
  # same recipe exported for transformers' Trainer (its own output folder).
  interop=$pack/interop && mkdir -p "$interop"
  cp test/fixtures/data/uci_sentiment.csv "$interop/reviews.csv"
  cp -r test/fixtures/workspace/tiny-model "$interop/tiny-model"
  for run in ours hf; do
    printf '%s\n' 'model: ./tiny-model' 'train_file: reviews.csv' 'text_column: text' 'label_column: label' \
      'max_length: 64' 'learning_rate: 1e-3' 'per_device_train_batch_size: 32' 'num_train_epochs: 3' \
      'save_strategy: "no"' "output_dir: $run-run" > "$interop/$run.finetune.yaml"
  done
  node dist/cli.js train "$interop/ours.finetune.yaml" > /dev/null
  sed -n '2,9p' test/fixtures/data/uci_sentiment.csv | sed -E 's/,(positive|negative)$//; s/^"(.*)"$/\1/' > "$interop/texts.txt"
  echo 'Ünïcödé café — naïve résumé!' >> "$interop/texts.txt"
  mapfile -t texts < "$interop/texts.txt"
  node dist/cli.js predict --model "$interop/ours-run" --json "${texts[@]/#/--text=}" > "$interop/ours-predictions.jsonl"
  node dist/cli.js export "$interop/hf.finetune.yaml" > /dev/null
  # One epoch of the reference recipe's shape on the GPU: DistilBERT-base (from scratch: the hub's
  # weights cannot travel) on the UCI sentences, batch 20, max_length 128, evaluated at the end.
  cp -r test/fixtures/workspace/tiny-model "$interop/base-model"
  node -e 'const f=process.argv[1], c=require(f); Object.assign(c,{dim:768,n_layers:6,n_heads:12,hidden_dim:3072,max_position_embeddings:512}); require("fs").writeFileSync(f, JSON.stringify(c,null,2))' "$PWD/$interop/base-model/config.json"
  printf '%s\n' 'model: ./base-model' 'train_file: reviews.csv' 'text_column: text' 'label_column: label' \
    'num_train_epochs: 1' 'save_strategy: "no"' 'logging_steps: 20' 'output_dir: base-run' > "$interop/base.finetune.yaml"
  cat > "$pack/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the device machine; see bench/gpu-device.sh.
cd "$(dirname "$0")"
out=${OUT:-/tmp}/gpu-device.txt
exec > >(tee "$out") 2>&1
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('node.xz'), open('/tmp/node','wb'))" && chmod +x /tmp/node
node=/tmp/node; $node --version
echo "== nvidia-smi"; timeout 15 nvidia-smi || echo "no nvidia-smi"
echo "== Vulkan ICDs"; ls -l /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  echo "libvulkan.so.1 and GLVND from the carried .debs"
fi
glx=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}'); echo "libGLX_nvidia: ${glx:-not found}"
[ -n "$glx" ] && ldd "$glx" | grep -E "not found|GLdispatch|vulkan" || true
for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd && echo "ICD: $icd" && cat "$icd" && break
done
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
echo "== the Vulkan loader's view"; VK_LOADER_DEBUG=error,warn,driver timeout 30 $node gpuMatmul.js 64 2>&1 | grep -viE "^\s*at " | head -n 25
echo "== adapter and matMul"; timeout 90 $node gpuMatmul.js 1024 2048 4096
echo "== 20 training steps of DistilBERT-base at 20x128 on webgpu"; timeout 100 $node engine.js webgpu train 20 128 20 1
echo "== golden"; timeout 40 $node cli.js golden golden --device webgpu > "${OUT:-/tmp}/golden.json" && echo "golden: written"
echo "== PyTorch (eager, fp32) training step at 20x128 on CUDA"
[ -n "${SKIP_TORCH:-}" ] || timeout 60 python3 torch_reference.py step --batch 20 --seq 128 --repeats 20 --warmup 3 --device cuda
cd interop && mapfile -t texts < texts.txt
echo "== transformers loads a model we trained"; timeout 60 python3 ../hf_interop.py ours-run ours-predictions.jsonl
echo "== our exported script, run by transformers' Trainer"
timeout 120 python3 hf.train.py > "${OUT:-/tmp}/hf-train.log" 2>&1; echo "exit $?"; tail -n 15 "${OUT:-/tmp}/hf-train.log"
ls hf-run
echo "== one epoch of DistilBERT-base on the UCI sentences, webgpu (from scratch)"
( time timeout 200 $node ../cli.js train base.finetune.yaml --device webgpu ) 2>&1 | tr '\r' '\n' | grep -E "samples/s|evaluation|final metrics|^real|error" | tail -n 5
echo "== our predict on the folder Trainer wrote"
timeout 30 $node ../cli.js predict --device cpu --model hf-run --json "${texts[@]/#/--text=}" > hf-predictions.jsonl; echo "exit $?"
timeout 60 python3 ../hf_interop.py hf-run hf-predictions.jsonl
RUN
  chmod +x "$pack/run.sh"
  du -sh "$pack"
  exit 0
fi
echo "usage: bash bench/gpu-device.sh pack   (then run tmp/gpu-pack/run.sh on the device machine)" >&2
exit 1
