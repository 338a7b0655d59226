// Native CPU kernels for the training worker: matrix products through OpenBLAS, and fused
// element-wise kernels for DistilBERT's hot operations. Every function works on typed arrays the
// caller allocated (no allocation here), so TensorFlow.js' cpu backend data is used in place.
//
// Built with node-gyp against plain N-API (a C ABI that is stable across Node.js and Electron
// versions); optional: when it is not built or cannot load, training runs on wasm or JavaScript.
#include <node_api.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// --- a small thread pool for the element-wise kernels ------------------------------------------------
// parallelFor(n, fn) splits [0, n) into one contiguous range per core and runs them at once (the
// caller takes the first). Small ranges run inline: a hand-off costs more than it saves.
class Pool {
 public:
  Pool() {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < cores; ++i) workers_.emplace_back([this, i] { loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  size_t size() const { return workers_.size() + 1; }

  void run(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
    const int64_t parts = std::min<int64_t>(static_cast<int64_t>(size()), std::max<int64_t>(1, n / grain));
    if (parts <= 1) {
      fn(0, n);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      n_ = n;
      parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    fn(0, n / parts);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop(unsigned index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t, int64_t)>* job;
      int64_t n, parts;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && job_ != nullptr && index < parts_); });
        if (stop_) return;
        seen = generation_;
        job = job_;
        n = n_;
        parts = parts_;
      }
      (*job)(n * index / parts, n * (index + 1) / parts);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t n_ = 0, parts_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

/** Runs fn(begin, end) over [0, n) on all cores when there is at least `grain` work per core. */
void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain = 1 << 15) {
  pool().run(n, fn, grain);
}

// --- argument helpers --------------------------------------------------------------------------

struct Args {
  static constexpr size_t kCapacity = 24;
  napi_env env;
  size_t count = kCapacity;
  napi_value values[kCapacity];
  bool ok = true;

  Args(napi_env e, napi_callback_info info) : env(e) {
    // napi_get_cb_info reports the number of arguments passed, which may exceed the buffer.
    napi_get_cb_info(env, info, &count, values, nullptr, nullptr);
    if (count > kCapacity) {
      count = kCapacity;
      fail("too many arguments");
    }
  }

  void fail(const char* message) {
    if (ok) napi_throw_type_error(env, nullptr, message);
    ok = false;
  }

  void failRange(const std::string& message) {
    if (ok) napi_throw_range_error(env, nullptr, message.c_str());
    ok = false;
  }

  template <typename T>
  T* array(size_t i, size_t* length = nullptr) {
    if (i >= count) {
      fail("missing typed array argument");
      return nullptr;
    }
    napi_typedarray_type type;
    size_t n = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, values[i], &type, &n, &data, nullptr, nullptr) != napi_ok) {
      fail("expected a typed array");
      return nullptr;
    }
    if (length) *length = n;
    return static_cast<T*>(data);
  }

  /**
   * A typed array argument that the kernel reads or writes up to element `needed` - 1: a shorter
   * one is refused (a RangeError naming it), since the kernel would run past its end.
   */
  template <typename T>
  T* array(size_t i, int64_t needed, const char* name) {
    size_t n = 0;
    T* data = array<T>(i, &n);
    if (ok && static_cast<int64_t>(n) < needed) {
      failRange(std::string(name) + " has " + std::to_string(n) + " elements; the kernel needs " + std::to_string(needed));
    }
    return data;
  }

  /** As `array(i, needed, name)`, for an argument that may be left out (undefined/null): nullptr. */
  template <typename T>
  T* optionalArray(size_t i, int64_t needed, const char* name) {
    if (i >= count) return nullptr;
    napi_valuetype type;
    napi_typeof(env, values[i], &type);
    return type == napi_object ? array<T>(i, needed, name) : nullptr;
  }

  /** Dimensions must be positive (and strides, leading dimensions non-negative): refuses others. */
  void requireDims(std::initializer_list<int64_t> dims, const char* kernel) {
    for (int64_t d : dims) {
      if (ok && d < 0) failRange(std::string(kernel) + ": a dimension or stride is negative");
    }
  }

  /** A typed array argument that may be left out (undefined/null), or nullptr. */
  template <typename T>
  T* optionalArray(size_t i) {
    if (i >= count) return nullptr;
    napi_valuetype type;
    napi_typeof(env, values[i], &type);
    return type == napi_object ? array<T>(i) : nullptr;
  }

  double number(size_t i) {
    double v = 0;
    if (i >= count || napi_get_value_double(env, values[i], &v) != napi_ok) fail("expected a number");
    return v;
  }

  int64_t integer(size_t i) { return static_cast<int64_t>(number(i)); }
  bool boolean(size_t i) {
    bool v = false;
    if (i >= count || napi_get_value_bool(env, values[i], &v) != napi_ok) fail("expected a boolean");
    return v;
  }
};

