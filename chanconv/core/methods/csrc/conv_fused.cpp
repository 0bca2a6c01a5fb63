// chanconv's compiled rung: the im2col convolution of chanconv/fast.py, compiled, with its
// passes fused. Built at first use by chanconv/compiled.py (torch.utils.cpp_extension).
//
//   Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]
//
//   X (batch, c_i, n_h, n_w)   W (c_o, c_i / g, k_h, k_w)   b (c_o,) or empty   Y (batch, c_o, m_h, m_w)
//   m = floor((n + 2 p - d (k - 1) - 1) / s) + 1
//
// What the Python im2col does in separate passes, each a full read and write of memory, and
// what happens to it here:
//   1. F.pad copies X into a larger zero-filled tensor        -> gone: the gather writes a zero
//                                                                where a tap falls in the padding
//   2. (stride > 1) a copy that splits columns into phases    -> gone: the gather reads X directly
//   3. the column matrix, copied chunk by chunk               -> kept, one pass, both cores
//   4. the matrix product (with the bias in it: addmm)        -> kept: the same BLAS call
//   5. torch.cat of the groups                                -> gone: each group's product is
//                                                                written into its channels of Y
//   and some 10-20 Python-level calls per layer (each a few microseconds) -> one call.
// 1×1 kernels at stride 1 without padding need no column matrix at all: the product reads X.
// Depthwise layers (one input channel per group) are a sum of shifted, scaled rows of X: no column
// matrix, no product. Tiny layers keep their columns in a small reused buffer and multiply in
// plain loops on one thread: no BLAS call, no second thread to wake. The compiler vectorizes both.

#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace {

// Layers with at most this many multiply-adds take the direct loop on one thread: a product's
// set-up (a column buffer, BLAS's packing, waking a second thread) costs more than the work.
constexpr int64_t kTinyMacs = 1 << 17;

struct Geometry {
  int64_t n_h, n_w, k_h, k_w, s_h, s_w, p_h, p_w, d_h, d_w, m_h, m_w;
};

// Columns for output rows r0 .. r1 of one sample, input channels c0 .. c0 + ci:
// cols[(c, a, e), (i - r0) m_w + j] = Xpad[c0 + c, i s_h + a d_h, j s_w + e d_w] (0 in the padding).
template <typename T>
void gather(const T* x, T* cols, int64_t ci, const Geometry& g, int64_t r0, int64_t r1, bool threads = true) {
  const int64_t rows = r1 - r0, width = rows * g.m_w, K = ci * g.k_h * g.k_w;
  const int64_t grain = threads ? std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width)) : K;
  at::parallel_for(0, K, grain, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t c = k / (g.k_h * g.k_w), a = (k / g.k_w) % g.k_h, e = k % g.k_w;
      const T* xc = x + c * g.n_h * g.n_w;
      T* out = cols + k * width;
      const int64_t dx = e * g.d_w - g.p_w;  // input column of output column j: j s_w + dx
      // the output columns whose tap falls inside the input: 0 <= j s_w + dx < n_w
      int64_t j0 = dx >= 0 ? 0 : (-dx + g.s_w - 1) / g.s_w;
      int64_t j1 = g.n_w - dx <= 0 ? 0 : (g.n_w - dx + g.s_w - 1) / g.s_w;
      j0 = std::min(j0, g.m_w);
      j1 = std::max(j0, std::min(j1, g.m_w));
      for (int64_t i = r0; i < r1; ++i, out += g.m_w) {
        const int64_t y = i * g.s_h + a * g.d_h - g.p_h;
        if (y < 0 || y >= g.n_h) {
          std::memset(out, 0, sizeof(T) * g.m_w);
          continue;
        }
        const T* row = xc + y * g.n_w;
        if (j0 > 0) std::memset(out, 0, sizeof(T) * j0);
        if (g.s_w == 1) {
          std::memcpy(out + j0, row + j0 + dx, sizeof(T) * (j1 - j0));
        } else {
          for (int64_t j = j0; j < j1; ++j) out[j] = row[j * g.s_w + dx];
        }
        if (j1 < g.m_w) std::memset(out + j1, 0, sizeof(T) * (g.m_w - j1));
      }
    }
  });
}

