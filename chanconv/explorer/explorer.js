// The channel explorer's picture, drawn in the browser: the anywidget front end of chanconv.explorer.
//
// Python computes every number (chanconv.explorer.state.explore) and sends typed arrays and text lines
// (chanconv/explorer/payload.py says what each trait holds, and how an array travels). This file draws
// them on canvases and picks; it never computes a convolution. A pointer over a cell of an output map
// previews that output element Y[o, u, v], a click (or a tap) keeps it, the arrow keys move it, ▶ walks
// the positions: its window lights up in every input channel it reads (every tap marked when dilated),
// its cell in every partial map, their sum and Y[o], and its sum is written out from the values already
// here, so picking needs no kernel (and works in a saved page). The kept element goes back to Python
// (traits o, u, v; the o, u, v sliders follow through links in the page).
//
// Testable from the page: the root carries data-picked="o,u,v" (and data-redraw, the number of the last
// picture from Python); every map's canvas carries data-map (its name, e.g. "Y[2]"), data-rows,
// data-cols, data-cell (pixels per cell) and data-margin (pixels around the cells), and the input maps
// data-window ("r0,r1,c0,c1": padded rows and columns, end excluded) and data-taps ("rows;cols").
//
// Words: every word the picture shows comes from Python (the trait "strings": key -> text with {names}, in the
// notebook's language, chanconv.explorer.payload.UI_STRINGS); tr() fills the names in. This file holds none.

import inflate from "./inflate.js";

const LEVELS = 50; // the palette: 2·LEVELS + 1 colours from −lim (blue) through 0 (white) to +lim (red)
const PAD_GREY = [226, 226, 226];
const MARGIN = 3; // pixels around a map's cells, so that an outline at its edge is not cut
const FULL_TERMS_MAX = 64; // every product is written when there are at most this many (not in projector mode)
const WALK_MS = 700;
const AHEAD_MS = 300; // a picture still this long asks Python for every output channel's partial maps
const TYPES = { uint8: Uint8Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array };
const ARRAYS = ["x", "k", "b", "y", "p"];

export function tr(S, key, params = {}) {
  // the text Python sent under key, its {names} filled in from params
  const text = S && typeof S[key] === "string" ? S[key] : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// -- numbers ---------------------------------------------------------------------------------------

function rgb(t) {
  // blue (t = −1), white (0), red (+1): readable with a red-green colour deficiency (blue against red/orange)
  t = Math.max(-1, Math.min(1, t));
  if (t >= 0) return [255, Math.round(255 - 160 * t), Math.round(255 - 180 * t)];
  return [Math.round(255 + 190 * t), Math.round(255 + 140 * t), 255];
}
const PALETTE = Array.from({ length: 2 * LEVELS + 1 }, (_, k) => rgb((k - LEVELS) / LEVELS));
const css = ([r, g, b]) => `rgb(${r},${g},${b})`;
function level(v, lim) {
  const t = lim ? Math.max(-1, Math.min(1, v / lim)) : 0;
  return LEVELS + Math.round(t * LEVELS);
}

function g3(v) {
  // Python's f"{v:.3g}"
  if (v === 0) return "0";
  const [mant, e] = v.toExponential(2).split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 3) {
    const m = mant.includes(".") ? mant.replace(/\.?0+$/, "") : mant;
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = v.toFixed(Math.max(0, 2 - exp));
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

export function formatNumber(v, paren = true) {
  // chanconv.course.element.format_number: 1.0 → "1", 0.4213 → "0.421", −2 → "(−2)" (ASCII minus, as Python)
  const text = Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v === 0 ? 0 : v) : g3(v);
  return v < 0 && paren ? `(${text})` : text;
}

function short(v) {
  // a value written in a cell: integers as they are, others with 2 decimals at most ("-.33")
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v === 0 ? 0 : v);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "").replace(/^(-?)0\./, "$1.");
}

export function decodeItem(item) {
  // {dtype, shape, scale, z, data} -> {shape, data: Float32Array} (payload.py's encode, read back)
  if (!item || item.data === undefined || item.data === null) return null;
  const T = TYPES[item.dtype];
  const d = item.data;
  let bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  if (item.z) {
    // zlib's stream: a 2-byte header, the deflate data (inflated here, at once: an asynchronous stream waits behind
    // whatever else the page has to do), a 4-byte check
    const size = T.BYTES_PER_ELEMENT;
    const n = item.shape.reduce((a, b) => a * b, 1);
    const planes = inflate(bytes.subarray(2, bytes.length - 4), new Uint8Array(n * size));
    bytes = new Uint8Array(planes.length);
    for (let j = 0; j < size; j++) for (let i = 0; i < n; i++) bytes[i * size + j] = planes[j * n + i];
  } else {
    bytes = bytes.slice(); // aligned for the typed array
  }
  const q = new T(bytes.buffer);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] * item.scale;
  return { shape: item.shape, data: out, first: item.first || 0 };
}

// -- the picked element: its window and its sum, read from the arrays ---------------------------------

function channelsOf(L, o) {
  const g = Math.floor(o / (L.c_o / L.groups));
  return Array.from({ length: L.c_ig }, (_, il) => g * L.c_ig + il);
}

function windowOf(L, u, v) {
  const rows = Array.from({ length: L.k_h }, (_, a) => u * L.stride + a * L.dilation);
  const cols = Array.from({ length: L.k_w }, (_, e) => v * L.stride + e * L.dilation);
  return { rows, cols, box: [rows[0], rows[rows.length - 1] + 1, cols[0], cols[cols.length - 1] + 1] };
}

function at(A, ...idx) {
  // A[idx] of a C-ordered array
  let flat = 0;
  for (let j = 0; j < idx.length; j++) flat = flat * A.shape[j] + idx[j];
  return A.data[flat];
}

function partialsHere(D, o) {
  // the partial maps of output channel o, if they are here: [c_ig, m_h, m_w] view, else null
  const P = D.p;
  if (!P || o < P.first || o >= P.first + P.shape[0]) return null;
  const [, c, h, w] = P.shape;
  const size = c * h * w;
  return { shape: [c, h, w], data: P.data.subarray((o - P.first) * size, (o - P.first + 1) * size) };
}

function inputAt(L, D, i, r, c) {
  // X[i] at row r, column c of the padded input, or null on the padding (not part of X)
  const p = L.padding;
  return r < p || r >= p + L.n_h || c < p || c >= p + L.n_w ? null : at(D.x, i, r - p, c - p);
}

export function elementTexts(L, D, o, u, v, projector, fullTerms, S) {
  // The written sum of Y[o, u, v], as chanconv.course.element.Element writes it (compact and every product);
  // S: the words Python sent (the "strings" trait)
  const { rows, cols } = windowOf(L, u, v);
  const terms = channelsOf(L, o).map((i, il) => {
    const out = [];
    rows.forEach((r, a) => cols.forEach((c, e) => {
      const x = inputAt(L, D, i, r, c);
      out.push({ x: x === null ? 0 : x, k: at(D.k, o, il, a, e), pad: x === null });
    }));
    return out;
  });
  const bias = D.b ? D.b.data[o] : null;
  const value = formatNumber(at(D.y, o, u, v), false);
  const name = `Y[${o}, ${u}, ${v}]`;
  const tail = (parts) => (bias !== null ? [...parts, formatNumber(bias)] : parts).join(" + ") + ` = ${value}`;
  const brackets = terms.map((ts) => {
    const kept = ts.filter((t) => !t.pad);
    return `(${kept.map((t) => `${formatNumber(t.x)}×${formatNumber(t.k)}`).join(" + ") || "0"})`;
  });
  const full = `${name} = ` + tail(brackets);
  const P = partialsHere(D, o);
  const compact = P ? `${name} = ` + tail(terms.map((_, il) => formatNumber(at(P, il, u, v)))) : null;
  const n = terms.reduce((s, ts) => s + ts.length, 0);
  const padded = terms.reduce((s, ts) => s + ts.filter((t) => t.pad).length, 0);
  const by = bias !== null ? ` + b[${o}]` : "";
  const lines = [tr(S, L.groups > 1 ? "sum_head_group" : "sum_head", { name, o, u, v, by })];
  lines.push(compact || tr(S, "sum_elsewhere", { name, value: formatNumber(at(D.y, o, u, v), false) }));
  if (fullTerms || (!projector && n - padded <= FULL_TERMS_MAX)) {
    lines.push(padded ? tr(S, "every_product_padded", { padded }) : tr(S, "every_product"), full);
  } else {
    lines.push(tr(S, "products_hidden", { n: n - padded }));
  }
  return { lines, full, compact };
}