/** Elements a row-major rows x cols matrix with leading dimension ld spans (0 when empty). */
int64_t extent(int64_t rows, int64_t cols, int64_t ld) {
  return rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
}

/** Elements `count` matrices of `size` elements, `stride` apart, span (stride 0: one shared matrix). */
int64_t batched(int64_t count, int64_t stride, int64_t size) {
  return size > 0 && count > 0 ? (count - 1) * stride + size : 0;
}

napi_value undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

// --- matrix products ---------------------------------------------------------------------------

// gemm(transA, transB, M, N, K, A, B, C, batch, strideA, strideB, strideC, beta, bias?)
// Row-major C[b] = op(A[b]) op(B[b]) (+ beta C[b]) (+ bias broadcast over rows), for b < batch.
// A stride of 0 reuses the same matrix for every batch entry (broadcasting).
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  bool transA = a.boolean(0), transB = a.boolean(1);
  int64_t M = a.integer(2), N = a.integer(3), K = a.integer(4);
  int64_t batch = a.integer(8), strideA = a.integer(9), strideB = a.integer(10), strideC = a.integer(11);
  a.requireDims({M, N, K, batch, strideA, strideB, strideC}, "gemm");
  float* A = a.array<float>(5, batched(batch, strideA, M * K), "gemm: A");
  float* B = a.array<float>(6, batched(batch, strideB, K * N), "gemm: B");
  float* C = a.array<float>(7, batched(batch, strideC, M * N), "gemm: C");
  float beta = static_cast<float>(a.number(12));
  float* bias = a.optionalArray<float>(13, N, "gemm: bias");
  if (!a.ok) return nullptr;
  const int lda = transA ? M : K, ldb = transB ? K : N;
  for (int64_t b = 0; b < batch; ++b) {
    float* c = C + b * strideC;
    float beta_b = beta;
    if (bias) {
      for (int64_t i = 0; i < M; ++i) std::memcpy(c + i * N, bias, sizeof(float) * N);
      beta_b = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.0f, A + b * strideA, lda, B + b * strideB, ldb, beta_b, c, static_cast<int>(N));
  }
  return undefined(env);
}

