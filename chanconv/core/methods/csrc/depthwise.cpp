// chanconv's compiled rung: depthwise layers (one input channel per group, c_i / g = 1), forward and backward.
//
// Output channel o reads only input channel c(o) = o / (c_o / g). Nothing is shared between channels
// for a matrix product to reuse, so each is a sum of shifted, scaled rows, read in place:
//   forward  Y[n, o, i, :]  = b[o] + sum_{a, e} W[o, 0, a, e] Xpad[n, c(o), i s_h + a d_h, e d_w + s_w :]
//   dX       dX[n, c, y, :] += W[o, 0, a, e] dY[n, o, i, :] spread to columns j s_w + e d_w - p_w, for every
//            o of c's group and i s_h + a d_h - p_h = y  (one thread per (n, c): no two threads write a row)
//   dW       dW[o, 0, a, e] = sum_{n, i, j} dY[n, o, i, j] Xpad[n, c(o), i s_h + a d_h, j s_w + e d_w]
//            (per tap, a row of partial sums, one per column j, added up at the end)
// The inner loops run over contiguous columns (at stride 1), which the compiler vectorizes.

#include "kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace chanconv {
namespace {

// Columns j of an output row whose tap at column offset dx = e d_w - p_w falls inside the input:
// 0 <= j s_w + dx < n_w, clipped to [0, m_w).
void columns_inside(const Geometry& g, int64_t dx, int64_t& j0, int64_t& j1) {
  j0 = dx >= 0 ? 0 : (-dx + g.s_w - 1) / g.s_w;
  j1 = g.n_w - dx <= 0 ? 0 : (g.n_w - dx + g.s_w - 1) / g.s_w;
  j0 = std::min(j0, g.m_w);
  j1 = std::max(j0, std::min(j1, g.m_w));
}

template <typename T>
void forward_t(const T* x, const T* w, const T* b, T* y, const Geometry& g) {
  const int64_t co = g.co(), kk = g.k_h * g.k_w, P = g.m_h * g.m_w;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, P * kk));
  at::parallel_for(0, g.n * g.c_o, grain, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t s = q / g.c_o, o = q % g.c_o;
      const T* xc = x + (s * g.c_i + o / co) * g.n_h * g.n_w;
      const T* wo = w + o * kk;
      const T bias = b ? b[o] : T(0);
      T* yq = y + q * P;
      for (int64_t i = 0; i < g.m_h; ++i) {
        T* out = yq + i * g.m_w;
        for (int64_t j = 0; j < g.m_w; ++j) out[j] = bias;
        for (int64_t a = 0; a < g.k_h; ++a) {
          const int64_t yy = i * g.s_h + a * g.d_h - g.p_h;
          if (yy < 0 || yy >= g.n_h) continue;
          const T* row = xc + yy * g.n_w;
          for (int64_t e = 0; e < g.k_w; ++e) {
            const T we = wo[a * g.k_w + e];
            const int64_t dx = e * g.d_w - g.p_w;
            int64_t j0, j1;
            columns_inside(g, dx, j0, j1);
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
  });
}

template <typename T>
void input_grad_t(const T* dy, const T* w, T* dx, const Geometry& g) {
  const int64_t co = g.co(), kk = g.k_h * g.k_w, P = g.m_h * g.m_w;
  at::parallel_for(0, g.n * g.c_i, 1, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t s = q / g.c_i, c = q % g.c_i;
      T* plane = dx + q * g.n_h * g.n_w;
      std::fill(plane, plane + g.n_h * g.n_w, T(0));
      for (int64_t o = c * co; o < (c + 1) * co; ++o) {
        const T* d = dy + (s * g.c_o + o) * P;
        const T* wo = w + o * kk;
        for (int64_t i = 0; i < g.m_h; ++i)
          for (int64_t a = 0; a < g.k_h; ++a) {
            const int64_t yy = i * g.s_h + a * g.d_h - g.p_h;
            if (yy < 0 || yy >= g.n_h) continue;
            T* row = plane + yy * g.n_w;
            const T* src = d + i * g.m_w;
            for (int64_t e = 0; e < g.k_w; ++e) {
              const T we = wo[a * g.k_w + e];
              const int64_t off = e * g.d_w - g.p_w;
              int64_t j0, j1;
              columns_inside(g, off, j0, j1);
              if (g.s_w == 1) {
                T* dst = row + off;
                for (int64_t j = j0; j < j1; ++j) dst[j] += we * src[j];
              } else {
                for (int64_t j = j0; j < j1; ++j) row[j * g.s_w + off] += we * src[j];
              }
            }
          }
      }
    }
  });
}

template <typename T>
void weight_grad_t(const T* dy, const T* x, T* dw, const Geometry& g) {
  const int64_t co = g.co(), kk = g.k_h * g.k_w, P = g.m_h * g.m_w;
  at::parallel_for(0, g.c_o, 1, [&](int64_t o0, int64_t o1) {
    std::vector<T> partial(kk * g.m_w);  // per tap, one partial sum per output column
    for (int64_t o = o0; o < o1; ++o) {
      std::fill(partial.begin(), partial.end(), T(0));
      for (int64_t s = 0; s < g.n; ++s) {
        const T* d = dy + (s * g.c_o + o) * P;
        const T* xc = x + (s * g.c_i + o / co) * g.n_h * g.n_w;
        for (int64_t i = 0; i < g.m_h; ++i)
          for (int64_t a = 0; a < g.k_h; ++a) {
            const int64_t yy = i * g.s_h + a * g.d_h - g.p_h;
            if (yy < 0 || yy >= g.n_h) continue;
            const T* row = xc + yy * g.n_w;
            const T* src = d + i * g.m_w;
            for (int64_t e = 0; e < g.k_w; ++e) {
              const int64_t off = e * g.d_w - g.p_w;
              int64_t j0, j1;
              columns_inside(g, off, j0, j1);
              T* acc = partial.data() + (a * g.k_w + e) * g.m_w;
              if (g.s_w == 1) {
                const T* xr = row + off;
                for (int64_t j = j0; j < j1; ++j) acc[j] += src[j] * xr[j];
              } else {
                for (int64_t j = j0; j < j1; ++j) acc[j] += src[j] * row[j * g.s_w + off];
              }
            }
          }
      }
      for (int64_t t = 0; t < kk; ++t) {
        T sum = 0;
        for (int64_t j = 0; j < g.m_w; ++j) sum += partial[t * g.m_w + j];
        dw[o * kk + t] = sum;
      }
    }
  });
}

}  // namespace

void depthwise_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                       const Geometry& g) {
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "depthwise_forward", [&] {
    forward_t<scalar_t>(X.data_ptr<scalar_t>(), W.data_ptr<scalar_t>(),
                        bias != nullptr ? bias->data_ptr<scalar_t>() : nullptr, Y.data_ptr<scalar_t>(), g);
  });
}

void depthwise_input_grad(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g) {
  AT_DISPATCH_FLOATING_TYPES(dY.scalar_type(), "depthwise_input_grad", [&] {
    input_grad_t<scalar_t>(dY.data_ptr<scalar_t>(), W.data_ptr<scalar_t>(), dX.data_ptr<scalar_t>(), g);
  });
}

void depthwise_weight_grad(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g) {
  AT_DISPATCH_FLOATING_TYPES(dY.scalar_type(), "depthwise_weight_grad", [&] {
    weight_grad_t<scalar_t>(dY.data_ptr<scalar_t>(), X.data_ptr<scalar_t>(), dW.data_ptr<scalar_t>(), g);
  });
}

}  // namespace chanconv