// -- one map on a canvas ---------------------------------------------------------------------------

let hatch = null;
let scratch = null; // one small canvas every map's cells pass through (a canvas and its context are costly to make)
function scratchCanvas(w, h) {
  if (!scratch) { scratch = document.createElement("canvas"); scratch.ctx = scratch.getContext("2d"); }
  if (scratch.width !== w) scratch.width = w;
  if (scratch.height !== h) scratch.height = h;
  return scratch;
}
// A map is drawn once into a base canvas; each paint puts it back and draws the outlines on the map's own canvas.
function baseCanvas(view) {
  // kept for the view's life: a map drawn again (another output channel's) reuses it
  const b = view.base || (view.base = document.createElement("canvas"));
  if (b.width !== view.canvas.width) b.width = view.canvas.width;
  if (b.height !== view.canvas.height) b.height = view.canvas.height;
  if (!b.ctx) b.ctx = b.getContext("2d");
  return b.ctx;
}
const widest = new WeakMap(); // a decoded array -> the most characters one of its values is written with
function widestValue(A) {
  if (!A) return 1;
  if (!widest.has(A)) {
    let n = 1;
    for (const v of A.data) n = Math.max(n, formatNumber(v).length);
    widest.set(A, n);
  }
  return widest.get(A);
}
function hatchPattern(ctx) {
  // padding: grey with dark diagonal lines, so that it reads apart from 0 (white) in any colour vision
  if (!hatch) {
    hatch = document.createElement("canvas");
    hatch.width = hatch.height = 6;
    const h = hatch.getContext("2d");
    h.fillStyle = css(PAD_GREY);
    h.fillRect(0, 0, 6, 6);
    h.strokeStyle = "rgba(0,0,0,0.35)";
    h.lineWidth = 1;
    h.beginPath();
    h.moveTo(0, 6);
    h.lineTo(6, 0);
    h.stroke();
  }
  return ctx.createPattern(hatch, "repeat");
}

class MapView {
  // One 2-D map: its cells coloured on ±lim (written values when ``values``), drawn once into a base image;
  // paint() puts the base back and draws the outlines of what is picked.
  constructor(opts) {
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.setup(opts);
  }

  setup({ name, rows, cols, cell, font, values, pad = 0 }) {
    // its size and what it shows (also a canvas of the last picture's, made over for a map of another size)
    Object.assign(this, { name, rows, cols, cell, font, values, pad });
    const c = this.canvas;
    this.w = cols * cell + 2 * MARGIN;
    this.h = rows * cell + 2 * MARGIN;
    const dpr = (this.dpr = window.devicePixelRatio || 1);
    if (c.width !== Math.round(this.w * dpr)) c.width = Math.round(this.w * dpr);
    if (c.height !== Math.round(this.h * dpr)) c.height = Math.round(this.h * dpr);
    c.style.width = `${this.w}px`;
    c.style.height = `${this.h}px`;
    Object.assign(c.dataset, { map: name, rows, cols, cell, margin: MARGIN });
    this.ctx = null; // a resized canvas's context starts over (its transform too)
    this.shown = null;
    this.src = null; // what a kernel's canvas shows (Explorer.fillPartials): nothing yet
  }

  static key(role, { rows, cols, cell, font, values, pad = 0 }) {
    return [role, rows, cols, cell, font, !!values, pad].join(",");
  }

  rename(name) {
    this.name = name;
    this.canvas.dataset.map = name;
  }

  isPad(r, c) {
    const p = this.pad;
    return p > 0 && (r < p || r >= this.rows - p || c < p || c >= this.cols - p);
  }