// gemmHeads(transA, transB, M, N, K, alpha, A, lda, aB, aH, B, ldb, bB, bH, C, ldc, cB, cH, batches, heads):
// for b < batches, h < heads: C[b,h] = alpha op(A[b,h]) op(B[b,h]), where X[b,h] starts at
// X + b*xB + h*xH with leading dimension ldx. Attention over all heads of a [tokens, dim] matrix
// (head h = columns h*dh .. h*dh+dh-1) without splitting the heads into their own arrays.
napi_value GemmHeads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  bool transA = a.boolean(0), transB = a.boolean(1);
  int64_t M = a.integer(2), N = a.integer(3), K = a.integer(4);
  float alpha = static_cast<float>(a.number(5));
  int64_t lda = a.integer(7), aB = a.integer(8), aH = a.integer(9);
  int64_t ldb = a.integer(11), bB = a.integer(12), bH = a.integer(13);
  int64_t ldc = a.integer(15), cB = a.integer(16), cH = a.integer(17);
  int64_t batches = a.integer(18), heads = a.integer(19);
  a.requireDims({M, N, K, lda, aB, aH, ldb, bB, bH, ldc, cB, cH, batches, heads}, "gemmHeads");
  // The last matrix starts at (batches-1)*xB + (heads-1)*xH and spans its rows at stride ldx.
  const auto last = [&](int64_t xB, int64_t xH, int64_t rows, int64_t cols, int64_t ld) {
    const int64_t span = extent(rows, cols, ld);
    return span > 0 && batches > 0 && heads > 0 ? (batches - 1) * xB + (heads - 1) * xH + span : 0;
  };
  float* A = a.array<float>(6, last(aB, aH, transA ? K : M, transA ? M : K, lda), "gemmHeads: A");
  float* B = a.array<float>(10, last(bB, bH, transB ? N : K, transB ? K : N, ldb), "gemmHeads: B");
  float* C = a.array<float>(14, last(cB, cH, M, N, ldc), "gemmHeads: C");
  if (!a.ok) return nullptr;
  // Many small products: run them on all cores, each product single-threaded.
  const int previous = openblas_get_num_threads();
  openblas_set_num_threads(1);
  parallelFor(batches * heads, [=](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const int64_t b = i / heads, h = i % heads;
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                  static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A + b * aB + h * aH, static_cast<int>(lda),
                  B + b * bB + h * bH, static_cast<int>(ldb), 0.0f, C + b * cB + h * cH, static_cast<int>(ldc));
    }
  }, 1);
  openblas_set_num_threads(previous);
  return undefined(env);
}

// --- LayerNorm ---------------------------------------------------------------------------------

// layerNorm(x, gamma, beta, rows, dim, eps, y, xhat, rstd, residual?): z = x (+ residual);
// xhat = (z - mean) / sqrt(var + eps); y = xhat * gamma + beta. Statistics in double precision.
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int64_t rows = a.integer(3), dim = a.integer(4);
  a.requireDims({rows, dim}, "layerNorm");
  float* x = a.array<float>(0, rows * dim, "layerNorm: x");
  float* gamma = a.array<float>(1, dim, "layerNorm: gamma");
  float* beta = a.array<float>(2, dim, "layerNorm: beta");
  double eps = a.number(5);
  float* y = a.array<float>(6, rows * dim, "layerNorm: y");
  float* xhat = a.array<float>(7, rows * dim, "layerNorm: xhat");
  float* rstd = a.array<float>(8, rows, "layerNorm: rstd");
  float* residual = a.optionalArray<float>(9, rows * dim, "layerNorm: residual");
  if (!a.ok) return nullptr;
  parallelFor(rows, [=](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const float* in = x + r * dim;
      const float* add = residual ? residual + r * dim : nullptr;
      float* h = xhat + r * dim;
      double sum = 0;
      for (int64_t i = 0; i < dim; ++i) {
        float z = add ? in[i] + add[i] : in[i];
        h[i] = z;
        sum += z;
      }
      const float mean = static_cast<float>(sum / dim);
      double squares = 0;
      for (int64_t i = 0; i < dim; ++i) {
        float d = h[i] - mean;
        h[i] = d;
        squares += static_cast<double>(d) * d;
      }
      const float inv = static_cast<float>(1.0 / std::sqrt(squares / dim + eps));
      rstd[r] = inv;
      float* out = y + r * dim;
      for (int64_t i = 0; i < dim; ++i) {
        h[i] *= inv;
        out[i] = h[i] * gamma[i] + beta[i];
      }
    }
  }, std::max<int64_t>(1, 16384 / dim));
  return undefined(env);
}

