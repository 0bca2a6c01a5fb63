// chanconv's compiled rung: the Python entry points, and which path computes a layer.
// Built at first use by chanconv/core/methods/compiled.py (torch.utils.cpp_extension), with
// blocked.cpp (dense layers, forward and backward) and depthwise.cpp.
//
//   Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]
//
//   X (batch, c_i, n_h, n_w)   W (c_o, c_i / g, k_h, k_w)   b (c_o,) or empty   Y (batch, c_o, m_h, m_w)
//   m = floor((n + 2 p - d (k - 1) - 1) / s) + 1
//
// Paths of the forward (``path="auto"`` picks one by the layer's shape; the others are there to be measured):
//   "blocked"    register-blocked tiles on the input read in place (blocked.cpp): every dense layer
//   "depthwise"  one input channel per group: shifted, scaled rows (depthwise.cpp)
//   "tiny"       at most 2^17 multiply-adds: the columns in a small buffer, plain loops, one thread
//   "im2col"     the column matrix in cache-sized chunks and the BLAS product (torch's at::addmm), as
//                chanconv's Python im2col does it, with the padding, the stride copy and torch.cat fused
// The backward has the blocked and the depthwise paths (conv2d_input_grad, conv2d_weight_grad).

#include "kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace chanconv {

Geometry geometry(const at::Tensor& X, int64_t c_o, int64_t k_h, int64_t k_w, const std::vector<int64_t>& stride,
                  const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, int64_t groups) {
  TORCH_CHECK(X.dim() == 4, "X must be (batch, c_i, n_h, n_w)");
  TORCH_CHECK(stride.size() == 2 && padding.size() == 2 && dilation.size() == 2, "stride, padding, dilation: pairs");
  Geometry g{X.size(0), X.size(1), c_o, groups, X.size(2), X.size(3), k_h, k_w, stride[0], stride[1],
             padding[0], padding[1], dilation[0], dilation[1], 0, 0};
  g.m_h = (g.n_h + 2 * g.p_h - g.d_h * (g.k_h - 1) - 1) / g.s_h + 1;
  g.m_w = (g.n_w + 2 * g.p_w - g.d_w * (g.k_w - 1) - 1) / g.s_w + 1;
  TORCH_CHECK(g.m_h >= 1 && g.m_w >= 1, "the kernel does not fit in the padded input");
  return g;
}

void* scratch_bytes(int slot, size_t bytes) {
  struct Block {
    void* data = nullptr;
    size_t bytes = 0;
    ~Block() { std::free(data); }
  };
  thread_local Block blocks[8];
  TORCH_CHECK(slot >= 0 && slot < 8, "scratch slot out of range");
  Block& b = blocks[slot];
  if (b.bytes < bytes) {
    std::free(b.data);
    b.bytes = (bytes + 63) / 64 * 64;
    b.data = std::aligned_alloc(64, b.bytes);
    TORCH_CHECK(b.data != nullptr, "out of memory for a scratch buffer of ", b.bytes, " bytes");
  }
  return b.data;
}

