// chanconv's compiled rung: what the C++ files share. The register-blocked micro-kernel, the layer's
// geometry, and the entry points of blocked.cpp (forward, dX, dW) and depthwise.cpp.
//
// Notation (the lecture's, as in chanconv's Python):
//   X  (batch, c_i, n_h, n_w)     W  (c_o, c_i / g, k_h, k_w)     Y, dY  (batch, c_o, m_h, m_w)
//   Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]
//
// Every dense path (forward, dX, dW) is one shape of computation, the one a BLAS micro-kernel does:
//
//   acc[r][v] += x[off[t] + r] * B[t][v]      for t = 0 .. T - 1   (a sum over T terms)
//
// r = 0 .. MR - 1 are MR numbers at consecutive addresses of an input (MR pixels of a row, or MR
// channels of a channels-last pixel), each broadcast to a whole vector; v = 0 .. NV - 1 are NV
// vectors of L lanes of a packed operand B (L output channels each). MR x NV accumulators stay in
// registers for the whole sum: per term the kernel loads NV vectors and MR numbers and does
// MR x NV fused multiply-adds, so the multipliers, not the loads, set the pace. off[t] says where
// term t reads: a tap (c, a, e) of the kernel in the forward and in dX, a pixel in dW. Nothing
// else differs between the three; what they compute is in blocked.cpp.
#pragma once

#include <torch/extension.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace chanconv {

// The machine's vector registers, as the compiler targets them (-march=native).
#if defined(__AVX512F__)
inline constexpr int kVecBytes = 64, kRegisters = 32;
#elif defined(__AVX__)
inline constexpr int kVecBytes = 32, kRegisters = 16;
#elif defined(__aarch64__)
inline constexpr int kVecBytes = 16, kRegisters = 32;
#else
inline constexpr int kVecBytes = 16, kRegisters = 16;
#endif

// Lanes of T in one vector register (16 floats with AVX-512).
template <typename T>
inline constexpr int kLanes = kVecBytes / static_cast<int>(sizeof(T));

// The most rows a tile with NV vectors per row can hold: MR x NV accumulators, NV vectors of B and
// one broadcast must fit in the registers (at most 16: longer tiles of one vector gain nothing, as
// each multiply then needs its own broadcast).
template <int NV>
constexpr int max_rows() {
  const int r = (kRegisters - NV - 1) / NV;
  return r > 16 ? 16 : (r < 1 ? 1 : r);
}
inline constexpr int kMaxNV = 4;

// One tile: acc = init (a vector of L NV numbers, e.g. the bias) or the MR x NV x L numbers in io,
// then the T-term sum above, then acc written back to io ([MR][NV L], row r's vectors side by side).
template <typename T, int MR, int NV>
void tile(const T* __restrict x, const int64_t* __restrict off, int64_t terms, const T* __restrict B,
          T* __restrict io, const T* __restrict init) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  constexpr int L = kLanes<T>;
  V acc[MR][NV];
  if (init != nullptr) {
    for (int v = 0; v < NV; ++v) {
      V b;
      std::memcpy(&b, init + v * L, sizeof(V));
      for (int r = 0; r < MR; ++r) acc[r][v] = b;
    }
  } else {
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) std::memcpy(&acc[r][v], io + (r * NV + v) * L, sizeof(V));
  }
  for (int64_t t = 0; t < terms; ++t) {
    const T* xt = x + off[t];
    V b[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&b[v], B + (t * NV + v) * L, sizeof(V));
    for (int r = 0; r < MR; ++r) {
      const T s = xt[r];
      for (int v = 0; v < NV; ++v) acc[r][v] += s * b[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(io + (r * NV + v) * L, &acc[r][v], sizeof(V));
}

template <typename T>
using TileFn = void (*)(const T*, const int64_t*, int64_t, const T*, T*, const T*);

template <typename T, int NV, int... R>
constexpr std::array<TileFn<T>, sizeof...(R) + 1> tile_table(std::integer_sequence<int, R...>) {
  return {nullptr, &tile<T, R + 1, NV>...};
}

// tiles<T, NV>()[mr]: the tile of mr rows (1 <= mr <= max_rows<NV>()).
template <typename T, int NV>
const TileFn<T>* tiles() {
  static constexpr auto table = tile_table<T, NV>(std::make_integer_sequence<int, max_rows<NV>()>{});
  return table.data();
}

// One L x L block transposed in registers (L = kLanes<T>): dst[c * ds + r] = src[r * ss + c] for r < rows,
// c < cols (rows, cols <= L). Each of the log2(L) stages swaps one bit of the row index with the same
// bit of the column index by two-vector shuffles (one instruction each with AVX-512). Row c of the
// result is written as ``lanes`` numbers (>= rows; those past rows are zeros). Every change of layout
// in the rung (packing the weights, channels last and back) is made of these blocks.
template <typename T, int B>
inline void transpose_stage(void* rows_) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  typedef typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type I;
  typedef I M __attribute__((vector_size(kVecBytes)));
  constexpr int L = kLanes<T>;
  V* r = static_cast<V*>(rows_);
  M low, high;  // lane j of row i (bit B clear) and of row i + B after the swap
  for (int j = 0; j < L; ++j) {
    low[j] = (j & B) ? L + j - B : j;
    high[j] = (j & B) ? L + j : j + B;
  }
  for (int i = 0; i < L; ++i)
    if (!(i & B)) {
      const V a = r[i], b = r[i + B];
      r[i] = __builtin_shuffle(a, b, low);
      r[i + B] = __builtin_shuffle(a, b, high);
    }
  if constexpr (B > 1) transpose_stage<T, B / 2>(rows_);
}

template <typename T>
inline void transpose_tile(const T* src, int64_t ss, int rows, int cols, T* dst, int64_t ds, int lanes) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  constexpr int L = kLanes<T>;
  V r[L];
  for (int i = 0; i < L; ++i) {
    if (i >= rows) {
      r[i] = V{};
    } else if (cols == L) {
      std::memcpy(&r[i], src + i * ss, sizeof(V));
    } else {
      r[i] = V{};
      std::memcpy(&r[i], src + i * ss, sizeof(T) * cols);
    }
  }
  transpose_stage<T, L / 2>(r);
  for (int c = 0; c < cols; ++c) std::memcpy(dst + c * ds, &r[c], sizeof(T) * lanes);
}