// layerNormGrad(dy, xhat, rstd, gamma, rows, dim, dx, dgamma, dbeta, dxAdd?):
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) (+ dxAdd), dxhat = dy * gamma;
// dgamma = sum(dy * xhat), dbeta = sum(dy) over rows.
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int64_t rows = a.integer(4), dim = a.integer(5);
  a.requireDims({rows, dim}, "layerNormGrad");
  float* dy = a.array<float>(0, rows * dim, "layerNormGrad: dy");
  float* xhat = a.array<float>(1, rows * dim, "layerNormGrad: xhat");
  float* rstd = a.array<float>(2, rows, "layerNormGrad: rstd");
  float* gamma = a.array<float>(3, dim, "layerNormGrad: gamma");
  float* dx = a.array<float>(6, rows * dim, "layerNormGrad: dx");
  float* dgamma = a.array<float>(7, dim, "layerNormGrad: dGamma");
  float* dbeta = a.array<float>(8, dim, "layerNormGrad: dBeta");
  float* dxAdd = a.optionalArray<float>(9, rows * dim, "layerNormGrad: dxAdd");
  if (!a.ok) return nullptr;
  std::vector<double> g(dim, 0.0), b(dim, 0.0);
  std::mutex merge;
  parallelFor(rows, [&](int64_t first, int64_t last) {
    std::vector<double> gl(dim, 0.0), bl(dim, 0.0);
    for (int64_t r = first; r < last; ++r) {
      const float* d = dy + r * dim;
      const float* h = xhat + r * dim;
      double mean1 = 0, mean2 = 0;
      for (int64_t i = 0; i < dim; ++i) {
        const float dh = d[i] * gamma[i];
        mean1 += dh;
        mean2 += static_cast<double>(dh) * h[i];
        gl[i] += static_cast<double>(d[i]) * h[i];
        bl[i] += d[i];
      }
      const float m1 = static_cast<float>(mean1 / dim), m2 = static_cast<float>(mean2 / dim);
      const float inv = rstd[r];
      float* out = dx + r * dim;
      const float* add = dxAdd ? dxAdd + r * dim : nullptr;
      for (int64_t i = 0; i < dim; ++i) {
        const float v = inv * (d[i] * gamma[i] - m1 - h[i] * m2);
        out[i] = add ? v + add[i] : v;
      }
    }
    std::lock_guard<std::mutex> lock(merge);
    for (int64_t i = 0; i < dim; ++i) {
      g[i] += gl[i];
      b[i] += bl[i];
    }
  }, std::max<int64_t>(1, 16384 / dim));
  for (int64_t i = 0; i < dim; ++i) {
    dgamma[i] = static_cast<float>(g[i]);
    dbeta[i] = static_cast<float>(b[i]);
  }
  return undefined(env);
}

// --- GELU (exact, erf) ---------------------------------------------------------------------------
// erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, the formula tfjs' cpu backend uses) and exp by
// range reduction with a degree-6 polynomial (Cephes' expf constants): branch-free arithmetic that
// the compiler vectorizes, built twice (AVX2 and baseline) and picked at load time.

static inline float expApprox(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);
  const float k = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

static inline float erfApprox(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  return std::copysign(1.0f - poly * expApprox(-a * a), x);
}

__attribute__((target_clones("avx2", "default")))
static void geluRange(const float* z, float* y, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = 0.5f * z[i] * (1.0f + erfApprox(z[i] * 0.70710678118654752f));
}

__attribute__((target_clones("avx2", "default")))
static void geluGradRange(const float* z, const float* dy, float* dz, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    const float x = z[i];
    const float cdf = 0.5f * (1.0f + erfApprox(x * 0.70710678118654752f));
    dz[i] = dy[i] * (cdf + x * expApprox(-0.5f * x * x) * 0.39894228040143268f);
  }
}

napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* z = a.array<float>(0, &n);
  float* y = a.array<float>(1, static_cast<int64_t>(n), "gelu: y");
  if (!a.ok) return nullptr;
  parallelFor(static_cast<int64_t>(n), [=](int64_t begin, int64_t end) { geluRange(z, y, begin, end); }, 1 << 14);
  return undefined(env);
}

