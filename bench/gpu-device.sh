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
      --define:VERSION='"gpu-check"' --log-level=error --outfile="$pack/$(basename "$entry" .ts).js"
  done
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$pack/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$pack/node_modules/webgpu/dist/linux-x64/"
  cp -r test/fixtures/tiny-distilbert "$pack/golden"
  xz -T0 -6 -c "$(command -v node)" > "$pack/node.xz"
  (cd "$pack" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "gpu-device: no libvulkan1 .deb (apt-get update first?)"
  cp bench/gpu-device.sh "$pack/gpu-device.sh"
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
  for f in libvulkan1*.deb; do [ -f "$f" ] && dpkg -x "$f" /tmp/vk; done
  export LD_LIBRARY_PATH=/tmp/vk/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  echo "libvulkan.so.1 from the carried libvulkan1"
fi
for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd && echo "ICD: $icd" && break
done
echo "== adapter and matMul"; timeout 90 $node gpuMatmul.js 1024 2048 4096
echo "== 20 training steps of DistilBERT-base at 20x128 on webgpu"; timeout 100 $node engine.js webgpu train 20 128 20 1
echo "== golden"; timeout 40 $node cli.js golden golden --device webgpu > "${OUT:-/tmp}/golden.json" && echo "golden: written"
RUN
  chmod +x "$pack/run.sh"
  du -sh "$pack"
  exit 0
fi
echo "usage: bash bench/gpu-device.sh pack   (then run tmp/gpu-pack/run.sh on the device machine)" >&2
exit 1