namespace {

// Layers with at most this many multiply-adds take the tiny path on one thread: a product's
// set-up (packing, waking a second thread) costs more than the work.
constexpr int64_t kTinyMacs = 1 << 17;

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

// Tiny layers: per sample and group, the columns (K, P) in a buffer kept between calls, then
// Y (co, P) = b + W (co, K) @ cols as loops whose inner loop runs over P contiguous numbers.
template <typename T>
void tiny(const T* x, const T* w, const T* b, T* y, const Geometry& g) {
  const int64_t n = g.n, c_i = g.c_i, c_o = g.c_o, groups = g.groups, ci = g.ci(), co = g.co(), K = ci * g.k_h * g.k_w, P = g.m_h * g.m_w;
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
void im2col(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y, const Geometry& g,
            int64_t chunk_bytes) {
  const int64_t n = g.n, c_i = g.c_i, groups = g.groups;
  const int64_t ci = g.ci(), co = g.co(), P = g.m_h * g.m_w, K = ci * g.k_h * g.k_w;
  const bool has_bias = bias != nullptr;
  const T* x = X.data_ptr<T>();
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

namespace {

// The rung is a kernel, not a graph: autograd reaches it through chanconv's Conv2dFunction, never
// through the products in here. Its inputs are detached, so that a weight that requires grad is
// just numbers to it. (Without this, a product run by an OpenMP worker thread, which does not
// inherit the caller's no-grad mode, refuses to write into out= for a tensor that requires grad.)
at::Tensor plain(const at::Tensor& t) { return t.detach().contiguous(); }

std::string choose_path(const Geometry& g) {
  // Strided depthwise layers keep their row loops (level with or ahead of the pixel tiles at stride 2).
  if (g.ci() == 1 && g.groups > 1 && (g.s_h > 1 || g.s_w > 1)) return "depthwise";
  if (g.n * g.c_o * g.m_h * g.m_w * g.ci() * g.k_h * g.k_w <= kTinyMacs) return "tiny";
  // Few output channels per group would fill a fraction of a channel vector: vectors along the pixels instead
  // (measured on a Zen 4: 2-4x faster than "blocked" on ResNeXt's 4 channels per group and on c_o = 3-8,
  // and 1.5-4x faster than the depthwise row loops on depthwise layers at stride 1, 3x3 to 7x7).
  if (g.co() <= 8) return "pixels";
  return "blocked";
}

}  // namespace

// X, W: same floating dtype, on the CPU; the Python side has checked every shape.
at::Tensor conv2d_forward(const at::Tensor& X_, const at::Tensor& W_, const c10::optional<at::Tensor>& bias_,
                          std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                          int64_t groups, std::string path, int64_t nv, int64_t chunk_bytes) {
  TORCH_CHECK(X_.dim() == 4 && W_.dim() == 4, "X must be (batch, c_i, n_h, n_w) and W (c_o, c_i / g, k_h, k_w)");
  TORCH_CHECK(X_.device().is_cpu(), "the compiled rung runs on the CPU");
  const at::Tensor X = plain(X_), W = plain(W_);
  const Geometry g = geometry(X, W.size(0), W.size(2), W.size(3), stride, padding, dilation, groups);
  at::Tensor b;
  if (bias_.has_value() && bias_->defined()) b = plain(*bias_);
  const at::Tensor* bias = b.defined() ? &b : nullptr;
  at::Tensor Y = at::empty({g.n, g.c_o, g.m_h, g.m_w}, X.options());
  if (path == "auto") path = choose_path(g);
  if (path == "depthwise") {
    TORCH_CHECK(g.ci() == 1, "the depthwise path needs one input channel per group");
    depthwise_forward(X, W, bias, Y, g);
  } else if (path == "tiny") {
    AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "tiny", [&] {
      tiny<scalar_t>(X.data_ptr<scalar_t>(), W.data_ptr<scalar_t>(), bias ? bias->data_ptr<scalar_t>() : nullptr,
                     Y.data_ptr<scalar_t>(), g);
    });
  } else if (path == "pixels") {
    pixel_forward(X, W, bias, Y, g, nv);
  } else if (path == "im2col") {
    AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "im2col", [&] { im2col<scalar_t>(X, W, bias, Y, g, chunk_bytes); });
  } else {
    TORCH_CHECK(path == "blocked", "unknown path ", path);
    blocked_forward(X, W, bias, Y, g, nv);
  }
  return Y;
}

// dX (X's shape) from dY (batch, c_o, m_h, m_w) and W; X's shape is (batch, c_i, n_h, n_w).
at::Tensor conv2d_input_grad(const at::Tensor& dY_, const at::Tensor& W_, std::vector<int64_t> x_shape,
                             std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                             int64_t groups, int64_t nv) {
  TORCH_CHECK(dY_.device().is_cpu(), "the compiled rung runs on the CPU");
  const at::Tensor dY = plain(dY_), W = plain(W_);
  at::Tensor dX = at::empty(x_shape, dY.options());
  const Geometry g = geometry(dX, W.size(0), W.size(2), W.size(3), stride, padding, dilation, groups);
  TORCH_CHECK(dY.size(0) == g.n && dY.size(1) == g.c_o && dY.size(2) == g.m_h && dY.size(3) == g.m_w,
              "dY must have Y's shape (batch, c_o, m_h, m_w)");
  if (g.ci() == 1 && g.groups > 1) depthwise_input_grad(dY, W, dX, g);
  else blocked_input_grad(dY, W, dX, g, nv);
  return dX;
}

// dW (W's shape (c_o, c_i / g, k_h, k_w)) from dY and X.
at::Tensor conv2d_weight_grad(const at::Tensor& dY_, const at::Tensor& X_, std::vector<int64_t> w_shape,
                              std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation,
                              int64_t groups, int64_t nv) {
  TORCH_CHECK(dY_.device().is_cpu() && X_.device().is_cpu(), "the compiled rung runs on the CPU");
  const at::Tensor dY = plain(dY_), X = plain(X_);
  const Geometry g = geometry(X, w_shape[0], w_shape[2], w_shape[3], stride, padding, dilation, groups);
  TORCH_CHECK(dY.size(0) == g.n && dY.size(1) == g.c_o && dY.size(2) == g.m_h && dY.size(3) == g.m_w,
              "dY must have Y's shape (batch, c_o, m_h, m_w)");
  at::Tensor dW = at::empty(w_shape, dY.options());
  if (g.ci() == 1 && g.groups > 1) depthwise_weight_grad(dY, X, dW, g);
  else blocked_weight_grad(dY, X, dW, g, nv);
  return dW;
}

}  // namespace chanconv

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("conv2d_forward", &chanconv::conv2d_forward, "the layer's forward (chanconv's compiled rung)");
  m.def("conv2d_input_grad", &chanconv::conv2d_input_grad, "dX of the layer (chanconv's compiled rung)");
  m.def("conv2d_weight_grad", &chanconv::conv2d_weight_grad, "dW of the layer (chanconv's compiled rung)");
}