// geluGrad(z, dy, dz): dz = dy * (0.5 (1 + erf(z / sqrt 2)) + z exp(-z^2 / 2) / sqrt(2 pi))
napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* z = a.array<float>(0, &n);
  float* dy = a.array<float>(1, static_cast<int64_t>(n), "geluGrad: dy");
  float* dz = a.array<float>(2, static_cast<int64_t>(n), "geluGrad: dz");
  if (!a.ok) return nullptr;
  parallelFor(static_cast<int64_t>(n), [=](int64_t begin, int64_t end) { geluGradRange(z, dy, dz, begin, end); }, 1 << 14);
  return undefined(env);
}

// --- attention softmax -----------------------------------------------------------------------------

// softmax(scores, rows, cols, y, maskBias?, rowsPerMask): y = softmax(scores + mask) per row.
// maskBias holds one row of `cols` additive values per `rowsPerMask` rows (per batch entry).
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int64_t rows = a.integer(1), cols = a.integer(2);
  a.requireDims({rows, cols}, "softmax");
  float* x = a.array<float>(0, rows * cols, "softmax: x");
  float* y = a.array<float>(3, rows * cols, "softmax: y");
  const bool masked = a.count > 4 && a.optionalArray<float>(4) != nullptr;
  const int64_t rowsPerMask = masked ? a.integer(5) : 1;
  if (masked && rowsPerMask <= 0) a.failRange("softmax: rowsPerMask must be positive");
  float* mask = masked && a.ok ? a.array<float>(4, ((rows + rowsPerMask - 1) / rowsPerMask) * cols, "softmax: maskBias") : nullptr;
  if (!a.ok) return nullptr;
  parallelFor(rows, [=](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const float* in = x + r * cols;
      const float* m = mask ? mask + (r / rowsPerMask) * cols : nullptr;
      float* out = y + r * cols;
      float max = -INFINITY;
      for (int64_t i = 0; i < cols; ++i) {
        const float v = m ? in[i] + m[i] : in[i];
        out[i] = v;
        if (v > max) max = v;
      }
      double sum = 0;
      for (int64_t i = 0; i < cols; ++i) {
        out[i] = std::exp(out[i] - max);
        sum += out[i];
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t i = 0; i < cols; ++i) out[i] *= inv;
    }
  }, std::max<int64_t>(1, 8192 / cols));
  return undefined(env);
}

// softmaxGrad(w, dw, rows, cols, ds, dropMask?): with dw' = dw * dropMask (when given),
// ds = w * (dw' - sum(dw' * w)) per row.
napi_value SoftmaxGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int64_t rows = a.integer(2), cols = a.integer(3);
  a.requireDims({rows, cols}, "softmaxGrad");
  float* w = a.array<float>(0, rows * cols, "softmaxGrad: weights");
  float* dw = a.array<float>(1, rows * cols, "softmaxGrad: dWeights");
  float* ds = a.array<float>(4, rows * cols, "softmaxGrad: dScores");
  float* drop = a.optionalArray<float>(5, rows * cols, "softmaxGrad: dropMask");
  if (!a.ok) return nullptr;
  parallelFor(rows, [=](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const float* wr = w + r * cols;
      const float* dr = dw + r * cols;
      const float* kr = drop ? drop + r * cols : nullptr;
      float* out = ds + r * cols;
      double dot = 0;
      for (int64_t i = 0; i < cols; ++i) {
        const float g = kr ? dr[i] * kr[i] : dr[i];
        out[i] = g;
        dot += static_cast<double>(g) * wr[i];
      }
      const float d = static_cast<float>(dot);
      for (int64_t i = 0; i < cols; ++i) out[i] = wr[i] * (out[i] - d);
    }
  }, std::max<int64_t>(1, 8192 / cols));
  return undefined(env);
}

