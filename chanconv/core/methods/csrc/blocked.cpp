// chanconv's compiled rung: dense layers as register-blocked tiles (see kernels.h), forward and backward.
//
// Forward   Y[n, o, i, j] = b[o] + sum_{c, a, e} Xpad[n, c, i s_h + a d_h, j s_w + e d_w] W[o, c, a, e]
//   X is copied into padded planes split into its s_h x s_w phases (row y of Xpad goes to phase
//   y mod s_h, row y div s_h; likewise columns), so that output pixels j, j + 1, ... of a row read
//   consecutive numbers of one plane at every tap, whatever the stride or dilation (without padding
//   or stride, X is read in place). A tile is MR consecutive pixels of an output row x NV L output
//   channels; its terms are the c_i k_h k_w taps (c, a, e), each a plane offset; B is W packed tap
//   by tap ([tap][NV L channels]). No column matrix is written: the taps are read in place.
//
// dX        dX[n, c, y, x] = sum_{o, a, e} dY[n, o, i, j] W[o, c, a, e] over i s_h + a d_h - p_h = y
//   (and likewise x): the transpose of the forward's gather, done as a gather of its own. Split dX
//   into the s_h x s_w phases y = r_y + s_h u, x = r_x + s_w v: in phase (r_y, r_x) only the taps
//   with r_y + p_h - a d_h divisible by s_h (and likewise e) reach it, from row
//   i = u + (r_y + p_h - a d_h) / s_h of dY. So each phase is a stride-1 cross-correlation of a
//   zero-padded dY with the kernel's valid taps, its channel axes swapped: the forward's tile with
//   dY's channels as the terms. Every multiply-add is one the sum needs (no zeros spread between
//   dY's pixels, no column matrix to scatter back).
//
// dW        dW[o, c, a, e] = sum_{n, i, j} dY[n, o, i, j] Xpad[n, c, i s_h + a d_h, j s_w + e d_w]
//   one matrix product over the whole batch: dY (c_o x batch m_h m_w) against the columns
//   (batch m_h m_w x c_i k_h k_w), the columns read in place. X is copied into padded, phase-split
//   planes with the channels last, so that the columns (c, a, e) of one pixel sit at consecutive
//   addresses (c fastest, then e where s_w = d_w = 1). A tile is MR such columns x NV L output
//   channels; its terms are the pixels, and B is dY with the channels last ([pixel][NV L channels]),
//   taken in chunks of pixels that stay in cache.
//
// Threads. The threads form a grid: some split the rows (output rows of every sample, or dX's),
// the others the blocks of NV L channels. Each thread copies the rows of the input it reads and
// packs the weights it uses itself, into its own buffers: on a machine whose cores sit far apart
// (a virtual machine's two cores may be on different chips), data written by one core and read by
// the other costs more than copying it twice. The grid is chosen per layer by a small cost model
// (work, copies, imbalance). Groups are independent layers on their channels: a block belongs to
// one group, so groups need no loop in Python.

#include "kernels.h"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace chanconv {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t rows_for(int nv) {
  switch (nv) {
    case 1: return max_rows<1>();
    case 2: return max_rows<2>();
    case 3: return max_rows<3>();
    default: return max_rows<4>();
  }
}

// How many vectors of L channels per tile: the one that wastes least. Lanes beyond the channels are
// wasted multiplies; tiles with few accumulators (short rows) wait on loads and latency. ``run`` is the
// length that tiles of up to MR rows must cover (an output row, a run of consecutive columns).
template <typename T>
int choose_nv(int64_t channels, int64_t run, int64_t forced) {
  if (forced >= 1 && forced <= kMaxNV) return static_cast<int>(forced);
  constexpr int L = kLanes<T>;
  double best = -1;
  int pick = 1;
  for (int nv = 1; nv <= kMaxNV; ++nv) {
    const int64_t nr = nv * L, blocks = ceil_div(channels, nr);
    const double lanes = static_cast<double>(channels) / static_cast<double>(blocks * nr);
    const int64_t tiles = ceil_div(run, rows_for(nv));
    const double acc = static_cast<double>(run) / static_cast<double>(tiles) * nv;  // accumulators per tile
    const double score = lanes * acc / (acc + 4.0);
    if (score > best - 1e-9) best = score, pick = nv;  // ties: more vectors (fewer broadcasts per multiply)
  }
  return pick;
}

// Split ``count`` into ``parts`` nearly equal parts: part t is [start(t), start(t + 1)).
struct Parts {
  int64_t count, parts;
  Parts(int64_t count_, int64_t parts_) : count(count_), parts(std::max<int64_t>(1, parts_)) {}
  static Parts at_most(int64_t count, int64_t most) { return Parts(count, ceil_div(count, most)); }
  int64_t start(int64_t t) const { return t * count / parts; }
  int64_t size(int64_t t) const { return start(t + 1) - start(t); }
  int64_t largest() const { return ceil_div(count, parts); }
};

// Scratch slots (kernels.h): what each buffer of one thread holds during a call.
enum Slot { kPlanes = 0, kPacked = 1, kInit = 2, kPanel = 3, kAcc = 4, kOffsets = 5, kTemp = 6 };

// The threads as a grid of ``rows`` x ``cols``: thread t takes part t / cols of the rows and part
// t % cols of the channel blocks. Chosen to make the slowest thread's time least, as ``time(row_share,
// block_share, rows)`` estimates it: its share of the multiply-adds (imbalance included) plus the copies
// it makes of its rows of the input and of its blocks of the weights.
struct Grid {
  int64_t rows, cols;
  int64_t threads() const { return rows * cols; }
};