// Direct: Y[n, o] = b[o] + sum_{c, a, e} W[o, c, a, e] Xpad[n, c0 + c, i s_h + a d_h, j s_w + e d_w],
// c over the ci input channels of o's group (c0 its first): k_h k_w ci shifted rows, scaled and
// added, reading X in place. No column matrix and no BLAS call: the path for depthwise layers
// (ci = 1: each output channel reads one input channel, nothing for a product to share).
template <typename T>
void direct(const T* x, const T* w, const T* b, T* y, int64_t n, int64_t c_i, int64_t c_o, int64_t groups,
            const Geometry& g, int64_t grain) {
  const int64_t ci = c_i / groups, co = c_o / groups, kk = g.k_h * g.k_w;
  at::parallel_for(0, n * c_o, grain, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t s = q / c_o, o = q % c_o, c0 = (o / co) * ci;
      T* yq = y + q * g.m_h * g.m_w;
      const T bias = b ? b[o] : T(0);
      for (int64_t i = 0; i < g.m_h; ++i) {
        T* out = yq + i * g.m_w;
        for (int64_t j = 0; j < g.m_w; ++j) out[j] = bias;
        for (int64_t c = 0; c < ci; ++c) {
          const T* xc = x + ((s * c_i) + c0 + c) * g.n_h * g.n_w;
          const T* wc = w + (o * ci + c) * kk;
          for (int64_t a = 0; a < g.k_h; ++a) {
            const int64_t yy = i * g.s_h + a * g.d_h - g.p_h;
            if (yy < 0 || yy >= g.n_h) continue;
            const T* row = xc + yy * g.n_w;
            for (int64_t e = 0; e < g.k_w; ++e) {
              const T we = wc[a * g.k_w + e];
              const int64_t dx = e * g.d_w - g.p_w;
              int64_t j0 = dx >= 0 ? 0 : (-dx + g.s_w - 1) / g.s_w;
              int64_t j1 = g.n_w - dx <= 0 ? 0 : (g.n_w - dx + g.s_w - 1) / g.s_w;
              j0 = std::min(j0, g.m_w);
              j1 = std::max(j0, std::min(j1, g.m_w));
              if (g.s_w == 1) {
                const T* src = row + dx;
                for (int64_t j = j0; j < j1; ++j) out[j] += we * src[j];
              } else {
                for (int64_t j = j0; j < j1; ++j) out[j] += we * row[j * g.s_w + dx];
              }
            }
          }
        }
      }
    }
  });
}

// Tiny layers: per sample and group, the columns (K, P) in a buffer kept between calls, then
// Y (co, P) = b + W (co, K) @ cols as loops whose inner loop runs over P contiguous numbers.
template <typename T>
void tiny(const T* x, const T* w, const T* b, T* y, int64_t n, int64_t c_i, int64_t c_o, int64_t groups,
          const Geometry& g) {
  const int64_t ci = c_i / groups, co = c_o / groups, K = ci * g.k_h * g.k_w, P = g.m_h * g.m_w;
  thread_local std::vector<T> cols;
  cols.resize(K * P);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < groups; ++j) {
      gather<T>(x + (s * c_i + j * ci) * g.n_h * g.n_w, cols.data(), ci, g, 0, g.m_h, false);
      for (int64_t o = j * co; o < (j + 1) * co; ++o) {
        T* out = y + (s * c_o + o) * P;
        const T* wo = w + o * K;
        const T bias = b ? b[o] : T(0);
        for (int64_t p = 0; p < P; ++p) out[p] = bias;
        for (int64_t k = 0; k < K; ++k) {
          const T wk = wo[k];
          const T* col = cols.data() + k * P;
          for (int64_t p = 0; p < P; ++p) out[p] += wk * col[p];
        }
      }
    }
}