  fill(get, lim) {
    // the map's image: get(r, c) gives a value or null (padding)
    this.get = get;
    this.lim = lim;
    this.shown = null; // what paint() last drew on the canvas: drawn again whatever the marks
    const ctx = baseCanvas(this);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    const img = new ImageData(this.cols, this.rows);
    const inner = []; // padding inside the map (a gradient view's window taps on the padding): hatched cell by cell
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const v = get(r, c);
        if (v === null && !this.isPad(r, c)) inner.push([r, c]);
        const [R, G, B] = v === null ? PAD_GREY : PALETTE[level(v, lim)];
        const j = 4 * (r * this.cols + c);
        img.data[j] = R; img.data[j + 1] = G; img.data[j + 2] = B; img.data[j + 3] = 255;
      }
    }
    const small = scratchCanvas(this.cols, this.rows);
    small.ctx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const { cell } = this;
    ctx.drawImage(small, MARGIN, MARGIN, this.cols * cell, this.rows * cell);
    if (this.pad && cell >= 3) this.hatchPadding(ctx);
    if (inner.length && cell >= 3) {
      ctx.fillStyle = hatchPattern(ctx);
      for (const [r, c] of inner) ctx.fillRect(MARGIN + c * cell, MARGIN + r * cell, cell, cell);
    }
    if (cell >= 8) {
      ctx.strokeStyle = "rgba(0,0,0,0.18)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let r = 0; r <= this.rows; r++) { ctx.moveTo(MARGIN, MARGIN + r * cell + 0.5); ctx.lineTo(MARGIN + this.cols * cell, MARGIN + r * cell + 0.5); }
      for (let c = 0; c <= this.cols; c++) { ctx.moveTo(MARGIN + c * cell + 0.5, MARGIN); ctx.lineTo(MARGIN + c * cell + 0.5, MARGIN + this.rows * cell); }
      ctx.stroke();
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(MARGIN - 0.5, MARGIN - 0.5, this.cols * cell + 1, this.rows * cell + 1);
    if (this.values) {
      for (let r = 0; r < this.rows; r++) for (let c = 0; c < this.cols; c++) this.writeValue(ctx, r, c, false);
    }
  }

  hatchPadding(ctx) {
    const { cell, pad: p, rows, cols } = this;
    ctx.fillStyle = hatchPattern(ctx);
    for (const [r0, r1, c0, c1] of [[0, p, 0, cols], [rows - p, rows, 0, cols], [p, rows - p, 0, p], [p, rows - p, cols - p, cols]]) {
      ctx.fillRect(MARGIN + c0 * cell, MARGIN + r0 * cell, (c1 - c0) * cell, (r1 - r0) * cell);
    }
  }

  writeValue(ctx, r, c, bold) {
    // blankNull: padding is left unwritten (a gradient dX: the padding is not part of X, it has no gradient)
    const v = this.get(r, c);
    if (v === null && this.blankNull) return;
    const x = MARGIN + (c + 0.5) * this.cell;
    const y = MARGIN + (r + 0.5) * this.cell;
    if (bold) {
      ctx.fillStyle = v === null ? css(PAD_GREY) : css(PALETTE[level(v, this.lim)]);
      ctx.fillRect(MARGIN + c * this.cell + 1, MARGIN + r * this.cell + 1, this.cell - 1, this.cell - 1);
    }
    ctx.font = `${bold ? "bold " : ""}${this.font}px ui-monospace, Menlo, Consolas, monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillStyle = v === null || this.isPad(r, c) ? "#777" : "#111";
    ctx.fillText(short(v === null ? 0 : v), x, y + 0.5);
  }

  paint(marks) {
    // marks: {box: [r0, r1, c0, c1], taps: [rows, cols] or null, dashed}. A canvas whose picture would not change
    // is left alone: each one drawn again costs the frame that shows a pick (the browser hands it on afresh)
    const key = JSON.stringify(marks);
    if (key === this.shown) return;
    this.shown = key;
    const ctx = this.ctx || (this.ctx = this.canvas.getContext("2d"));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    this.canvas.dataset.window = marks ? marks.box.join(",") : "";
    this.canvas.dataset.taps = marks && marks.taps ? `${marks.taps[0].join(",")};${marks.taps[1].join(",")}` : "";
    if (!marks) return;
    const { cell } = this;
    const [r0, r1, c0, c1] = marks.box;
    const [rows, cols] = marks.taps || [[], []];
    if (this.values) for (const r of rows) for (const c of cols) this.writeValue(ctx, r, c, true);
    ctx.setLineDash(marks.dashed ? [5, 3] : []);
    const box = [MARGIN + c0 * cell - 1, MARGIN + r0 * cell - 1, (c1 - c0) * cell + 2, (r1 - r0) * cell + 2];
    ctx.lineWidth = 4;
    ctx.strokeStyle = "#fff";
    ctx.strokeRect(...box);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#111";
    ctx.strokeRect(...box);
    ctx.setLineDash([]);
    if (!marks.taps || (rows.length * cols.length <= 1) || (r1 - r0) * (c1 - c0) === rows.length * cols.length) return;
    for (const r of rows) {
      for (const c of cols) {
        if (this.values) {
          ctx.lineWidth = 1.5;
          ctx.strokeStyle = "#111";
          ctx.strokeRect(MARGIN + c * cell + 1, MARGIN + r * cell + 1, cell - 2, cell - 2);
        } else {
          const rad = Math.max(1.5, 0.3 * cell);
          ctx.beginPath();
          ctx.arc(MARGIN + (c + 0.5) * cell, MARGIN + (r + 0.5) * cell, rad, 0, 2 * Math.PI);
          ctx.fillStyle = "#111";
          ctx.fill();
          ctx.lineWidth = 1;
          ctx.strokeStyle = "#fff";
          ctx.stroke();
        }
      }
    }
  }

  cellAt(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left) * (this.w / rect.width) - MARGIN;
    const y = (event.clientY - rect.top) * (this.h / rect.height) - MARGIN;
    const r = Math.floor(y / this.cell);
    const c = Math.floor(x / this.cell);
    return r >= 0 && r < this.rows && c >= 0 && c < this.cols ? [r, c] : null;
  }
}

// -- the kernels: the c_o × c_i / groups grid on one canvas ------------------------------------------

class KernelGrid {
  constructor(L, D, { cell, font, values, projector, old }) {
    // old: the last picture's grid, whose canvases are drawn again here (resized when the grid's size changed)
    Object.assign(this, { L, D, cell, font, values });
    if (old) { this.base = old.base; this.ctx = old.ctx; }
    const label = projector ? 150 : 96;
    const head = font + 10;
    const gap = Math.max(4, Math.round(cell / 2));
    this.geo = { label, head, gap, kw: L.k_w * cell, kh: L.k_h * cell };
    const bias = L.bias ? (projector ? 64 : 44) : 0;
    this.w = label + L.c_ig * (this.geo.kw + gap) + bias + 2 * MARGIN;
    this.h = head + L.c_o * (this.geo.kh + gap) + 2 * MARGIN;
    const c = (this.canvas = old ? old.canvas : document.createElement("canvas"));
    const dpr = (this.dpr = window.devicePixelRatio || 1);
    if (c.width !== Math.round(this.w * dpr)) c.width = Math.round(this.w * dpr);
    if (c.height !== Math.round(this.h * dpr)) c.height = Math.round(this.h * dpr);
    c.style.width = `${this.w}px`;
    c.style.height = `${this.h}px`;
    c.setAttribute("role", "img");
    Object.assign(c.dataset, { map: "K", rows: L.c_o, cols: L.c_ig });
    // the same kernels drawn the same way (an n_h change, a stride): the last grid's picture stands as it is
    this.sig = JSON.stringify([cell, font, values, projector, L.c_o, L.c_ig, L.k_h, L.k_w, L.groups, L.bias, L.scales.k]);
    if (old && old.sig === this.sig && old.D.k === D.k && old.D.b === D.b && old.w === this.w && old.h === this.h) {
      this.shown = old.shown;
    } else {
      this.draw();
    }
  }

  origin(o, il) {
    const g = this.geo;
    return [MARGIN + g.label + il * (g.kw + g.gap), MARGIN + g.head + o * (g.kh + g.gap)];
  }

  draw() {
    const { L, D, cell, font } = this;
    this.shown = null;
    const ctx = baseCanvas(this);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.fillStyle = "#222";
    ctx.textBaseline = "middle";
    const lim = L.scales.k[0];
    for (let il = 0; il < L.c_ig; il++) {
      const [x] = this.origin(0, il);
      ctx.textAlign = "left";
      ctx.fillText(L.groups === 1 ? `i = ${il}` : `i = g·${L.c_ig} + ${il}`, x, MARGIN + font / 2 + 2);
    }
    if (L.bias) ctx.fillText("b", this.origin(0, L.c_ig)[0] + 4, MARGIN + font / 2 + 2);
    for (let o = 0; o < L.c_o; o++) {
      const [, y] = this.origin(o, 0);
      ctx.textAlign = "left";
      ctx.fillStyle = "#222";
      ctx.font = `${font}px system-ui, sans-serif`;
      const name = L.groups === 1 ? `K[${o}]` : `K[${o}] (g = ${Math.floor(o / (L.c_o / L.groups))})`;
      ctx.fillText(name, MARGIN + 2, y + this.geo.kh / 2);
      for (let il = 0; il < L.c_ig; il++) {
        const [x0, y0] = this.origin(o, il);
        for (let a = 0; a < L.k_h; a++) {
          for (let e = 0; e < L.k_w; e++) {
            const v = at(D.k, o, il, a, e);
            ctx.fillStyle = css(PALETTE[level(v, lim)]);
            ctx.fillRect(x0 + e * cell, y0 + a * cell, cell, cell);
            if (this.values) {
              ctx.fillStyle = "#111";
              ctx.textAlign = "center";
              ctx.font = `${font}px ui-monospace, Menlo, Consolas, monospace`;
              ctx.fillText(short(v), x0 + (e + 0.5) * cell, y0 + (a + 0.5) * cell + 0.5);
            }
          }
        }
        ctx.strokeStyle = "#999";
        ctx.lineWidth = 1;
        ctx.strokeRect(x0 - 0.5, y0 - 0.5, this.geo.kw + 1, this.geo.kh + 1);
      }
      if (L.bias) {
        ctx.fillStyle = "#111";
        ctx.textAlign = "left";
        ctx.font = `${font}px ui-monospace, Menlo, Consolas, monospace`;
        ctx.fillText(short(D.b.data[o]), this.origin(o, L.c_ig)[0] + 4, y + this.geo.kh / 2);
      }
    }
  }

  paint(o, dashed) {
    if (this.shown === `${o},${dashed}`) return; // unchanged (see MapView.paint)
    this.shown = `${o},${dashed}`;
    const ctx = this.ctx || (this.ctx = this.canvas.getContext("2d"));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const [, y] = this.origin(o, 0);
    const g = this.geo;
    ctx.setLineDash(dashed ? [5, 3] : []);
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#d08c00";
    ctx.strokeRect(MARGIN, y - g.gap / 2, this.w - 2 * MARGIN, g.kh + g.gap);
    ctx.setLineDash([]);
    this.canvas.dataset.row = o;
  }
}

// -- the 3-D view (SVG): the input volume, the kernel block K[o], the output volume -------------------

function box3(depth, height, width, fit) {
  const s = Math.max(2, Math.min(14, fit / Math.max(height, width)));
  const sc = Math.max(3, Math.min(14, (0.6 * fit) / Math.max(depth, 1)));
  return { d: depth, h: height, w: width, s, dx: 0.75 * sc, dy: 0.55 * sc, ox: 0, oy: 0 };
}
const P3 = (b, c, r, q) => [b.ox + q * b.s + c * b.dx, b.oy + b.d * b.dy + r * b.s - c * b.dy];
function shade(rgbHex, f) {
  const n = [1, 3, 5].map((i) => Math.floor(parseInt(rgbHex.slice(i, i + 2), 16) * f));
  return `#${n.map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}
function faces(b, [c0, c1, r0, r1, q0, q1], fill, stroke = "#333", opacity = 1, width = 1) {
  const polys = [
    [[c0, r0, q0], [c0, r0, q1], [c0, r1, q1], [c0, r1, q0]],
    [[c0, r0, q0], [c0, r0, q1], [c1, r0, q1], [c1, r0, q0]],
    [[c0, r0, q1], [c1, r0, q1], [c1, r1, q1], [c0, r1, q1]],
  ];
  return polys.map((pts, j) => `<polygon points="${pts.map((p) => P3(b, ...p).map((z) => z.toFixed(1)).join(",")).join(" ")}" ` +
    `fill="${[fill, shade(fill, 0.9), shade(fill, 0.78)][j]}" fill-opacity="${opacity}" stroke="${stroke}" stroke-width="${width}"/>`).join("");
}
function channelLines(b) {
  let out = "";
  for (let c = 1; c < b.d; c++) {
    const [x0, y0] = P3(b, c, 0, 0);
    const [x1, y1] = P3(b, c, 0, b.w);
    out += `<line x1="${x0.toFixed(1)}" y1="${y0.toFixed(1)}" x2="${x1.toFixed(1)}" y2="${y1.toFixed(1)}" stroke="#777" stroke-width="0.6"/>`;
  }
  return out;
}

export function volumesSvg(L, o, u, v, projector, S) {
  const p = L.padding;
  const fit = projector ? 230 : 170;
  const font = projector ? 18 : 12;
  const X = box3(L.c_i, L.n_h + 2 * p, L.n_w + 2 * p, fit);
  const K = box3(L.c_ig, L.k_h, L.k_w, fit * 0.55);
  const boxes = [X, K];
  const labels = [`X: c_i × n_h × n_w = ${L.c_i} × ${L.n_h} × ${L.n_w}` + (p ? tr(S, "view3d_padding", { p }) : ""),
    `K[${o}]: c_i${L.groups > 1 ? " / groups" : ""} × k_h × k_w = ${L.c_ig} × ${L.k_h} × ${L.k_w}`];
  const Y = L.m_h ? box3(L.c_o, L.m_h, L.m_w, fit) : null;
  if (Y) { boxes.push(Y); labels.push(`Y: c_o × m_h × m_w = ${L.c_o} × ${L.m_h} × ${L.m_w}`); }
  let x = 10;
  const top = 2.2 * font;
  boxes.forEach((b, j) => {
    b.ox = x; b.oy = top;
    x += Math.max(b.w * b.s + b.d * b.dx, 0.56 * font * labels[j].length) + 40;
  });
  const width = x - 30;
  const height = top + Math.max(...boxes.map((b) => b.h * b.s + b.d * b.dy)) + 2.6 * font;
  const label = (b, text) => { const [lx, ly] = P3(b, 0, b.h, 0); return `<text x="${lx.toFixed(1)}" y="${(ly + 1.5 * font).toFixed(1)}">${text}</text>`; };
  let svg = `<svg width="${width.toFixed(0)}" height="${height.toFixed(0)}" viewBox="0 0 ${width.toFixed(0)} ${height.toFixed(0)}" ` +
    `font-family="system-ui, sans-serif" font-size="${font}" role="img" aria-label="${tr(S, "view3d_label", { o })}">`;
  svg += faces(X, [0, X.d, 0, X.h, 0, X.w], "#fbe3d6");
  if (p) svg += faces(X, [0, X.d, p, X.h - p, p, X.w - p], "#f4b69a", "#333", 0.55, 0.5);
  svg += channelLines(X);
  const first = channelsOf(L, o)[0];
  const win = Y ? windowOf(L, u, v) : null;
  if (win) svg += faces(X, [first, first + L.c_ig, win.box[0], win.box[1], win.box[2], win.box[3]], "#222222", "#000", 0.45, 1.5);
  svg += label(X, labels[0]) + faces(K, [0, K.d, 0, K.h, 0, K.w], "#c9daf8", "#000", 1, 1.5) + channelLines(K) + label(K, labels[1]);
  if (Y) {
    svg += faces(Y, [0, Y.d, 0, Y.h, 0, Y.w], "#e2f0d9") + faces(Y, [o, o + 1, 0, Y.h, 0, Y.w], "#9fd18b", "#333", 0.8, 0.5);
    svg += channelLines(Y) + faces(Y, [o, o + 1, u, u + 1, v, v + 1], "#222222", "#000", 1, 1.5) + label(Y, labels[2]);
    const a = P3(X, first + L.c_ig / 2, (win.box[0] + win.box[1]) / 2, win.box[3]);
    const pairs = [[a, P3(K, L.c_ig / 2, K.h / 2, 0)], [P3(K, L.c_ig / 2, K.h / 2, K.w), P3(Y, o + 0.5, u + 0.5, v)]];
    for (const [[x0, y0], [x1, y1]] of pairs) {
      svg += `<line x1="${x0.toFixed(1)}" y1="${y0.toFixed(1)}" x2="${x1.toFixed(1)}" y2="${y1.toFixed(1)}" stroke="#000" stroke-dasharray="5 4" stroke-width="1.5"/>`;
    }
  }
  return svg + "</svg>";
}

// -- the view ----------------------------------------------------------------------------------------

function afterFrame(fn) {
  // fn once the next frame is drawn, behind the page's other tasks: what follows a pick there (telling Python and
  // the o, u, v sliders, 2–9 ms in Lab; focusing the map, which makes Lab activate its cell) is not what the
  // student waits to see, and a pointer that moves on goes first (the scheduler's background priority, where the
  // browser has one)
  const post = globalThis.scheduler && globalThis.scheduler.postTask
    ? () => globalThis.scheduler.postTask(fn, { priority: "background" }).catch((e) => console.error(e))
    : () => setTimeout(fn, 0);
  requestAnimationFrame(post);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function legend(S, name, [lim, signed], pad, padKey = "legend_padding") {
  const lo = signed ? -lim : 0;
  const stops = Array.from({ length: 11 }, (_, j) => css(PALETTE[level(lo + ((lim - lo) * j) / 10, lim)]));
  const bar = el("span", { class: "bar", style: `background:linear-gradient(to right,${stops.join(",")})` });
  const out = el("span", { class: "lg" }, el("b", { text: name }), ` ${short(lo)} `, bar, ` ${short(lim)} `,
    el("span", { class: "dim", text: tr(S, "legend_scale") }));
  if (pad) out.append(el("span", { class: "padkey" }), el("span", { class: "dim", text: tr(S, padKey) }));
  return out;
}

function cellPx(h, w, projector) {
  // pixels per cell of a map drawn as colours: maps of up to about 170 px (260 px on a projector)
  const target = projector ? 260 : 170;
  return Math.max(2, Math.min(projector ? 18 : 14, Math.floor(target / Math.max(h, w))));
}
const showValues = (count, h, w) => Math.max(h, w) <= 8 && count * h * w <= 400;

class Explorer {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.D = {};
    this.preview = null;
    this.live = false;
    this.timer = null;
    this.decoded = new Map(); // trait -> [the item, its decoded array]
    this.ahead = null; // {redraw, p}: every output channel's partial maps, sent ahead by Python (view.py)
    this.asked = -1; // the picture they were last asked for
    root.classList.add("ccx2");
    this.status = el("div", { class: "status" });
    this.nokernel = el("div", { class: "nokernel", role: "note" });
    this.walk = el("button", { class: "walk", type: "button" });
    this.stop = el("button", { class: "walk", type: "button", text: "■" });
    this.hint = el("span", { class: "hint" });
    this.live_region = el("div", { class: "sr", "aria-live": "polite" });
    this.picture = el("div", { class: "picture" });
    root.append(this.status, this.nokernel, el("div", { class: "bar" }, this.walk, this.stop, this.hint),
      this.live_region, this.picture);
    this.walk.addEventListener("click", () => (this.timer ? this.pause() : this.play()));
    this.stop.addEventListener("click", () => { this.pause(); this.keep(0, 0, 0); });
    this.setWalkLabel();
  }

  t(key, params) {
    return tr(this.model.get("strings"), key, params);
  }

  get picked() {
    // the element kept in this page (until the model has it), else the model's
    return this.kept || [this.model.get("o"), this.model.get("u"), this.model.get("v")];
  }

  refresh() {
    // a new picture from Python: decode what changed, then lay out and draw everything
    const t0 = performance.now();
    const D = {};
    for (const name of ARRAYS) {
      const item = this.model.get(name);
      const cached = this.decoded.get(name);
      D[name] = cached && cached[0] === item ? cached[1] : decodeItem(item);
      this.decoded.set(name, [item, D[name]]);
    }
    const t1 = performance.now();
    const layer = this.model.get("layer");
    const onlyPartials = this.maps && layer === this.L && ARRAYS.every((n) => n === "p" || D[n] === this.D[n]);
    this.D = D;
    this.L = layer;
    if (onlyPartials) { // another output channel's partial maps (a pick in another Y[o]): that row only
      this.partialsFor = null;
      this.paint();
    } else {
      this.build();
    }
    // the page's share of a new picture, in ms: decoding its arrays, then laying out and drawing it (the bench reads it)
    this.root.dataset.took = `${(t1 - t0).toFixed(1)},${(performance.now() - t1).toFixed(1)}`;
    this.root.dataset.redraw = this.model.get("redraw");
    clearTimeout(this.aheadTimer);
    this.aheadTimer = setTimeout(() => this.askAhead(), AHEAD_MS);
  }

  partialsOf(o) {
    // output channel o's partial maps: the picture's own, else those sent ahead for this picture, else null
    const A = this.ahead;
    return partialsHere(this.D, o) || (A && A.redraw === this.model.get("redraw") ? partialsHere(A, o) : null);
  }

  askAhead() {
    // ask Python for every output channel's partial maps (once per picture; not in a page without Python)
    const L = this.L;
    const redraw = this.model.get("redraw");
    if (!L || !L.m_h || L.p_all || L.c_o < 2 || this.model.get("static") || this.noKernel || this.asked === redraw) return;
    if (this.ahead && this.ahead.redraw === redraw) return;
    this.asked = redraw;
    this.model.send({ kind: "partials?", redraw });
  }

  takeAhead(msg, buffers) {
    // Python's answer to askAhead: kept for the picture it was made for, and drawn if a pick waits for it
    const p = decodeItem({ ...msg, data: buffers && buffers[0] });
    if (!p || msg.redraw !== this.model.get("redraw")) return;
    this.ahead = { redraw: msg.redraw, p };
    if (this.pNote && this.pNote.textContent) { this.partialsFor = null; this.paint(); }
  }

  build() {
    const { L, D } = this;
    const projector = this.model.get("projector");
    this.walk.title = this.t("walk_title");
    this.stop.title = this.t("stop_title");
    this.setWalkLabel();
    this.width = this.root.clientWidth; // read before the picture changes (after, it would lay the page out again)
    this.root.classList.toggle("proj", projector);
    this.drawStatus();
    this.picture.replaceChildren();
    const keep = this.xPart && this.xPart.D === D.x && this.xPart.key === this.inputKey(projector) ? this.xPart : null;
    // the last picture's canvases, drawn again where this one has a map of the same role and size: a new canvas
    // costs about half a millisecond to make and its first frames (12 of a 23 ms c_o change at the largest settings)
    this.pool = new Map();
    const old = this.maps ? [...(keep ? [] : this.maps.x), ...this.maps.p, ...this.maps.y] : [];
    if (this.pParts) for (const part of this.pParts.chans) if (part.kernel) old.push(part.kernel);
    if (this.grad) old.push(...this.grad.dx, ...this.grad.dw);
    for (const m of old) {
      if (!this.pool.has(m.key)) this.pool.set(m.key, []);
      this.pool.get(m.key).push(m);
    }
    this.maps = { x: keep ? keep.maps : [], p: [], y: [] };
    try {
      this.buildPicture(keep, projector);
    } finally {
      this.pool = null;
    }
  }

  buildPicture(keep, projector) {
    const { L, D } = this;
    if (!L || L.format !== 1 || !D.x) return;
    if (keep) this.picture.append(keep.node); // the same input, drawn the same way: kept as it is (a c_o change)
    else this.buildInput(projector);
    this.buildKernels(projector);
    if (L.m_h && D.y) {
      this.buildPartials(projector);
      this.buildOutput(projector);
      this.sumBox = el("pre", { class: "sum" });
      this.picture.append(el("div", { class: "ssum" }, this.sumBox));
    } else {
      this.sumBox = null;
      this.picture.append(el("div", { class: "msg", text: `⚠ ${this.model.get("text").message || ""}` }));
    }
    this.grad = this.model.get("gradient") && this.sumBox ? this.buildGradient(projector) : null;
    this.view3d = this.model.get("view3d") ? el("div", { class: "v3d" }) : null;
    if (this.view3d) this.picture.append(this.view3d);
    this.reserveSumHeight(projector);
    this.paint();
  }

  buildGradient(projector) {
    // the gradient view: one dX map per input channel (its padded grid, like X's) and the row dW[o] (one window per
    // input channel read), drawn for the shown element by paintGradient
    const { L, D } = this;
    const p = L.padding;
    const rows = L.n_h + 2 * p;
    const cols = L.n_w + 2 * p;
    const font = projector ? 18 : 12;
    const xValues = showValues(L.c_i, rows, cols);
    const xCell = xValues ? this.valueCell(font, D.k) : cellPx(rows, cols, projector);
    const wValues = showValues(L.c_ig, L.k_h, L.k_w);
    const wCell = wValues ? this.valueCell(font, D.x) : Math.max(cellPx(L.k_h, L.k_w, projector), projector ? 9 : 6);
    const S = this.model.get("strings");
    const G = { at: null, dx: [], dw: [], dwCaps: [], texts: el("div", { class: "gnote" }) };
    const dxRow = el("div", { class: "row" });
    for (let i = 0; i < L.c_i; i++) {
      const m = this.mapView("gx", { name: `dX[${i}]`, rows, cols, cell: xCell, font, values: xValues, pad: p });
      m.i = i;
      m.blankNull = true;
      const cap = el("div", { class: "cap", text: `dX[${i}]` });
      G.dx.push(m);
      dxRow.append(el("div", { class: "fig" }, cap, m.canvas));
    }
    const dwRow = el("div", { class: "row" });
    for (let il = 0; il < L.c_ig; il++) {
      const m = this.mapView("gw", { name: `dW[0, ${il}]`, rows: L.k_h, cols: L.k_w, cell: wCell, font, values: wValues });
      const cap = el("div", { class: "cap" });
      G.dw.push(m);
      G.dwCaps.push(cap);
      dwRow.append(el("div", { class: "fig" }, cap, m.canvas));
    }
    if (L.bias) {
      G.dbCap = el("div", { class: "cap" });
      dwRow.append(el("div", { class: "fig" }, G.dbCap, el("b", { class: "bval", text: "1" })));
    }
    G.texts.append(...[
      this.t("grad_dx", { unread: L.groups > 1 ? this.t("grad_dx_unread") : "", padding: p ? this.t("grad_dx_padding") : "" }),
      this.t("grad_dw", { bias: L.bias ? this.t("grad_db") : "" }),
      this.t("grad_sum"),
    ].map((text) => el("div", { text })));
    this.picture.append(el("div", { class: "sg" }, el("h4", { text: this.t("grad_head") }), G.texts,
      legend(S, "dX", L.scales.k, p > 0, "legend_padding_grad"), dxRow,
      legend(S, "dW", L.scales.x, p > 0, "legend_padding_window"), dwRow));
    return G;
  }

  paintGradient(o, u, v, dashed) {
    // dX[i] = K[o, i] laid on the window of Y[o, u, v] (0 elsewhere, grey on the padding); dW[o, i] = the window of
    // X[i]: read from the arrays here, by index (no arithmetic); the browser test checks both against autograd
    const G = this.grad;
    const { L, D } = this;
    const win = windowOf(L, u, v);
    const chans = channelsOf(L, o);
    const t = this.t.bind(this);
    if (G.at !== `${o},${u},${v}`) {
      G.at = `${o},${u},${v}`;
      const taps = new Map();
      win.rows.forEach((r, a) => win.cols.forEach((c, e) => taps.set(`${r},${c}`, [a, e])));

      G.dx.forEach((m, i) => {
        const il = chans.indexOf(i);
        m.fill((r, c) => {
          if (m.isPad(r, c)) return null;
          const tap = il >= 0 ? taps.get(`${r},${c}`) : null;
          return tap ? at(D.k, o, il, tap[0], tap[1]) : 0;
        }, L.scales.k[0]);
        const [r0, r1, c0, c1] = win.box;
        m.canvas.setAttribute("aria-label", t("grad_dx_label", { i, o, u, v, rows: m.rows, cols: m.cols }) +
          (il >= 0 ? t("grad_dx_label_on", { o, il, r0, r1: r1 - 1, c0, c1: c1 - 1 }) : t("grad_dx_label_unread", { o })));
      });
      G.dw.forEach((m, il) => {
        const i = chans[il];
        m.rename(`dW[${o}, ${il}]`);
        m.fill((a, e) => inputAt(L, D, i, win.rows[a], win.cols[e]), L.scales.x[0]);
        m.paint(null);
        G.dwCaps[il].textContent = m.name;
        m.canvas.setAttribute("aria-label", t("grad_dw_label", { o, il, i, u, v, k_h: L.k_h, k_w: L.k_w }));
      });
      if (G.dbCap) G.dbCap.textContent = `db[${o}]`;
    }
    G.dx.forEach((m, i) => m.paint(chans.includes(i) ? { box: win.box, taps: [win.rows, win.cols], dashed } : null));
  }

  mapView(role, opts) {
    // a map of this role ("x", "k", "p", "y", "gx", "gw"): a canvas of the last picture of the same size, else one
    // of its canvases of this role made over to the new size (n_h changed), else a new one
    const key = MapView.key(role, opts);
    const spare = this.pool && (this.pool.get(key) || []);
    let m = spare && spare.length ? spare.pop() : null;
    if (!m && this.pool) {
      const other = [...this.pool.entries()].find(([k, maps]) => k.startsWith(`${role},`) && maps.length);
      if (other) {
        m = other[1].pop();
        m.setup(opts);
      }
    }
    if (!m) m = new MapView(opts);
    m.key = key;
    m.rename(opts.name);
    return m;
  }

  drawStatus() {
    const T = this.model.get("text") || {};
    const lines = [...(T.summary || [])];
    if (T.torch) lines.push(T.torch);
    this.status.replaceChildren(
      ...(T.notes || []).map((n) => el("div", { class: "note", text: `ℹ ${n}` })),
      ...(T.message ? [el("div", { class: "msg", text: `⚠ ${T.message}` })] : []),
      el("pre", { text: lines.join("\n") }),
      ...(T.timing ? [el("pre", { class: "timing", text: T.timing })] : []));
    const off = this.model.get("static") || this.noKernel;
    this.nokernel.textContent = off ? this.t("no_kernel") : "";
  }

  figure(caption, canvas, op) {
    const fig = el("div", { class: "fig" }, el("div", { class: "cap", text: caption }), canvas);
    return op ? el("div", { class: "opfig" }, el("span", { class: "op", text: op }), fig) : fig;
  }

  inputKey(projector) {
    // what the input's part of the picture is drawn from, besides X itself
    const L = this.L;
    return JSON.stringify([L.c_i, L.n_h, L.n_w, L.padding, L.dilation, L.k_h * L.k_w > 1, L.x_kind, L.scales.x, projector]);
  }

  buildInput(projector) {
    const { L, D } = this;
    const p = L.padding;
    const rows = L.n_h + 2 * p;
    const cols = L.n_w + 2 * p;
    const values = showValues(L.c_i, rows, cols);
    const font = projector ? 18 : 12;
    const cell = values ? this.valueCell(font, D.x) : cellPx(rows, cols, projector);
    const dilation = L.dilation > 1 && L.k_h * L.k_w > 1 ? this.t("input_dilation", { d: L.dilation }) : "";
    const padded = p ? this.t("input_padded", { p }) : "";
    const row = el("div", { class: "row" });
    if (L.x_kind === "photo") row.append(this.figure(this.t("photo"), this.photo(projector)));
    const names = L.x_kind === "photo" ? [" (R)", " (G)", " (B)"] : [];
    for (let i = 0; i < L.c_i; i++) {
      const m = this.mapView("x", { name: `X[${i}]`, rows, cols, cell, font, values, pad: p });
      m.fill((r, c) => inputAt(L, D, i, r, c), L.scales.x[0]);
      m.i = i;
      this.maps.x.push(m);
      row.append(this.figure(`X[${i}]${names[i] || ""}`, m.canvas));
    }
    const node = el("div", { class: "sx" },
      el("h4", { text: this.t("input_head", { c_i: L.c_i, n_h: L.n_h, n_w: L.n_w, padded, dilation }) }),
      legend(this.model.get("strings"), "X", L.scales.x, p > 0), row);
    this.picture.append(node);
    this.xPart = { D: D.x, key: this.inputKey(projector), node, maps: this.maps.x };
  }

  photo(projector) {
    const { L, D } = this;
    const cell = cellPx(L.n_h, L.n_w, projector);
    const c = el("canvas", { role: "img", "aria-label": this.t("photo_label", { n_h: L.n_h, n_w: L.n_w }) });
    c.width = L.n_w;
    c.height = L.n_h;
    c.style.width = `${L.n_w * cell}px`;
    c.style.height = `${L.n_h * cell}px`;
    c.className = "photo";
    const img = new ImageData(L.n_w, L.n_h);
    for (let r = 0; r < L.n_h; r++) for (let q = 0; q < L.n_w; q++) {
      for (let ch = 0; ch < 3; ch++) img.data[4 * (r * L.n_w + q) + ch] = Math.round(255 * Math.max(0, Math.min(1, at(D.x, ch, r, q))));
      img.data[4 * (r * L.n_w + q) + 3] = 255;
    }
    c.getContext("2d").putImageData(img, 0, 0);
    return c;
  }

  valueCell(font, ...arrays) {
    // a cell wide enough for the longest value written in these maps
    let n = 1;
    for (const A of arrays) if (A) for (const v of A.data) n = Math.max(n, short(v).length);
    return Math.max(Math.round(font * 1.9), Math.ceil(font * 0.62 * (n + 1.2)));
  }

  buildKernels(projector) {
    const { L, D } = this;
    const font = projector ? 18 : 12;
    this.kValues = showValues(L.c_o * L.c_ig, L.k_h, L.k_w);
    const cell = this.kValues ? this.valueCell(font, D.k) : Math.max(Math.floor(cellPx(L.k_h, L.k_w, projector) / 2), projector ? 9 : 6);
    this.kgrid = new KernelGrid(L, D, { cell, font, values: this.kValues, projector, old: this.kgrid });
    const groups = L.groups > 1 ? this.t("kernels_groups", { g: L.groups, c_ig: L.c_ig }) : "";
    const dilation = L.dilation > 1 ? this.t("kernels_dilation", { d: L.dilation }) : "";
    const values = this.kValues || !L.m_h ? "" : this.t("kernels_values");
    const head = { c_o: L.c_o, c_ig: L.c_ig, k_h: L.k_h, k_w: L.k_w, groups, dilation, k_name: L.k_name, values };
    this.picture.append(el("div", { class: "sk" }, el("h4", { text: this.t("kernels_head", head) }),
      legend(this.model.get("strings"), "K", L.scales.k, false), this.kgrid.canvas));
  }

  buildPartials(projector) {
    const { L } = this;
    const font = projector ? 18 : 12;
    this.pValues = showValues(L.c_ig + 2 + L.c_o, L.m_h, L.m_w);
    this.pFont = font;
    this.pCell = this.pValues ? this.valueCell(font, this.D.p, this.D.y) : cellPx(L.m_h, L.m_w, projector);
    this.pHead = el("h4");
    this.pRow = el("div", { class: "row" });
    this.pNote = el("div", { class: "pnote" });
    this.pParts = null;
    this.picture.append(el("div", { class: "sp" }, this.pHead,
      legend(this.model.get("strings"), this.t("legend_partials"), L.scales.y, false), this.pNote, this.pRow));
    this.partialsFor = null;
  }

  fillPartials(o) {
    // the row "how Y[o] is made" for the output channel o whose partial maps are here (kept o, else the one sent)
    const { L, D } = this;
    let P = this.partialsOf(o);
    let shown = o;
    if (!P) { shown = D.p ? D.p.first : 0; P = partialsHere(D, shown); this.askAhead(); }
    this.pNote.textContent = shown === o ? "" :
      this.t(this.model.get("static") || this.noKernel ? "partials_static" : "partials_coming", { o, shown });
    if (this.partialsFor === shown && this.pRow.childElementCount) return;
    this.partialsFor = shown;
    const by = L.bias ? `, + b[${shown}]` : "";
    this.pHead.textContent = this.t(L.groups > 1 ? "partials_head_group" : "partials_head", { o: shown, by });
    // The row is made once per picture and drawn again in place for another output channel: new canvases cost
    // the browser a fresh buffer each for their first frames (about 7 ms of a pick's frame in Lab, 8 partial maps).
    const row = this.pParts || (this.pParts = this.makePartialRow());
    const chans = channelsOf(L, shown);
    const fill = (m, name, get, lim = L.scales.y[0]) => { m.rename(name); m.fill(get, lim); m.o = shown; };
    chans.forEach((i, il) => {
      const kname = `K[${shown}, ${L.groups > 1 ? il : i}]`;
      const part = row.chans[il];
      const k = part.kernel;
      if (k) part.kernelCap.textContent = this.t("kernel_colours", { kernel: kname });
      if (k && !(k.src === D.k && k.srcKey === `${shown},${il},${L.scales.k[0]}`)) { // unless it shows K[o, i] already
        fill(k, kname, (r, c) => at(D.k, shown, il, r, c), L.scales.k[0]);
        k.paint(null);
        k.canvas.setAttribute("aria-label", this.t("kernel_label", { kernel: kname, k_h: L.k_h, k_w: L.k_w }));
        k.src = D.k;
        k.srcKey = `${shown},${il},${L.scales.k[0]}`;
      }
      fill(part.map, `X[${i}] ⋆ ${kname}`, (r, c) => at(P, il, r, c));
      part.cap.textContent = part.map.name;
    });
    fill(row.sum, this.t("the_sum"), (r, c) => { let s = 0; for (let il = 0; il < chans.length; il++) s += at(P, il, r, c); return s; });
    if (row.bias) {
      row.biasCap.textContent = `b[${shown}]`;
      row.bias.textContent = short(D.b.data[shown]);
    }
    fill(row.y, this.t(L.bias ? "y_sum_bias" : "y_sum", { o: shown }), (r, c) => at(D.y, shown, r, c));
    row.yCap.textContent = `Y[${shown}]`;
  }

  makePartialRow() {
    // the row's figures and canvases, for a picture's layer: per input channel read, the kernel (when the grid
    // does not write its values) and the partial map; + their sum, (+ the bias), = Y[o]. fillPartials draws them
    const { L } = this;
    const mk = (values = this.pValues, rows = L.m_h, cols = L.m_w, cell = this.pCell, role = "p") =>
      this.mapView(role, { name: "", rows, cols, cell, font: this.pFont, values });
    const cap = () => el("div", { class: "cap" });
    const row = { chans: [] };
    const kCell = this.kValues ? 0 : this.valueCell(this.pFont, this.D.k);
    for (let il = 0; il < L.c_ig; il++) {
      const part = { map: mk(), cap: cap() };
      const parts = [];
      if (!this.kValues) {
        part.kernel = mk(true, L.k_h, L.k_w, kCell, "k");
        part.kernelCap = cap();
        parts.push(part.kernelCap, part.kernel.canvas);
      }
      parts.push(part.cap, part.map.canvas);
      const fig = el("div", { class: "fig" }, ...parts);
      this.pRow.append(il ? el("div", { class: "opfig" }, el("span", { class: "op", text: "+" }), fig) : fig);
      row.chans.push(part);
    }
    row.sum = mk();
    this.pRow.append(this.figure(this.t("the_sum"), row.sum.canvas, "="));
    if (L.bias) {
      row.biasCap = cap();
      row.bias = el("b", { class: "bval" });
      this.pRow.append(el("div", { class: "opfig" }, el("span", { class: "op", text: "+" }),
        el("div", { class: "fig" }, row.biasCap, row.bias)));
    }
    row.y = mk();
    const yFig = this.figure("", row.y.canvas, "=");
    row.yCap = yFig.querySelector(".cap");
    this.pRow.append(yFig);
    this.maps.p = [...row.chans.map((part) => part.map), row.sum, row.y];
    this.wire(this.maps.p, () => this.partialsFor);
    return row;
  }

  buildOutput(projector) {
    const { L, D } = this;
    const row = el("div", { class: "row" });
    for (let o = 0; o < L.c_o; o++) {
      const m = this.mapView("y", { name: `Y[${o}]`, rows: L.m_h, cols: L.m_w, cell: this.pCell, font: this.pFont, values: this.pValues });
      m.fill((r, c) => at(D.y, o, r, c), L.scales.y[0]);
      m.o = o;
      this.maps.y.push(m);
      row.append(this.figure(`Y[${o}]`, m.canvas));
    }
    this.wire(this.maps.y, null);
    const formula = L.dilation > 1 ? "d(k − 1) − 1" : "k";
    this.picture.append(el("div", { class: "sy" },
      el("h4", { text: this.t("output_head", { c_o: L.c_o, m_h: L.m_h, m_w: L.m_w, formula }) }), row));
  }

  wire(maps, fixedO) {
    // pointer, touch and keyboard on output maps: preview on hover, keep on click or tap, arrows move the kept cell
    // (once per canvas: a canvas drawn again for another picture keeps its listeners)
    for (const m of maps) {
      m.pickO = fixedO || (() => m.o);
      if (m.wired) continue;
      m.wired = true;
      const c = m.canvas;
      const oOf = () => m.pickO();
      c.tabIndex = 0;
      c.classList.add("pick");
      c.addEventListener("pointermove", (ev) => {
        const cell = m.cellAt(ev);
        if (cell) this.show([oOf(), ...cell]);
      });
      c.addEventListener("pointerleave", () => this.show(null));
      // a press on a map picks; it does not reach the notebook, which would make the cell active and may scroll
      // the page under the pointer (JupyterLab), moving the map before the click lands. Nor does it focus the
      // map at once: JupyterLab answers a focus in a cell by making that cell active, work that landed in the
      // frame that shows the pick (6 ms of its median in Lab); the map takes the focus (for the arrow keys)
      // after that frame
      c.addEventListener("mousedown", (ev) => { ev.stopPropagation(); ev.preventDefault(); });
      c.addEventListener("pointerdown", (ev) => ev.stopPropagation());
      c.addEventListener("click", (ev) => {
        const cell = m.cellAt(ev);
        if (cell) this.keep(oOf(), ...cell);
        afterFrame(() => c.focus({ preventScroll: true }));
      });
      // the keys, read by render()'s listener on the window before the page's own shortcuts see them (Jupyter
      // Notebook 7 took the arrows for itself): true when the key was the map's
      c.pickKey = (ev) => {
        const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[ev.key];
        const [, u, v] = this.picked;
        if (step) {
          const { m_h, m_w } = this.L;
          this.keep(oOf(), Math.max(0, Math.min(m_h - 1, u + step[0])), Math.max(0, Math.min(m_w - 1, v + step[1])));
        } else if (ev.key === "Enter" || ev.key === " ") {
          this.keep(oOf(), u, v);
        } else {
          return false;
        }
        ev.preventDefault();
        return true;
      };
    }
  }

  show(preview) {
    // a preview (hovered) element, or null to show the kept one again
    if (JSON.stringify(preview) === JSON.stringify(this.preview)) return;
    this.preview = preview;
    this.paint();
  }

  keep(o, u, v) {
    // drawn at once; the model (and through it the o, u, v sliders and Python) hears of it after that frame, so that
    // the frame that shows the pick does not also lay out the sliders
    this.kept = [o, u, v];
    this.preview = null;
    this.paint();
    if (this.saving) return;
    this.saving = true;
    afterFrame(() => {
      this.saving = false;
      const [ko, ku, kv] = this.kept || [o, u, v];
      this.model.set({ o: ko, u: ku, v: kv });
      this.model.save_changes();
      this.kept = null;
    });
  }

  schedulePaint() {
    // o, u and v change together: one paint for all three (before the next frame), none when it is drawn already
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      if (this.kept) return; // a pick of this page is on its way to the model
      const same = !this.preview && this.root.dataset.shown === this.picked.join(",");
      this.preview = null;
      if (!same) this.paint();
    });
  }

  play() {
    if (!this.L || !this.L.m_h) return;
    this.timer = setInterval(() => {
      const { c_o, m_h, m_w } = this.L;
      const [o, u, v] = this.picked;
      const next = (o * m_h * m_w + u * m_w + v + 1) % (c_o * m_h * m_w);
      this.keep(Math.floor(next / (m_h * m_w)), Math.floor((next % (m_h * m_w)) / m_w), next % m_w);
    }, WALK_MS);
    this.setWalkLabel();
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    this.setWalkLabel();
  }

  setWalkLabel() {
    this.walk.textContent = this.t(this.timer ? "pause" : "walk");
    this.walk.setAttribute("aria-pressed", this.timer ? "true" : "false");
  }

  reserveSumHeight(projector) {
    // the written sum's box keeps one height for every element of this layer (no layout shift on hover)
    if (!this.sumBox) return;
    const { L, D } = this;
    const width = widestValue(D.x) + widestValue(D.k) + 3;
    const terms = L.c_ig * L.k_h * L.k_w;
    const chars = 60 + terms * width + L.c_ig * 4;
    const perLine = Math.max(40, Math.floor((this.width || this.root.clientWidth || 900) / ((projector ? 20 : 13) * 0.6)));
    const full = this.model.get("full_terms") || (!projector && terms <= FULL_TERMS_MAX);
    const lines = 3 + (full ? 1 + Math.ceil(chars / perLine) : 0);
    this.sumBox.style.minHeight = `${(lines * (projector ? 20 : 13) * 1.35).toFixed(0)}px`;
  }

  paint() {
    // outlines, the written sum, the text alternatives and data-picked for the shown element
    const { L } = this;
    if (!L || !this.maps) return;
    const kept = this.picked;
    const [o, u, v] = this.preview || kept;
    if (o >= L.c_o || (L.m_h && (u >= L.m_h || v >= L.m_w))) return; // a new layer is on its way
    const dashed = !!this.preview;
    this.root.dataset.picked = kept.join(",");
    this.root.dataset.shown = [o, u, v].join(",");
    const hasY = L.m_h > 0 && this.D.y;
    const win = hasY ? windowOf(L, u, v) : null;
    const chans = hasY ? new Set(channelsOf(L, o)) : new Set();
    for (const m of this.maps.x) {
      const on = chans.has(m.i);
      m.paint(on ? { box: win.box, taps: [win.rows, win.cols], dashed } : null);
      const size = { i: m.i, n_h: L.n_h, n_w: L.n_w, rows: m.rows, cols: m.cols };
      m.canvas.setAttribute("aria-label", this.t(L.padding ? "input_label_padded" : "input_label", size) + (on ?
        this.t("input_label_window", { o, u, v, rows: win.rows.join(", "), cols: win.cols.join(", ") }) : this.t("input_label_unread")));
    }
    this.kgrid.paint(hasY ? o : kept[0], dashed);
    this.kgrid.canvas.setAttribute("aria-label", this.t("kernels_label", { c_o: L.c_o, c_ig: L.c_ig, k_h: L.k_h, k_w: L.k_w, o }));
    if (!hasY) return;
    this.fillPartials(this.preview && this.partialsOf(o) ? o : kept[0]);
    for (const m of this.maps.p) {
      const on = m.o === o;
      m.paint(on ? { box: [u, u + 1, v, v + 1], taps: [[u], [v]], dashed } : null);
      m.canvas.setAttribute("aria-label", `${m.name}, ${L.m_h} × ${L.m_w}` + (on ? this.t("map_label_at", { u, v, value: formatNumber(m.get(u, v), false) }) : ""));
    }
    for (const m of this.maps.y) {
      const on = m.o === o;
      m.paint(on ? { box: [u, u + 1, v, v + 1], taps: [[u], [v]], dashed } : null);
      m.canvas.setAttribute("aria-label", this.t("output_label", { o: m.o, m_h: L.m_h, m_w: L.m_w }) +
        (on ? this.t("output_label_picked", { o, u, v, value: formatNumber(m.get(u, v), false) }) : "") + this.t("output_label_keys"));
    }
    const projector = this.model.get("projector");
    const S = this.model.get("strings");
    const P = this.partialsOf(o);
    const D = P && !partialsHere(this.D, o) ? { ...this.D, p: { shape: [1, ...P.shape], data: P.data, first: o } } : this.D;
    const texts = elementTexts(L, D, o, u, v, projector, this.model.get("full_terms"), S);
    this.sumBox.textContent = texts.lines.join("\n");
    this.hint.textContent = this.t(this.preview ? "hint_preview" : "hint_picked", { o, u, v });
    if (!this.preview) this.live_region.textContent = texts.compact || texts.full;
    if (this.grad) this.paintGradient(o, u, v, dashed);
    if (this.view3d) {
      const head = el("h4", { text: this.t("view3d_head", { o, u, v, c_ig: L.c_ig, k_h: L.k_h, k_w: L.k_w, by: L.bias ? `, + b[${o}]` : "" }) });
      this.view3d.innerHTML = head.outerHTML + volumesSvg(L, o, u, v, projector, S);
    }
  }
}