template <typename Time>
Grid choose_grid(int64_t row_count, int64_t blocks, Time time) {
  const int64_t threads = std::max(1, at::get_num_threads());
  Grid best{std::min(threads, row_count), 1};  // fewer rows and blocks than threads: rows only
  double best_time = -1;
  for (int64_t cols = 1; cols <= threads; ++cols) {
    if (threads % cols) continue;
    const int64_t rows = threads / cols;
    if (cols > blocks || rows > row_count) continue;
    const double row_share = static_cast<double>(ceil_div(row_count, rows)) / static_cast<double>(row_count);
    const double block_share = static_cast<double>(ceil_div(blocks, cols)) / static_cast<double>(blocks);
    const double t = time(row_share, block_share, rows);
    if (best_time < 0 || t < best_time) best_time = t, best = Grid{rows, cols};
  }
  return best;
}

// Run ``body(row_part, col_part)`` on each thread of the grid, one OpenMP region (torch's thread pool).
template <typename Body>
void on_grid(const Grid& grid, Body body) {
  if (grid.threads() <= 1) return body(0, 0);
#pragma omp parallel num_threads(static_cast<int>(grid.threads()))
  {
    const int64_t t = omp_get_thread_num();
    if (t < grid.threads()) body(t / grid.cols, t % grid.cols);
  }
}

// One sample's rows [i0, i1) of a thread's share of the n x rows "rows" of a layer.
struct Segment {
  int64_t s, i0, i1;
};

std::vector<Segment> segments(int64_t r0, int64_t r1, int64_t rows) {
  std::vector<Segment> out;
  for (int64_t r = r0; r < r1;) {
    const int64_t s = r / rows, i0 = r % rows, i1 = std::min(rows, i0 + (r1 - r));
    out.push_back({s, i0, i1});
    r += i1 - i0;
  }
  return out;
}

// Rows of one padded input row ``row`` of a plane: n numbers at src (or zeros when src is null), with
// ``before`` zeros in front, into the s_w column phases of the plane: dst + phase * phase_stride.
template <typename T>
void split_row(const T* src, int64_t n, int64_t before, int64_t s_w, int64_t Wq, T* dst, int64_t phase_stride) {
  if (s_w == 1) {
    if (src == nullptr) return (void)std::memset(dst, 0, sizeof(T) * Wq);
    std::memset(dst, 0, sizeof(T) * before);
    std::memcpy(dst + before, src, sizeof(T) * n);
    std::memset(dst + before + n, 0, sizeof(T) * (Wq - before - n));
    return;
  }
  for (int64_t r = 0; r < s_w; ++r) {  // phase r: padded columns r, r + s_w, ... = input columns r + s_w q - before
    T* d = dst + r * phase_stride;
    std::memset(d, 0, sizeof(T) * Wq);
    if (src == nullptr) continue;
    const int64_t q0 = before > r ? (before - r + s_w - 1) / s_w : 0;
    for (int64_t q = q0, x = r + s_w * q0 - before; x < n; ++q, x += s_w) d[q] = src[x];
  }
}

// Rows of output (or dX) per chunk: few enough to keep the tile results in the second-level cache.
int64_t rows_per_chunk(int64_t row_bytes) {
  return std::max<int64_t>(1, (96 * 1024) / std::max<int64_t>(1, row_bytes));
}

// Terms per block of the sum: the block's share of B (its packed weights) stays in the first-level cache.
template <typename T>
int64_t terms_per_block(int64_t NR, int64_t multiple) {
  const int64_t kc = (48 * 1024) / (NR * static_cast<int64_t>(sizeof(T)));
  return std::max<int64_t>(multiple, kc / multiple * multiple);
}

// Tile results ([pixel][NR], channels last) for ``channels`` channels into channels-first rows,
// L x L blocks at a time: out[o * stride + p] for contiguous pixels.
template <typename T>
void store_rows(const T* acc, int64_t NR, int64_t pixels, int64_t channels, T* out, int64_t stride) {
  constexpr int L = kLanes<T>;
  for (int64_t p0 = 0; p0 < pixels; p0 += L) {
    const int rows = static_cast<int>(std::min<int64_t>(L, pixels - p0));
    for (int64_t c0 = 0; c0 < channels; c0 += L) {
      const int cols = static_cast<int>(std::min<int64_t>(L, channels - c0));
      transpose_tile(acc + p0 * NR + c0, NR, rows, cols, out + c0 * stride + p0, stride, rows);
    }
  }
}

// Tap (c, a, e) of a group's kernel -> its offset in the group's planes: the input split into stride
// phases (per_channel numbers per input channel, plane per phase, rows Wq long), so that every tap reads
// consecutive numbers along an output row. Both forwards (output channels, pixels) read through it.
std::vector<int64_t> tap_offsets(const Geometry& g, int64_t ci, int64_t plane, int64_t per_channel, int64_t Wq) {
  std::vector<int64_t> off(std::max<int64_t>(1, ci * g.k_h * g.k_w));
  for (int64_t c = 0; c < ci; ++c)
    for (int64_t a = 0; a < g.k_h; ++a)
      for (int64_t e = 0; e < g.k_w; ++e) {
        const int64_t A = a * g.d_h, E = e * g.d_w;
        off[(c * g.k_h + a) * g.k_w + e] =
            c * per_channel + ((A % g.s_h) * g.s_w + E % g.s_w) * plane + (A / g.s_h) * Wq + E / g.s_w;
      }
  return off;
}