template <typename T>
void forward(const at::Tensor& X, const at::Tensor& W, const c10::optional<at::Tensor>& bias, at::Tensor& Y,
             const Geometry& g, int64_t groups, int64_t chunk_bytes) {
  const int64_t n = X.size(0), c_i = X.size(1), c_o = W.size(0);
  const int64_t ci = c_i / groups, co = c_o / groups, P = g.m_h * g.m_w, K = ci * g.k_h * g.k_w;
  const bool has_bias = bias.has_value() && bias->defined();
  const T* x = X.data_ptr<T>();
  const int64_t macs = n * c_o * P * K;  // multiply-adds of the whole layer
  if (ci == 1 && groups > 1) {  // depthwise
    direct<T>(x, W.data_ptr<T>(), has_bias ? bias->data_ptr<T>() : nullptr, Y.data_ptr<T>(), n, c_i, c_o, groups, g,
              std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, P * K)));
    return;
  }
  if (macs <= kTinyMacs) {  // tiny: the columns in a small buffer, the product as plain loops, one thread
    tiny<T>(x, W.data_ptr<T>(), has_bias ? bias->data_ptr<T>() : nullptr, Y.data_ptr<T>(), n, c_i, c_o, groups, g);
    return;
  }
  const at::Tensor Wm = W.view({groups, co, K});          // (c_o, c_i / g, k_h, k_w) -> (g, c_o / g, K)
  const at::Tensor Xf = X.view({n, groups, ci, g.n_h * g.n_w});
  const at::Tensor Yf = Y.view({n, groups, co, P});
  at::Tensor bcol;                                       // (g, c_o / g, 1): a column added to every pixel
  if (has_bias) bcol = bias->view({groups, co, 1});
  const bool direct = g.k_h == 1 && g.k_w == 1 && g.s_h == 1 && g.s_w == 1 && g.p_h == 0 && g.p_w == 0;
  if (direct) {  // 1×1: Y (c_o, P) = W (c_o, c_i) @ X (c_i, P), X read in place
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < groups; ++j) {
        at::Tensor out = Yf[s][j];
        if (has_bias) at::addmm_out(out, bcol[j], Wm[j], Xf[s][j]);
        else at::mm_out(out, Wm[j], Xf[s][j]);
      }
    return;
  }
  const int64_t rows = std::min<int64_t>(g.m_h, std::max<int64_t>(1, chunk_bytes / (g.m_w * K * (int64_t)sizeof(T))));
  if (rows == g.m_h && n * groups >= at::get_num_threads() && n * groups > 1) {
    // Several whole samples (or groups): one per thread, each gathering its own columns and
    // running its own product on that thread, as torch does for a batch. Nobody waits for a
    // second thread inside a small product.
    at::parallel_for(0, n * groups, 1, [&](int64_t q0, int64_t q1) {
      at::Tensor mine = at::empty({K, P}, X.options());
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t s = q / groups, j = q % groups;
        gather<T>(x + (s * c_i + j * ci) * g.n_h * g.n_w, mine.data_ptr<T>(), ci, g, 0, g.m_h, false);
        at::Tensor out = Yf[s][j];
        if (has_bias) at::addmm_out(out, bcol[j], Wm[j], mine);
        else at::mm_out(out, Wm[j], mine);
      }
    });
    return;
  }
  at::Tensor buf = at::empty({K * rows * g.m_w}, X.options());
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < groups; ++j) {
      const T* xs = x + (s * c_i + j * ci) * g.n_h * g.n_w;
      for (int64_t r0 = 0; r0 < g.m_h; r0 += rows) {
        const int64_t r1 = std::min(g.m_h, r0 + rows), width = (r1 - r0) * g.m_w;
        gather<T>(xs, buf.data_ptr<T>(), ci, g, r0, r1);
        at::Tensor cols = buf.narrow(0, 0, K * width).view({K, width});
        at::Tensor out = Yf[s][j].narrow(1, r0 * g.m_w, width);  // (c_o / g, width), row stride P
        if (has_bias) at::addmm_out(out, bcol[j], Wm[j], cols);
        else at::mm_out(out, Wm[j], cols);
      }
    }
}

}  // namespace

// X, W contiguous, same floating dtype, on the CPU; the Python side has checked every shape.
at::Tensor conv2d_im2col(const at::Tensor& X, const at::Tensor& W, const c10::optional<at::Tensor>& bias,
                         std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                         int64_t groups, int64_t chunk_bytes) {
  TORCH_CHECK(X.dim() == 4 && W.dim() == 4, "X must be (batch, c_i, n_h, n_w) and W (c_o, c_i / g, k_h, k_w)");
  TORCH_CHECK(X.device().is_cpu(), "the compiled rung runs on the CPU");
  // The rung is a forward kernel only: autograd reaches it through chanconv's Conv2dFunction, never
  // through the products in here. Its inputs are detached, so that a weight that requires grad is
  // just numbers to it. (Without this, a product run by an OpenMP worker thread, which does not
  // inherit the caller's no-grad mode, refuses to write into out= for a tensor that requires grad.)
  const at::Tensor Xc = X.detach().contiguous(), Wc = W.detach().contiguous();
  Geometry g{X.size(2), X.size(3), W.size(2), W.size(3), stride[0], stride[1], padding[0], padding[1],
             dilation[0], dilation[1], 0, 0};
  g.m_h = (g.n_h + 2 * g.p_h - g.d_h * (g.k_h - 1) - 1) / g.s_h + 1;
  g.m_w = (g.n_w + 2 * g.p_w - g.d_w * (g.k_w - 1) - 1) / g.s_w + 1;
  at::Tensor Y = at::empty({X.size(0), W.size(0), g.m_h, g.m_w}, X.options());
  c10::optional<at::Tensor> b;
  if (bias.has_value() && bias->defined()) b = bias->detach().contiguous();
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "conv2d_im2col", [&] {
    forward<scalar_t>(Xc, Wc, b, Y, g, groups, chunk_bytes);
  });
  return Y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("conv2d_im2col", &conv2d_im2col, "im2col convolution, padding and groups fused (chanconv)");
}
