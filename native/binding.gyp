{
  "targets": [{
    "target_name": "distilbert_native",
    "sources": ["distilbert_native.cc"],
    "cflags_cc": ["-O3", "-march=x86-64-v2", "-mtune=generic", "-fno-exceptions", "-std=c++17", "-fno-math-errno", "-fno-trapping-math"],
    "cflags_cc!": ["-fno-rtti"],
    "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"],
    "libraries": [
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a",
      "-lpthread", "-lm"
    ],
    "ldflags": ["-s", "-Wl,--gc-sections", "-Wl,--exclude-libs,ALL"],
    "defines": ["NAPI_VERSION=8"]
  }]
}