// --- dropout ---------------------------------------------------------------------------------------

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// dropoutMask(out, rate, seed): out[i] = 0 with probability `rate`, else 1 / (1 - rate).
// Counter-based (element i draws hash(seed, i)), so a mask is a pure function of its seed.
napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* out = a.array<float>(0, &n);
  double rate = a.number(1);
  uint64_t seed = static_cast<uint64_t>(a.number(2));
  if (!a.ok) return nullptr;
  const float keep = static_cast<float>(1.0 / (1.0 - rate));
  const uint64_t threshold = static_cast<uint64_t>(rate * 18446744073709551616.0);
  const uint64_t base = splitmix64(seed);
  parallelFor(static_cast<int64_t>(n), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = splitmix64(base ^ (static_cast<uint64_t>(i) * 0xd1b54a32d192ed03ULL)) < threshold ? 0.0f : keep;
  });
  return undefined(env);
}

// --- optimizer -------------------------------------------------------------------------------------

// adamw(p, g, m, v, decay, beta1, beta2, eps, stepSize, bc2Sqrt, gradScale): in place, one pass:
// g' = g * gradScale; p *= decay; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
// p -= stepSize * m / (sqrt(v) / bc2Sqrt + eps)      (torch.optim.AdamW, single-tensor path)
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* p = a.array<float>(0, &n);
  float* g = a.array<float>(1, static_cast<int64_t>(n), "adamw: grad");
  float* m = a.array<float>(2, static_cast<int64_t>(n), "adamw: expAvg");
  float* v = a.array<float>(3, static_cast<int64_t>(n), "adamw: expAvgSq");
  const float decay = static_cast<float>(a.number(4));
  const float b1 = static_cast<float>(a.number(5)), b2 = static_cast<float>(a.number(6));
  const float eps = static_cast<float>(a.number(7));
  const float stepSize = static_cast<float>(a.number(8));
  const float bc2Sqrt = static_cast<float>(a.number(9));
  const float scale = static_cast<float>(a.number(10));
  if (!a.ok) return nullptr;
  const float c1 = 1.0f - b1, c2 = 1.0f - b2;
  parallelFor(static_cast<int64_t>(n), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float grad = g[i] * scale;
      const float mi = m[i] * b1 + grad * c1;
      const float vi = v[i] * b2 + grad * grad * c2;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - stepSize * (mi / (std::sqrt(vi) / bc2Sqrt + eps));
    }
  });
  return undefined(env);
}

// sumSquares(x): the sum of x^2 in double precision (for the gradient norm).
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* x = a.array<float>(0, &n);
  if (!a.ok) return nullptr;
  double s = 0;
  std::mutex merge;
  parallelFor(static_cast<int64_t>(n), [&](int64_t begin, int64_t end) {
    double local = 0;
    for (int64_t i = begin; i < end; ++i) local += static_cast<double>(x[i]) * x[i];
    std::lock_guard<std::mutex> lock(merge);
    s += local;
  });
  napi_value result;
  napi_create_double(env, s, &result);
  return result;
}

// --- data movement ---------------------------------------------------------------------------------