// ---------------------------------------------------------------------------------------------- forward
template <typename T, int NV>
void forward_nv(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y, const Geometry& g) {
  constexpr int L = kLanes<T>, NR = NV * L, MRM = max_rows<NV>();
  const int64_t ci = g.ci(), co = g.co(), kk = g.k_h * g.k_w, K = ci * kk, P = g.m_h * g.m_w;
  const int64_t blocks = ceil_div(co, NR), all_blocks = g.groups * blocks;
  const bool in_place = g.p_h == 0 && g.p_w == 0 && g.s_h == 1 && g.s_w == 1;
  const double work = static_cast<double>(g.n * P) * all_blocks * K * NV;  // multiply-add instructions
  const double x_copy = in_place ? 0.0 : 0.5 * X.numel(), w_copy = 0.5 * static_cast<double>(all_blocks) * NR * K;
  const Grid grid = choose_grid(g.n * g.m_h, all_blocks, [&](double rs, double bs, int64_t) {
    return work * rs * bs + x_copy * rs + w_copy * bs;
  });
  const Parts row_parts(g.n * g.m_h, grid.rows), block_parts(all_blocks, grid.cols);
  // planes: phase rows y' of a thread's segment (rows i0 .. i1) are i0 .. i1 - 1 + reach
  const int64_t reach = ((g.k_h - 1) * g.d_h) / g.s_h;
  const int64_t Wq = in_place ? g.n_w : ceil_div(g.n_w + 2 * g.p_w, g.s_w);
  const int64_t Hs = in_place ? g.n_h : std::min(row_parts.largest(), g.m_h) + reach;
  const int64_t plane = Hs * Wq, per_channel = g.s_h * g.s_w * plane;
  const std::vector<int64_t> off = tap_offsets(g, ci, plane, per_channel, Wq);
  const T *x = X.data_ptr<T>(), *w = W.data_ptr<T>(), *b = bias != nullptr ? bias->data_ptr<T>() : nullptr;
  T* y = Y.data_ptr<T>();
  const int64_t KC = terms_per_block<T>(NR, kk), ru = rows_per_chunk(g.m_w * NR * sizeof(T));
  const Parts row = Parts::at_most(g.m_w, MRM);
  const TileFn<T>* fn = tiles<T, NV>();
  on_grid(grid, [&](int64_t tr, int64_t tc) {
    const int64_t b0 = block_parts.start(tc), b1 = block_parts.start(tc + 1);
    T* wp = scratch<T>(kPacked, (b1 - b0) * K * NR);  // my blocks' weights and biases, packed
    T* bp = scratch<T>(kInit, (b1 - b0) * NR);
    for (int64_t jb = b0; jb < b1; ++jb) {
      const int64_t o0 = (jb / blocks) * co + (jb % blocks) * NR, width = std::min<int64_t>(NR, co - (jb % blocks) * NR);
      pack_panel(w + o0 * K, K, width, K, NR, wp + (jb - b0) * K * NR);
      for (int64_t o = 0; o < NR; ++o) bp[(jb - b0) * NR + o] = (b != nullptr && o < width) ? b[o0 + o] : T(0);
    }
    const int64_t j_lo = b0 / blocks, j_hi = b1 > b0 ? (b1 - 1) / blocks : j_lo;  // my groups
    T* acc = scratch<T>(kAcc, ru * g.m_w * NR);
    T* planes = in_place ? nullptr : scratch<T>(kPlanes, (j_hi - j_lo + 1) * ci * per_channel);
    for (const Segment& sg : segments(row_parts.start(tr), row_parts.start(tr + 1), g.m_h)) {
      const T* xs;  // sample s's planes, from the first channel of group j_lo; row i is at (i - row0) Wq
      int64_t row0 = 0;
      if (in_place) {
        xs = x + (sg.s * g.c_i + j_lo * ci) * per_channel;
      } else {
        row0 = sg.i0;
        for (int64_t c = 0; c < (j_hi - j_lo + 1) * ci; ++c) {
          const T* src = x + (sg.s * g.c_i + j_lo * ci + c) * g.n_h * g.n_w;
          for (int64_t ry = 0; ry < g.s_h; ++ry)
            for (int64_t yl = 0; yl < sg.i1 - sg.i0 + reach; ++yl) {
              const int64_t yy = (sg.i0 + yl) * g.s_h + ry - g.p_h;  // the input row, if any
              split_row(yy >= 0 && yy < g.n_h ? src + yy * g.n_w : nullptr, g.n_w, g.p_w, g.s_w, Wq,
                        planes + c * per_channel + ry * g.s_w * plane + yl * Wq, plane);
            }
        }
        xs = planes;
      }
      for (int64_t c0 = sg.i0; c0 < sg.i1; c0 += ru) {
        const int64_t c1 = std::min(sg.i1, c0 + ru);
        for (int64_t jb = b0; jb < b1; ++jb) {
          const int64_t j = jb / blocks;
          const T* xg = xs + (j - j_lo) * ci * per_channel;
          const T* wq = wp + (jb - b0) * K * NR;
          for (int64_t k0 = 0; k0 < K; k0 += KC) {
            const int64_t kc = std::min(KC, K - k0);
            for (int64_t i = c0; i < c1; ++i)
              for (int64_t t = 0; t < row.parts; ++t) {
                const int64_t j0 = row.start(t);
                fn[row.size(t)](xg + (i - row0) * Wq + j0, off.data() + k0, kc, wq + k0 * NR,
                                acc + ((i - c0) * g.m_w + j0) * NR, k0 == 0 ? bp + (jb - b0) * NR : nullptr);
              }
          }
          const int64_t o0 = j * co + (jb % blocks) * NR;
          store_rows(acc, NR, (c1 - c0) * g.m_w, std::min<int64_t>(NR, (j + 1) * co - o0),
                     y + (sg.s * g.c_o + o0) * P + c0 * g.m_w, P);
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------- forward, pixels
// Few output channels per group (depthwise, grouped, c_o <= 8): a tile is up to 8 output channels of one
// group x NV vectors of consecutive pixels of an output row, read straight from the planes (tile_pixels);
// each vector of input numbers loaded serves all the tile's channels. The planes are always copied (with
// room past the last row for the last vector's lanes beyond the row).
template <typename T, int NV>
void pixel_forward_nv(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                      const Geometry& g) {
  constexpr int L = kLanes<T>, NP = NV * L, MRM = max_channels<NV>();
  const int64_t ci = g.ci(), co = g.co(), kk = g.k_h * g.k_w, K = ci * kk, P = g.m_h * g.m_w;
  const Parts chans = Parts::at_most(co, MRM);  // blocks of output channels in a group
  const int64_t all_blocks = g.groups * chans.parts, vectors = ceil_div(g.m_w, L), chunks = ceil_div(vectors, NV);
  const double work = static_cast<double>(g.n * g.m_h) * chunks * NV * g.c_o * K;
  const double x_copy = 0.5 * X.numel(), w_copy = 0.5 * static_cast<double>(W.numel());
  const Grid grid = choose_grid(g.n * g.m_h, all_blocks, [&](double rs, double bs, int64_t) {
    return work * rs * bs + x_copy * rs + w_copy * bs;
  });
  const Parts row_parts(g.n * g.m_h, grid.rows), block_parts(all_blocks, grid.cols);
  const int64_t reach = ((g.k_h - 1) * g.d_h) / g.s_h;
  const int64_t Wq = ceil_div(g.n_w + 2 * g.p_w, g.s_w), Hs = std::min(row_parts.largest(), g.m_h) + reach;
  const int64_t plane = Hs * Wq, per_channel = g.s_h * g.s_w * plane;
  const std::vector<int64_t> off = tap_offsets(g, ci, plane, per_channel, Wq);
  const T *x = X.data_ptr<T>(), *w = W.data_ptr<T>(), *b = bias != nullptr ? bias->data_ptr<T>() : nullptr;
  T* y = Y.data_ptr<T>();
  const PixelFn<T>* fn = pixel_tiles<T, NV>();
  on_grid(grid, [&](int64_t tr, int64_t tc) {
    const int64_t b0 = block_parts.start(tc), b1 = block_parts.start(tc + 1);
    T* wp = scratch<T>(kPacked, (b1 - b0) * K * MRM);  // my blocks' weights: [term][channel of the block]
    T* bp = scratch<T>(kInit, (b1 - b0) * MRM);
    for (int64_t jb = b0; jb < b1; ++jb) {
      const int64_t o0 = (jb / chans.parts) * co + chans.start(jb % chans.parts), mr = chans.size(jb % chans.parts);
      for (int64_t t = 0; t < K; ++t)
        for (int64_t r = 0; r < mr; ++r) wp[(jb - b0) * K * MRM + t * mr + r] = w[(o0 + r) * K + t];
      for (int64_t r = 0; r < mr; ++r) bp[(jb - b0) * MRM + r] = b != nullptr ? b[o0 + r] : T(0);
    }
    const int64_t j_lo = b0 / chans.parts, j_hi = b1 > b0 ? (b1 - 1) / chans.parts : j_lo;
    T* planes = scratch<T>(kPlanes, (j_hi - j_lo + 1) * ci * per_channel + NP + Wq);
    T* acc = scratch<T>(kAcc, MRM * NP);
    for (const Segment& sg : segments(row_parts.start(tr), row_parts.start(tr + 1), g.m_h)) {
      for (int64_t c = 0; c < (j_hi - j_lo + 1) * ci; ++c) {
        const T* src = x + (sg.s * g.c_i + j_lo * ci + c) * g.n_h * g.n_w;
        for (int64_t ry = 0; ry < g.s_h; ++ry)
          for (int64_t yl = 0; yl < sg.i1 - sg.i0 + reach; ++yl) {
            const int64_t yy = (sg.i0 + yl) * g.s_h + ry - g.p_h;
            split_row(yy >= 0 && yy < g.n_h ? src + yy * g.n_w : nullptr, g.n_w, g.p_w, g.s_w, Wq,
                      planes + c * per_channel + ry * g.s_w * plane + yl * Wq, plane);
          }
      }
      for (int64_t i = sg.i0; i < sg.i1; ++i)
        for (int64_t jb = b0; jb < b1; ++jb) {
          const int64_t j = jb / chans.parts, o0 = j * co + chans.start(jb % chans.parts);
          const int64_t mr = chans.size(jb % chans.parts);
          const T* xg = planes + (j - j_lo) * ci * per_channel + (i - sg.i0) * Wq;
          for (int64_t j0 = 0; j0 < g.m_w; j0 += NP) {
            fn[mr](wp + (jb - b0) * K * MRM, xg + j0, off.data(), K, acc, bp + (jb - b0) * MRM);
            const int64_t count = std::min<int64_t>(NP, g.m_w - j0);
            for (int64_t r = 0; r < mr; ++r)
              std::memcpy(y + (sg.s * g.c_o + o0 + r) * P + i * g.m_w + j0, acc + r * NP, sizeof(T) * count);
          }
        }
    }
  });
}

template <typename T>
void pixel_forward_t(const at::Tensor& X, const at::Tensor& W, const at::Tensor* b, at::Tensor& Y, const Geometry& g,
                     int64_t nv) {
  const int64_t vectors = ceil_div(g.m_w, kLanes<T>);
  switch (nv >= 1 && nv <= kMaxNV ? nv : std::min<int64_t>(vectors, kMaxNV)) {
    case 1: return pixel_forward_nv<T, 1>(X, W, b, Y, g);
    case 2: return pixel_forward_nv<T, 2>(X, W, b, Y, g);
    case 3: return pixel_forward_nv<T, 3>(X, W, b, Y, g);
    default: return pixel_forward_nv<T, 4>(X, W, b, Y, g);
  }
}

// ---------------------------------------------------------------------------------------------- dX
// Phase (r_y, r_x) of dX: its valid taps and where each reads dY (row i = u + da, column j = v + de).
struct Phase {
  int64_t ry, rx, rows, cols;  // dX rows y = ry + s_h u (u < rows), columns x = rx + s_w v (v < cols)
  std::vector<int64_t> a, e, da, de;
};

template <typename T, int NV>
void input_grad_nv(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g) {
  constexpr int L = kLanes<T>, NR = NV * L, MRM = max_rows<NV>();
  const int64_t ci = g.ci(), co = g.co(), kk = g.k_h * g.k_w;
  auto divisible = [](int64_t num, int64_t s) { return ((num % s) + s) % s == 0; };
  std::vector<Phase> phases;
  int64_t dmin = 0, dmax = 0, left = 0, right = 0;  // rows and zero columns around dY that the phases read
  bool first = true;
  for (int64_t ry = 0; ry < g.s_h; ++ry)
    for (int64_t rx = 0; rx < g.s_w; ++rx) {
      Phase ph{ry, rx, ry < g.n_h ? ceil_div(g.n_h - ry, g.s_h) : 0, rx < g.n_w ? ceil_div(g.n_w - rx, g.s_w) : 0,
               {}, {}, {}, {}};
      if (ph.rows == 0 || ph.cols == 0) continue;
      for (int64_t a = 0; a < g.k_h; ++a)
        if (divisible(ry + g.p_h - a * g.d_h, g.s_h)) ph.a.push_back(a), ph.da.push_back((ry + g.p_h - a * g.d_h) / g.s_h);
      for (int64_t e = 0; e < g.k_w; ++e)
        if (divisible(rx + g.p_w - e * g.d_w, g.s_w)) ph.e.push_back(e), ph.de.push_back((rx + g.p_w - e * g.d_w) / g.s_w);
      for (int64_t d : ph.da) dmin = first ? d : std::min(dmin, d), dmax = first ? d : std::max(dmax, d), first = false;
      for (int64_t d : ph.de) left = std::max(left, -d), right = std::max(right, ph.cols - 1 + d - (g.m_w - 1));
      phases.push_back(std::move(ph));
    }
  const int64_t UH = ceil_div(g.n_h, g.s_h), UW = ceil_div(g.n_w, g.s_w);  // rows u, columns v of the phases
  const int64_t blocks = ceil_div(ci, NR), all_blocks = g.groups * blocks;
  const double work = static_cast<double>(g.n) * g.n_h * g.n_w * all_blocks * co * kk * NV;
  const double y_copy = 0.5 * dY.numel(), w_copy = 0.5 * static_cast<double>(W.numel());
  const Grid grid = choose_grid(g.n * UH, all_blocks, [&](double rs, double bs, int64_t) {
    return work * rs * bs + y_copy * rs + w_copy * bs;
  });
  const Parts row_parts(g.n * UH, grid.rows), block_parts(all_blocks, grid.cols);
  // a thread's slab of dY: rows u0 + dmin .. u1 - 1 + dmax of a segment, `left` zeros before each row
  const int64_t Hs = std::min(row_parts.largest(), UH) + dmax - dmin, WY = g.m_w + left + std::max<int64_t>(right, 0);
  const int64_t plane = Hs * WY;
  std::vector<std::vector<int64_t>> offs;  // per phase: term (o, a, e) -> offset in the slab of the group
  std::vector<int64_t> first_term;         // where each phase's packed terms start
  int64_t terms = 0;
  for (const Phase& ph : phases) {
    const int64_t na = ph.a.size(), ne = ph.e.size();
    std::vector<int64_t> off(std::max<int64_t>(1, co * na * ne));
    for (int64_t o = 0; o < co; ++o)
      for (int64_t ia = 0; ia < na; ++ia)
        for (int64_t ie = 0; ie < ne; ++ie)
          off[(o * na + ia) * ne + ie] = o * plane + (ph.da[ia] - dmin) * WY + ph.de[ie] + left;
    offs.push_back(std::move(off));
    first_term.push_back(terms);
    terms += co * na * ne;
  }
  const T *dy = dY.data_ptr<T>(), *w = W.data_ptr<T>();
  T* dx = dX.data_ptr<T>();
  const int64_t KC = terms_per_block<T>(NR, 1), ru = rows_per_chunk(UW * NR * sizeof(T));
  const TileFn<T>* fn = tiles<T, NV>();
  on_grid(grid, [&](int64_t tr, int64_t tc) {
    const int64_t b0 = block_parts.start(tc), b1 = block_parts.start(tc + 1);
    // my blocks' weights, per phase: [term (o, a, e)][NR channels c]
    T* wp = scratch<T>(kPacked, (b1 - b0) * std::max<int64_t>(1, terms) * NR);
    T* tmp = scratch<T>(kTemp, kk * NR);
    for (int64_t jb = b0; jb < b1; ++jb) {
      const int64_t j = jb / blocks, c0 = (jb % blocks) * NR, width = std::min<int64_t>(NR, ci - c0);
      for (int64_t o = 0; o < co; ++o) {
        pack_panel(w + ((j * co + o) * ci + c0) * kk, kk, width, kk, NR, tmp);  // [tap][NR]
        for (size_t q = 0; q < phases.size(); ++q) {
          const Phase& ph = phases[q];
          const int64_t na = ph.a.size(), ne = ph.e.size();
          T* dst = wp + ((jb - b0) * terms + first_term[q] + o * na * ne) * NR;
          for (int64_t ia = 0; ia < na; ++ia)
            for (int64_t ie = 0; ie < ne; ++ie)
              std::memcpy(dst + (ia * ne + ie) * NR, tmp + (ph.a[ia] * g.k_w + ph.e[ie]) * NR, sizeof(T) * NR);
        }
      }
    }
    T* zero = scratch<T>(kInit, NR);
    std::fill(zero, zero + NR, T(0));
    const int64_t j_lo = b0 / blocks, j_hi = b1 > b0 ? (b1 - 1) / blocks : j_lo;
    T* slab = scratch<T>(kPlanes, (j_hi - j_lo + 1) * co * plane);
    T* acc = scratch<T>(kAcc, ru * UW * NR);
    for (const Segment& sg : segments(row_parts.start(tr), row_parts.start(tr + 1), UH)) {
      for (int64_t o = 0; o < (j_hi - j_lo + 1) * co; ++o) {  // the slab: dY's rows, zeros around
        const T* src = dy + (sg.s * g.c_o + j_lo * co + o) * g.m_h * g.m_w;
        for (int64_t l = 0; l < sg.i1 - sg.i0 + dmax - dmin; ++l) {
          const int64_t i = sg.i0 + dmin + l;
          split_row(i >= 0 && i < g.m_h ? src + i * g.m_w : nullptr, g.m_w, left, 1, WY, slab + o * plane + l * WY, 0);
        }
      }
      for (size_t q = 0; q < phases.size(); ++q) {
        const Phase& ph = phases[q];
        const int64_t K = co * ph.a.size() * ph.e.size(), u_end = std::min(sg.i1, ph.rows);
        const Parts row = Parts::at_most(ph.cols, MRM);
        for (int64_t c0 = sg.i0; c0 < u_end; c0 += ru) {
          const int64_t c1 = std::min(u_end, c0 + ru);
          for (int64_t jb = b0; jb < b1; ++jb) {
            const int64_t j = jb / blocks;
            const T* ys = slab + (j - j_lo) * co * plane;
            const T* wq = wp + ((jb - b0) * terms + first_term[q]) * NR;
            for (int64_t k0 = 0; k0 < std::max<int64_t>(K, 1); k0 += KC) {
              const int64_t kc = std::max<int64_t>(0, std::min(KC, K - k0));
              for (int64_t u = c0; u < c1; ++u)
                for (int64_t t = 0; t < row.parts; ++t) {
                  const int64_t v0 = row.start(t);
                  fn[row.size(t)](ys + (u - sg.i0) * WY + v0, offs[q].data() + k0, kc, wq + k0 * NR,
                                  acc + ((u - c0) * ph.cols + v0) * NR, k0 == 0 ? zero : nullptr);
                }
            }
            const int64_t c_first = j * ci + (jb % blocks) * NR, width = std::min<int64_t>(NR, (j + 1) * ci - c_first);
            T* base = dx + (sg.s * g.c_i + c_first) * g.n_h * g.n_w;
            if (g.s_h == 1 && g.s_w == 1) {
              store_rows(acc, NR, (c1 - c0) * ph.cols, width, base + c0 * g.n_w, g.n_h * g.n_w);
            } else {
              for (int64_t u = c0; u < c1; ++u)
                for (int64_t v = 0; v < ph.cols; ++v) {
                  const T* a = acc + ((u - c0) * ph.cols + v) * NR;
                  T* d = base + (ph.ry + g.s_h * u) * g.n_w + ph.rx + g.s_w * v;
                  for (int64_t c = 0; c < width; ++c) d[c * g.n_h * g.n_w] = a[c];
                }
            }
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------- dW
template <typename T, int NV>
void weight_grad_nv(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g) {
  constexpr int L = kLanes<T>, NR = NV * L, MRM = max_rows<NV>();
  const int64_t ci = g.ci(), co = g.co(), kk = g.k_h * g.k_w, P = g.m_h * g.m_w;
  const int64_t blocks = ceil_div(co, NR), all_blocks = g.groups * blocks;
  const double work = static_cast<double>(g.n * P) * all_blocks * ci * kk * NV;
  const double x_copy = 0.5 * X.numel(), y_copy = 0.5 * static_cast<double>(g.n * P) * NR * all_blocks;
  const double sum = static_cast<double>(g.c_o * ci * kk);  // adding up the row parts' partial sums
  const Grid grid = choose_grid(g.n * g.m_h, all_blocks, [&](double rs, double bs, int64_t rows) {
    return work * rs * bs + x_copy * rs + y_copy * rs * bs + (rows > 1 ? sum : 0.0);
  });
  const Parts row_parts(g.n * g.m_h, grid.rows), block_parts(all_blocks, grid.cols);
  const int64_t reach = ((g.k_h - 1) * g.d_h) / g.s_h;
  const int64_t Wq = ceil_div(g.n_w + 2 * g.p_w, g.s_w), Hs = std::min(row_parts.largest(), g.m_h) + reach;
  const int64_t plane = Hs * Wq, per_segment = g.s_h * g.s_w * plane * g.c_i;
  // the columns (c, a, e) of one group, by address in a segment's planes; runs of consecutive
  // addresses cut into tiles of at most MR columns
  struct Column { int64_t at, c, tap; };
  std::vector<Column> columns;
  for (int64_t c = 0; c < ci; ++c)
    for (int64_t a = 0; a < g.k_h; ++a)
      for (int64_t e = 0; e < g.k_w; ++e) {
        const int64_t A = a * g.d_h, E = e * g.d_w;
        const int64_t at = ((((A % g.s_h) * g.s_w + E % g.s_w) * Hs + A / g.s_h) * Wq + E / g.s_w) * g.c_i + c;
        columns.push_back({at, c, a * g.k_w + e});
      }
  std::sort(columns.begin(), columns.end(), [](const Column& p, const Column& q) { return p.at < q.at; });
  struct Tile { int64_t first, rows; };  // columns[first .. first + rows)
  std::vector<Tile> tiles_of_group;
  for (size_t r0 = 0; r0 < columns.size();) {
    size_t r1 = r0 + 1;
    while (r1 < columns.size() && columns[r1].at == columns[r1 - 1].at + 1) ++r1;
    const Parts run = Parts::at_most(static_cast<int64_t>(r1 - r0), MRM);
    for (int64_t t = 0; t < run.parts; ++t) tiles_of_group.push_back({static_cast<int64_t>(r0) + run.start(t), run.size(t)});
    r0 = r1;
  }
  const int64_t ntiles = tiles_of_group.size(), wsize = g.c_o * ci * kk;
  // with several row parts, each writes its partial sums, added up after
  at::Tensor partial = grid.rows > 1 ? at::empty({grid.rows, wsize}, dW.options()) : dW;
  const T *x = X.data_ptr<T>(), *dy = dY.data_ptr<T>();
  T* part = partial.data_ptr<T>();
  const int64_t CH = std::max<int64_t>(16, (32 * 1024) / (NR * static_cast<int64_t>(sizeof(T))));  // pixels per chunk
  const TileFn<T>* fn = tiles<T, NV>();
  on_grid(grid, [&](int64_t tr, int64_t tc) {
    const int64_t b0 = block_parts.start(tc), b1 = block_parts.start(tc + 1);
    const std::vector<Segment> segs = segments(row_parts.start(tr), row_parts.start(tr + 1), g.m_h);
    const int64_t pixels = (row_parts.start(tr + 1) - row_parts.start(tr)) * g.m_w;
    // my planes, channels last: one per segment
    T* planes = scratch<T>(kPlanes, static_cast<int64_t>(segs.size()) * per_segment + g.c_i);
    int64_t* off = scratch<int64_t>(kOffsets, pixels);  // my pixels -> where their windows start
    int64_t p = 0;
    for (size_t k = 0; k < segs.size(); ++k) {
      const Segment& sg = segs[k];
      T* dst = planes + k * per_segment;
      std::memset(dst, 0, sizeof(T) * per_segment);
      for (int64_t ry = 0; ry < g.s_h; ++ry)
        for (int64_t yl = 0; yl < sg.i1 - sg.i0 + reach; ++yl) {
          const int64_t yy = (sg.i0 + yl) * g.s_h + ry - g.p_h;
          if (yy < 0 || yy >= g.n_h) continue;
          const T* src = x + (sg.s * g.c_i * g.n_h + yy) * g.n_w;
          T* row = dst + (ry * g.s_w * Hs + yl) * Wq * g.c_i;
          if (g.s_w == 1) {  // [x][c] from [c][x]: L x L blocks
            for (int64_t x0 = 0; x0 < g.n_w; x0 += L)
              for (int64_t c0 = 0; c0 < g.c_i; c0 += L)
                transpose_tile(src + c0 * g.n_h * g.n_w + x0, g.n_h * g.n_w, static_cast<int>(std::min<int64_t>(L, g.c_i - c0)),
                               static_cast<int>(std::min<int64_t>(L, g.n_w - x0)), row + (x0 + g.p_w) * g.c_i + c0, g.c_i,
                               static_cast<int>(std::min<int64_t>(L, g.c_i - c0)));
          } else {
            for (int64_t c = 0; c < g.c_i; ++c)
              for (int64_t xx = 0; xx < g.n_w; ++xx) {
                const int64_t Xc = xx + g.p_w;
                row[((Xc % g.s_w) * Hs * Wq + Xc / g.s_w) * g.c_i + c] = src[c * g.n_h * g.n_w + xx];
              }
          }
        }
      for (int64_t i = sg.i0; i < sg.i1; ++i)
        for (int64_t j = 0; j < g.m_w; ++j) off[p++] = k * per_segment + ((i - sg.i0) * Wq + j) * g.c_i;
    }
    // dY for my blocks, channels last: [block][my pixel][NR]
    T* panel = scratch<T>(kPanel, (b1 - b0) * pixels * NR);
    for (int64_t jb = b0; jb < b1; ++jb) {
      const int64_t o0 = (jb / blocks) * co + (jb % blocks) * NR, width = std::min<int64_t>(NR, co - (jb % blocks) * NR);
      int64_t q = 0;
      for (const Segment& sg : segs) {
        pack_panel(dy + (sg.s * g.c_o + o0) * P + sg.i0 * g.m_w, P, width, (sg.i1 - sg.i0) * g.m_w, NR,
                   panel + ((jb - b0) * pixels + q) * NR);
        q += (sg.i1 - sg.i0) * g.m_w;
      }
    }
    T* zero = scratch<T>(kInit, NR);
    std::fill(zero, zero + NR, T(0));
    T* acc = scratch<T>(kAcc, (b1 - b0) * ntiles * MRM * NR);
    for (int64_t p0 = 0; p0 < pixels; p0 += CH) {
      const int64_t count = std::min(CH, pixels - p0);
      for (int64_t jb = b0; jb < b1; ++jb)
        for (int64_t t = 0; t < ntiles; ++t) {
          const Tile& tl = tiles_of_group[t];
          fn[tl.rows](planes + columns[tl.first].at + (jb / blocks) * ci, off + p0, count,
                      panel + ((jb - b0) * pixels + p0) * NR, acc + ((jb - b0) * ntiles + t) * MRM * NR,
                      p0 == 0 ? zero : nullptr);
        }
    }
    T* out = part + tr * wsize;
    for (int64_t jb = b0; jb < b1; ++jb) {
      const int64_t o0 = (jb / blocks) * co + (jb % blocks) * NR, width = std::min<int64_t>(NR, co - (jb % blocks) * NR);
      for (int64_t t = 0; t < ntiles; ++t) {
        const Tile& tl = tiles_of_group[t];
        const T* a = acc + ((jb - b0) * ntiles + t) * MRM * NR;
        for (int64_t r = 0; r < tl.rows; ++r) {
          const Column& col = columns[tl.first + r];
          for (int64_t o = 0; o < width; ++o) out[((o0 + o) * ci + col.c) * kk + col.tap] = pixels ? a[r * NR + o] : T(0);
        }
      }
    }
  });
  if (grid.rows > 1) at::sum_out(dW, partial.view({grid.rows, g.c_o, ci, g.k_h, g.k_w}), 0);
}

template <typename T>
void forward_t(const at::Tensor& X, const at::Tensor& W, const at::Tensor* b, at::Tensor& Y, const Geometry& g,
               int64_t nv) {
  switch (choose_nv<T>(g.co(), g.m_w, nv)) {
    case 1: return forward_nv<T, 1>(X, W, b, Y, g);
    case 2: return forward_nv<T, 2>(X, W, b, Y, g);
    case 3: return forward_nv<T, 3>(X, W, b, Y, g);
    default: return forward_nv<T, 4>(X, W, b, Y, g);
  }
}

template <typename T>
void input_grad_t(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g, int64_t nv) {
  switch (choose_nv<T>(g.ci(), ceil_div(g.n_w, g.s_w), nv)) {
    case 1: return input_grad_nv<T, 1>(dY, W, dX, g);
    case 2: return input_grad_nv<T, 2>(dY, W, dX, g);
    case 3: return input_grad_nv<T, 3>(dY, W, dX, g);
    default: return input_grad_nv<T, 4>(dY, W, dX, g);
  }
}

template <typename T>
void weight_grad_t(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g, int64_t nv) {
  const int64_t run = (g.s_w == 1 && g.d_w == 1) ? g.ci() * g.k_w : g.ci();
  switch (choose_nv<T>(g.co(), run, nv)) {
    case 1: return weight_grad_nv<T, 1>(dY, X, dW, g);
    case 2: return weight_grad_nv<T, 2>(dY, X, dW, g);
    case 3: return weight_grad_nv<T, 3>(dY, X, dW, g);
    default: return weight_grad_nv<T, 4>(dY, X, dW, g);
  }
}

}  // namespace

void blocked_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                     const Geometry& g, int64_t nv) {
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "blocked_forward", [&] { forward_t<scalar_t>(X, W, bias, Y, g, nv); });
}

void pixel_forward(const at::Tensor& X, const at::Tensor& W, const at::Tensor* bias, at::Tensor& Y,
                   const Geometry& g, int64_t nv) {
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "pixel_forward", [&] { pixel_forward_t<scalar_t>(X, W, bias, Y, g, nv); });
}

void blocked_input_grad(const at::Tensor& dY, const at::Tensor& W, at::Tensor& dX, const Geometry& g, int64_t nv) {
  AT_DISPATCH_FLOATING_TYPES(dY.scalar_type(), "blocked_input_grad", [&] { input_grad_t<scalar_t>(dY, W, dX, g, nv); });
}

void blocked_weight_grad(const at::Tensor& dY, const at::Tensor& X, at::Tensor& dW, const Geometry& g, int64_t nv) {
  AT_DISPATCH_FLOATING_TYPES(dY.scalar_type(), "blocked_weight_grad", [&] { weight_grad_t<scalar_t>(dY, X, dW, g, nv); });
}

}  // namespace chanconv