// A panel of ``channels`` rows of ``terms`` numbers (row stride ss) written term by term:
// dst[t * NR + c] = src[c * ss + t] for c < channels, 0 for channels <= c < NR.
template <typename T>
inline void pack_panel(const T* src, int64_t ss, int64_t channels, int64_t terms, int64_t NR, T* dst) {
  constexpr int L = kLanes<T>;
  for (int64_t c0 = 0; c0 < NR; c0 += L) {
    const int rows = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(L, channels - c0)));
    for (int64_t t0 = 0; t0 < terms; t0 += L) {
      const int cols = static_cast<int>(std::min<int64_t>(L, terms - t0));
      if (rows == 0) {
        for (int t = 0; t < cols; ++t) std::memset(dst + (t0 + t) * NR + c0, 0, sizeof(T) * L);
      } else {
        transpose_tile(src + c0 * ss + t0, ss, rows, cols, dst + t0 * NR + c0, NR, L);
      }
    }
  }
}

// Scratch memory kept between calls, per calling thread and slot, 64-byte aligned, never shrunk. A fresh
// allocation of a few hundred KB is a fresh mapping from the kernel, and touching it costs page faults
// (tens of microseconds per call); a layer's buffers are reused from the call before instead.
void* scratch_bytes(int slot, size_t bytes);
template <typename T>
T* scratch(int slot, int64_t count) {
  return static_cast<T*>(scratch_bytes(slot, sizeof(T) * static_cast<size_t>(count < 1 ? 1 : count)));
}

// The same sum with the roles of the operands swapped, for layers with few output channels per group
// (depthwise, grouped, a first layer with c_o = 3): the vectors run along the pixels instead.
//
//   acc[r][v] += w[t * MR + r] * x[off[t] + v L .. + L]      for t = 0 .. T - 1
//
// r = 0 .. MR - 1 are output channels (their weights broadcast), v = 0 .. NV - 1 are NV vectors of L
// consecutive pixels of one output row, read straight from the input's planes. io holds [MR][NV L].
template <typename T, int MR, int NV>
void tile_pixels(const T* __restrict w, const T* __restrict x, const int64_t* __restrict off, int64_t terms,
                 T* __restrict io, const T* __restrict init) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  constexpr int L = kLanes<T>;
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      if (init != nullptr) {
        acc[r][v] = V{} + init[r];
      } else {
        std::memcpy(&acc[r][v], io + (r * NV + v) * L, sizeof(V));
      }
    }
  for (int64_t t = 0; t < terms; ++t) {
    const T* xt = x + off[t];
    V b[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&b[v], xt + v * L, sizeof(V));
    for (int r = 0; r < MR; ++r) {
      const T s = w[t * MR + r];
      for (int v = 0; v < NV; ++v) acc[r][v] += s * b[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) std::memcpy(io + (r * NV + v) * L, &acc[r][v], sizeof(V));
}

template <typename T>
using PixelFn = void (*)(const T*, const T*, const int64_t*, int64_t, T*, const T*);

// The most output channels a pixel tile of NV vectors holds (at most 8).
template <int NV>
constexpr int max_channels() {
  const int r = (kRegisters - NV - 1) / NV;
  return r > 8 ? 8 : (r < 1 ? 1 : r);
}

template <typename T, int NV, int... R>
constexpr std::array<PixelFn<T>, sizeof...(R) + 1> pixel_table(std::integer_sequence<int, R...>) {
  return {nullptr, &tile_pixels<T, R + 1, NV>...};
}

// pixel_tiles<T, NV>()[mr]: the pixel tile of mr output channels (1 <= mr <= max_channels<NV>()).
template <typename T, int NV>
const PixelFn<T>* pixel_tiles() {
  static constexpr auto table = pixel_table<T, NV>(std::make_integer_sequence<int, max_channels<NV>()>{});
  return table.data();
}

// A layer's numbers, checked by the Python side.
struct Geometry {
  int64_t n, c_i, c_o, groups, n_h, n_w, k_h, k_w, s_h, s_w, p_h, p_w, d_h, d_w, m_h, m_w;
  int64_t ci() const { return c_i / groups; }  // one group's input channels
  int64_t co() const { return c_o / groups; }  // one group's output channels
};

Geometry geometry(const at::Tensor& X, int64_t c_o, int64_t k_h, int64_t k_w, const std::vector<int64_t>& stride,
                  const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation, int64_t groups);

// blocked.cpp: dense layers (any c_i / g, any stride, padding, dilation), float and double.
// nv = 0 lets the code choose the vectors per tile; 1..4 forces it (for measuring the choice).
void blocked_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                     const Geometry& g, int64_t nv);
void blocked_input_grad(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g, int64_t nv);
void blocked_weight_grad(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g, int64_t nv);
// The forward with tiles along the pixels (tile_pixels): few output channels per group.
void pixel_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                   const Geometry& g, int64_t nv);

// depthwise.cpp: one input channel per group (c_i / g = 1): loops over rows, vectorized by the compiler.
void depthwise_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                       const Geometry& g);
void depthwise_input_grad(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g);
void depthwise_weight_grad(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g);

}  // namespace chanconv