// permute(x, out, shape, perm): out = transpose(x, perm) for float32 or int32 data (4-byte items),
// rank <= 6; the innermost contiguous run is copied with memcpy when the last axis stays last.
napi_value Permute(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t rank = 0, rank2 = 0;
  int32_t* shape = a.array<int32_t>(2, &rank);
  int32_t* perm = a.array<int32_t>(3, &rank2);
  if (!a.ok) return nullptr;
  if (rank < 1 || rank > 6 || rank != rank2) {
    a.fail("permute: rank must be 1 to 6 and match perm");
    return nullptr;
  }
  int64_t elements = 1;
  bool seen[6] = {false, false, false, false, false, false};
  for (size_t i = 0; i < rank; ++i) {
    if (shape[i] < 0 || perm[i] < 0 || perm[i] >= static_cast<int32_t>(rank) || seen[perm[i]]) {
      a.failRange("permute: shape must be non-negative and perm a permutation of the axes");
      return nullptr;
    }
    seen[perm[i]] = true;
    elements *= shape[i];
  }
  uint32_t* x = a.array<uint32_t>(0, elements, "permute: x");
  uint32_t* out = a.array<uint32_t>(1, elements, "permute: out");
  if (!a.ok) return nullptr;
  int64_t inStrides[6], outShape[6];
  int64_t stride = 1;
  for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
    inStrides[i] = stride;
    stride *= shape[i];
  }
  for (size_t i = 0; i < rank; ++i) outShape[i] = shape[perm[i]];
  const bool lastStays = perm[rank - 1] == static_cast<int32_t>(rank - 1);
  const int64_t run = lastStays ? outShape[rank - 1] : 1;
  const size_t outerRank = lastStays ? rank - 1 : rank;
  int64_t index[6] = {0, 0, 0, 0, 0, 0};
  const int64_t total = stride;
  for (int64_t o = 0; o < total; o += run) {
    int64_t source = 0;
    for (size_t i = 0; i < outerRank; ++i) source += index[i] * inStrides[perm[i]];
    if (lastStays) std::memcpy(out + o, x + source, sizeof(uint32_t) * run);
    else out[o] = x[source];
    for (int i = static_cast<int>(outerRank) - 1; i >= 0; --i) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return undefined(env);
}

// --- element-wise arithmetic -------------------------------------------------------------------------

// binary(op, a, b, out, mode): op 0 add, 1 subtract, 2 multiply, 3 divide.
// mode 0: same length; 1: b is one value; 2: b repeats along a (b.length divides a.length,
// a trailing-dimension broadcast); 3: a is one value.
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int64_t op = a.integer(0);
  size_t na = 0, nb = 0, n = 0;
  float* x = a.array<float>(1, &na);
  float* y = a.array<float>(2, &nb);
  float* out = a.array<float>(3, &n);
  int64_t mode = a.integer(4);
  if (!a.ok) return nullptr;
  // What each broadcast mode reads: equal lengths; one b; b repeating along a; one a.
  const bool fits = (mode == 0 && na >= n && nb >= n) || (mode == 1 && na >= n && nb >= 1) ||
                    (mode == 2 && nb >= 1 && n % nb == 0 && na >= n) || (mode == 3 && na >= 1 && nb >= n);
  if (op < 0 || op > 3 || mode < 0 || mode > 3) {
    a.failRange("binary: unknown op or broadcast mode");
    return nullptr;
  }
  if (!fits) {
    a.failRange("binary: a (" + std::to_string(na) + "), b (" + std::to_string(nb) + ") and out (" + std::to_string(n) + ") do not fit broadcast mode " + std::to_string(mode));
    return nullptr;
  }
  auto apply = [op](float p, float q) {
    switch (op) {
      case 0: return p + q;
      case 1: return p - q;
      case 2: return p * q;
      default: return p / q;
    }
  };
  if (mode == 2) {
    const int64_t rows = static_cast<int64_t>(n / nb);
    parallelFor(rows, [=](int64_t first, int64_t last) {
      for (int64_t r = first; r < last; ++r)
        for (size_t j = 0; j < nb; ++j) out[r * nb + j] = apply(x[r * nb + j], y[j]);
    }, std::max<int64_t>(1, 32768 / static_cast<int64_t>(nb)));
    return undefined(env);
  }
  parallelFor(static_cast<int64_t>(n), [=](int64_t begin, int64_t end) {
    if (mode == 0) for (int64_t i = begin; i < end; ++i) out[i] = apply(x[i], y[i]);
    else if (mode == 1) { const float q = y[0]; for (int64_t i = begin; i < end; ++i) out[i] = apply(x[i], q); }
    else { const float p = x[0]; for (int64_t i = begin; i < end; ++i) out[i] = apply(p, y[i]); }
  });
  return undefined(env);
}