function render({ model, el: root }) {
  const view = new Explorer(model, root);
  const redraw = () => view.refresh();
  model.on("change:redraw", redraw);
  for (const name of ["projector", "view3d", "gradient"]) model.on(`change:${name}`, () => view.build());
  model.on("change:full_terms", () => { view.reserveSumHeight(model.get("projector")); view.paint(); });
  for (const name of ["o", "u", "v"]) model.on(`change:${name}`, () => view.schedulePaint());
  model.on("change:text", () => view.drawStatus());
  model.on("change:strings", () => view.build());
  model.on("msg:custom", (msg, buffers) => {
    if (msg && msg.kind === "pong") { view.live = true; view.noKernel = false; view.drawStatus(); }
    if (msg && msg.kind === "partials") view.takeAhead(msg, buffers);
  });
  if (!model.get("static")) {
    model.send({ kind: "ping" }); // a kernel answers; a saved page (no kernel) does not
    setTimeout(() => { if (!view.live) { view.noKernel = true; view.drawStatus(); } }, 5000);
  }
  redraw();
  // a key on a focused map: caught on its way down (the capture phase, on the window) and kept from the page
  const keys = (ev) => {
    const c = ev.target;
    if (c && c.pickKey && root.contains(c) && c.pickKey(ev)) ev.stopPropagation();
  };
  window.addEventListener("keydown", keys, true);
  return () => { view.pause(); window.removeEventListener("keydown", keys, true); };
}

export default { render };