// addN(out, ...arrays): out = sum of arrays of equal length.
napi_value AddN(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t n = 0;
  float* out = a.array<float>(0, &n);
  std::vector<float*> inputs;
  for (size_t i = 1; i < a.count; ++i) inputs.push_back(a.array<float>(i, static_cast<int64_t>(n), "addN: input"));
  if (!a.ok || inputs.empty()) return nullptr;
  parallelFor(static_cast<int64_t>(n), [&](int64_t begin, int64_t end) {
    std::memcpy(out + begin, inputs[0] + begin, sizeof(float) * (end - begin));
    for (size_t k = 1; k < inputs.size(); ++k) {
      const float* in = inputs[k];
      for (int64_t i = begin; i < end; ++i) out[i] += in[i];
    }
  });
  return undefined(env);
}

// gatherRows(table, indices, rowLength, out): out[i] = table[indices[i]] (rows of rowLength values).
napi_value GatherRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t tableLength = 0, count = 0;
  uint32_t* table = a.array<uint32_t>(0, &tableLength);
  int32_t* indices = a.array<int32_t>(1, &count);
  int64_t row = a.integer(2);
  if (a.ok && row <= 0) a.failRange("gatherRows: rowLength must be positive");
  uint32_t* out = a.array<uint32_t>(3, static_cast<int64_t>(count) * row, "gatherRows: out");
  if (!a.ok) return nullptr;
  const int64_t rows = static_cast<int64_t>(tableLength) / row;
  for (size_t i = 0; i < count; ++i) {
    if (indices[i] < 0 || indices[i] >= rows) {
      a.fail("gatherRows: index out of range");
      return nullptr;
    }
    std::memcpy(out + i * row, table + static_cast<int64_t>(indices[i]) * row, sizeof(uint32_t) * row);
  }
  return undefined(env);
}

// scatterAddRows(updates, targets, rowLength, out): out[targets[i]] += updates[i] (rows); out is
// zero-filled by the caller. The gradient of an embedding lookup (repeated ids add up).
napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t count = 0, outLength = 0;
  int32_t* targets = a.array<int32_t>(1, &count);
  int64_t row = a.integer(2);
  if (a.ok && row <= 0) a.failRange("scatterAddRows: rowLength must be positive");
  float* updates = a.array<float>(0, static_cast<int64_t>(count) * row, "scatterAddRows: updates");
  float* out = a.array<float>(3, &outLength);
  if (!a.ok) return nullptr;
  const int64_t rows = static_cast<int64_t>(outLength) / row;
  for (size_t i = 0; i < count; ++i) {
    if (targets[i] < 0 || targets[i] >= rows) {
      a.fail("scatterAddRows: index out of range");
      return nullptr;
    }
    float* dst = out + static_cast<int64_t>(targets[i]) * row;
    const float* src = updates + i * row;
    for (int64_t j = 0; j < row; ++j) dst[j] += src[j];
  }
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {
      {"gemm", Gemm}, {"gemmHeads", GemmHeads}, {"layerNorm", LayerNorm}, {"layerNormGrad", LayerNormGrad}, {"gelu", Gelu}, {"geluGrad", GeluGrad},
      {"softmax", Softmax}, {"softmaxGrad", SoftmaxGrad}, {"dropoutMask", DropoutMask}, {"adamw", AdamW},
      {"sumSquares", SumSquares}, {"permute", Permute}, {"binary", Binary}, {"addN", AddN}, {"gatherRows", GatherRows}, {"scatterAddRows", ScatterAddRows},
  };
  for (const auto& f : functions) {
    napi_value value;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &value);
    napi_set_named_property(env, exports, f.name, value);
  }
  napi_value config;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &config);
  napi_set_named_property(env, exports, "blasConfig", config);
  napi_value threads;
  napi_create_int32(env, openblas_get_num_threads(), &threads);
  napi_set_named_property(env, exports, "blasThreads", threads);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
