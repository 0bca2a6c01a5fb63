"""The machine's limits for a roofline: theoretical peak, attainable peak, memory bandwidth.

A layer computing F FLOPs while moving at least B bytes has the *arithmetic intensity*
I = F / B (FLOP/byte). No implementation can beat ``roof(I) = min(peak, bandwidth × I)``:
below the *ridge point* I = peak / bandwidth the memory is the limit, above it the arithmetic.

Three limits, each with how it was obtained, so that a report can say so:

- :func:`cpu_description` — the **theoretical peak** read from the CPU:
  cores used × clock (GHz) × FMA units per core × float32 lanes per unit × 2 FLOPs per FMA.
  The clock and the SIMD width come from the machine (``/proc/cpuinfo``, sysfs, macOS sysctl);
  the number of FMA units per core cannot be read from a CPU and comes from :data:`FMA_TABLE`.
- :func:`attainable_peak` — the **attainable peak**: the best float32 matrix product
  (``torch.mm``) over several sizes and thread counts, in GFLOP/s (10⁹ FLOP/s).
- :func:`memory_bandwidth` — the **memory bandwidth**: a large copy and a STREAM-like triad
  on arrays far larger than the last-level cache, in GB/s (10⁹ bytes/s).

:func:`arithmetic_intensity` takes a :class:`chanconv.core.cost.ConvCost`; :func:`roof` is the
minimum above. :func:`chanconv.perf.figures.plot_roofline` draws it all.
"""

from __future__ import annotations

import math
import os
import platform
import re
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from ..core.device import cpu_model, cpuinfo_fields, logical_cpus, read_sys
from ..core.i18n import N_, _
from ..core.timing import median_seconds

__all__ = [
    "CPUDescription", "FMA_TABLE", "cpu_description",
    "MatmulRate", "AttainablePeak", "attainable_peak",
    "Bandwidth", "memory_bandwidth",
    "arithmetic_intensity", "roof", "ridge_point", "roof_peaks", "OtherLoad",
]

FLOAT32_BYTES = 4


def _count_cpu_list(text: str) -> int:
    """How many CPUs a sysfs list names: '0-1' → 2, '0,4' → 2, '3' → 1."""
    n = 0
    for part in text.split(","):
        lo, _dash, hi = part.partition("-")
        n += int(hi) - int(lo) + 1 if hi else 1
    return n


def parse_clock(model_name: str, max_freq_khz: str | None = None, cpu_mhz: str | None = None):
    """The clock in GHz and where it came from: ``(ghz, source)`` or ``(None, "unknown")``.

    In order of preference: the nominal clock in the model name (``"... @ 2.80GHz"``, source
    ``"model name"``); sysfs ``cpuinfo_max_freq`` in kHz (``"cpuinfo_max_freq"``); the
    ``cpu MHz`` line of /proc/cpuinfo (``"cpu MHz"``, the current clock, possibly throttled).
    """
    m = re.search(r"@\s*([\d.]+)\s*([GM])Hz", model_name or "", re.IGNORECASE)
    if m:
        value = float(m.group(1))
        return (value if m.group(2).upper() == "G" else value / 1000), "model name"
    if max_freq_khz:
        try:
            return int(max_freq_khz) / 1e6, "cpuinfo_max_freq"
        except ValueError:
            pass
    if cpu_mhz:
        try:
            return float(cpu_mhz) / 1000, "cpu MHz"
        except ValueError:
            pass
    return None, "unknown"


def simd_from_flags(flags: set[str]) -> tuple[int, str]:
    """float32 lanes of the widest vector instruction set the flags name, and that flag.

    avx512f → 16 (512-bit), avx2 or avx → 8 (256-bit), sse2, neon or asimd → 4 (128-bit),
    none of them → 1 (scalar).
    """
    for flag, lanes in (("avx512f", 16), ("avx2", 8), ("avx", 8), ("sse2", 4), ("asimd", 4), ("neon", 4)):
        if flag in flags:
            return lanes, flag
    return 1, "scalar"


#: FMA units per core and the float32 lanes each executes per cycle, by microarchitecture.
#: Not readable from the CPU (cpuid says which instructions exist, not how many pipes run them):
#: taken from the vendors' optimization manuals. Rows are tried in order; each is
#: (name, test(vendor, family, flags, model_name), fma_units, lanes_per_unit).
#: Caveats: Xeon Silver/Bronze Skylake-SP/Cascade Lake have only one 512-bit FMA unit;
#: Zen 5 laptop parts run AVX-512 on 256-bit pipes. Both are rare on the machines this targets.
FMA_TABLE = (
    ("Intel Xeon server core with AVX-512 (Skylake-SP, Cascade Lake, Ice Lake-SP, Sapphire Rapids): "
     "2 × 512-bit FMA",
     lambda v, fam, flags, name: v == "GenuineIntel" and "avx512f" in flags and "xeon" in name.lower(),
     2, 16),
    ("Intel client core with AVX-512 (Ice Lake, Tiger Lake, Rocket Lake): 1 × 512-bit FMA",
     lambda v, fam, flags, name: v == "GenuineIntel" and "avx512f" in flags,
     1, 16),
    ("AMD Zen 5 (family 0x1a): 2 × 512-bit FMA",
     lambda v, fam, flags, name: v == "AuthenticAMD" and fam == 0x1A and "avx512f" in flags,
     2, 16),
    ("AMD Zen 4 (family 0x19 with AVX-512): AVX-512 on 2 × 256-bit FMA pipes",
     lambda v, fam, flags, name: v == "AuthenticAMD" and fam == 0x19 and "avx512f" in flags,
     2, 8),
    ("AVX2 core (Intel Haswell and later, AMD Zen 1-3): 2 × 256-bit FMA",
     lambda v, fam, flags, name: v in ("GenuineIntel", "AuthenticAMD") and "avx2" in flags and "fma" in flags,
     2, 8),
    ("Apple M-series: 4 × 128-bit FMA",
     lambda v, fam, flags, name: name.startswith("Apple M"),
     4, 4),
)


@dataclass(frozen=True)
class CPUDescription:
    """What the CPU can compute per second, each factor with where it came from.

    model: the CPU model name. logical_cpus: CPUs this process may run on.
    threads_used: torch's intra-op threads. threads_per_core: hardware threads per core (2 with
    Hyper-Threading/SMT; None if unknown). cores_used: the physical cores those threads occupy
    at most, min(threads_used, logical_cpus / threads_per_core): two hyperthreads share a
    core's FMA units. clock_ghz: in GHz (10⁹ cycles/s), from ``clock_source``; under heavy
    AVX-512 load Intel cores may run below their nominal clock. simd_lanes: float32 lanes of the
    widest vector set (``simd_flag``). fma: the CPU has fused multiply-add. fma_units and
    fma_lanes: FMA units per core and the float32 lanes each does per cycle, from ``fma_source``
    (``"table: <row>"``; ``fma_assumed`` when no row matched).
    """

    model: str
    vendor: str
    logical_cpus: int
    threads_used: int
    threads_per_core: int | None
    clock_ghz: float | None
    clock_source: str
    simd_lanes: int
    simd_flag: str
    fma: bool
    fma_units: int
    fma_lanes: int
    fma_source: str
    fma_assumed: bool

    @property
    def cores_used(self) -> int:
        per_core = self.threads_per_core or 1
        return max(1, min(self.threads_used, self.logical_cpus // per_core))

    @property
    def flops_per_cycle_per_core(self) -> int:
        """fma_units × fma_lanes × 2 (an FMA is a multiply and an add)."""
        return self.fma_units * self.fma_lanes * 2

    @property
    def theoretical_peak_gflops(self) -> float:
        """cores_used × clock_GHz × fma_units × fma_lanes × 2, in GFLOP/s (nan without a clock)."""
        if self.clock_ghz is None:
            return math.nan
        return self.cores_used * self.clock_ghz * self.flops_per_cycle_per_core

    def describe(self) -> str:
        """One line for a report: each factor, its source, the product."""
        per_core = f", {self.threads_per_core} per core" if self.threads_per_core else ""
        cores = (f"{self.cores_used} cores ({self.threads_used} threads{per_core})"
                 if self.cores_used != self.threads_used or not self.threads_per_core
                 else f"{self.threads_used} threads")
        clock = f"{self.clock_ghz:.2f} GHz" if self.clock_ghz else "? GHz"
        lanes = (f"{self.fma_lanes} float32 lanes ({self.simd_flag})" if self.fma_lanes == self.simd_lanes
                 else f"{self.fma_lanes} float32 lanes ({self.simd_flag} on {32 * self.fma_lanes}-bit pipes)")
        units = f"{self.fma_units} FMA unit{'s' if self.fma_units != 1 else ''}"
        return (f"{self.model}: {cores} × {clock} ({self.clock_source}) × {units} ({self.fma_source}) "
                f"× {lanes} × 2 FLOPs = {self.theoretical_peak_gflops:.0f} GFLOP/s")


def cpu_description(threads: int | None = None) -> CPUDescription:
    """Describe this CPU and its theoretical float32 peak (see :class:`CPUDescription`).

    ``threads``: the threads to count (default ``torch.get_num_threads()``). Reads
    ``/proc/cpuinfo`` and sysfs (:mod:`chanconv.core.device`) and on macOS ``sysctl``;
    the FMA units per core come from :data:`FMA_TABLE`.
    """
    info = cpuinfo_fields()
    model = cpu_model(info)
    vendor = info.get("vendor_id", "Apple" if model.startswith("Apple") else "")
    try:
        family = int(info.get("cpu family", ""))
    except ValueError:
        family = None
    flags = set((info.get("flags") or info.get("Features") or "").lower().split())
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        flags |= {"neon", "fma"}
    logical = logical_cpus()
    threads_per_core = None
    try:
        threads_per_core = max(1, int(info["siblings"]) // int(info["cpu cores"]))
    except (KeyError, ValueError, ZeroDivisionError):
        siblings = read_sys("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")
        if siblings:
            try:
                threads_per_core = _count_cpu_list(siblings)
            except ValueError:
                pass

    clock, clock_source = parse_clock(
        model, read_sys("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"), info.get("cpu MHz"))
    lanes, flag = simd_from_flags(flags)
    fma = "fma" in flags or "avx512f" in flags or "asimd" in flags
    for row, test, units, unit_lanes in FMA_TABLE:
        if test(vendor, family, flags, model):
            fma_units, fma_lanes, source, assumed = units, min(unit_lanes, lanes), f"table: {row}", False
            break
    else:
        fma_units, fma_lanes, assumed = 2, lanes, True
        source = "assumed: no row of the table matches" + ("" if fma else "; no FMA flag, a multiply and an add")
    return CPUDescription(
        model=model, vendor=vendor, logical_cpus=logical,
        threads_used=threads if threads is not None else torch.get_num_threads(),
        threads_per_core=threads_per_core, clock_ghz=clock, clock_source=clock_source,
        simd_lanes=lanes, simd_flag=flag, fma=fma, fma_units=fma_units, fma_lanes=fma_lanes,
        fma_source=source, fma_assumed=assumed,
    )


# Measuring ------------------------------------------------------------------------------------
def _thread_counts(device, threads):
    if torch.device(device).type != "cpu":
        return (None,)
    return tuple(threads) if threads is not None else tuple(range(1, torch.get_num_threads() + 1))


def _timed(fn, device, threads, repeat, max_seconds, min_seconds=0.0):
    previous = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        return median_seconds(fn, device=device, repeat=repeat, warmup=1, max_seconds=max_seconds,
                              min_seconds=min_seconds)
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True)
class MatmulRate:
    """One float32 n × n matrix product: ``threads`` (None on CUDA), median seconds, GFLOP/s = 2n³ / s / 10⁹."""

    size: int
    threads: int | None
    seconds: float
    gflops: float


@dataclass(frozen=True)
class AttainablePeak:
    """The best :class:`MatmulRate` (``gflops``, GFLOP/s) and the whole ``table``."""

    gflops: float
    best: MatmulRate
    table: tuple[MatmulRate, ...]

    def format_table(self) -> str:
        lines = [_("  size threads        ms  GFLOP/s")]  # the columns: 6, 7, 9 and 8 wide
        for r in self.table:
            mark = "  " + _("best") if r is self.best else ""
            lines.append(f"{r.size:>6} {r.threads if r.threads is not None else '-':>7} "
                         f"{r.seconds * 1e3:9.2f} {r.gflops:8.1f}{mark}")
        return "\n".join(lines)


def attainable_peak(device="cpu", sizes=(256, 512, 1024, 2048, 3072), threads=None, *,
                    repeat: int = 3, max_seconds: float = 1.0) -> AttainablePeak:
    """The best float32 matrix-product rate over ``sizes`` × ``threads``, in GFLOP/s.

    Each entry: ``torch.mm(A, B, out=C)`` for n × n float32 matrices (2n³ FLOPs, the output
    preallocated), the median of ``repeat`` runs after one warm-up (more for small sizes, until
    0.1 s were spent; fewer once the runs passed ``max_seconds``). ``threads``: torch thread
    counts to try on the CPU (default 1 … ``torch.get_num_threads()``); torch's thread count is
    restored afterwards. On CUDA the thread count plays no part (``threads`` None in the table).
    About 5 s on a 2-core CPU with the default sizes.
    """
    g = torch.Generator().manual_seed(0)
    table = []
    for n in sizes:
        A = torch.randn(n, n, generator=g).to(device)
        B = torch.randn(n, n, generator=g).to(device)
        C = torch.empty(n, n, device=device)
        product = partial(torch.mm, A, B, out=C)
        for t in _thread_counts(device, threads):
            s = _timed(product, device, t, repeat, max_seconds, min_seconds=0.1)
            table.append(MatmulRate(n, t, s, 2 * n**3 / s / 1e9))
    best = max(table, key=lambda r: r.gflops)
    return AttainablePeak(best.gflops, best, tuple(table))


@dataclass(frozen=True)
class Bandwidth:
    """Memory bandwidth in GB/s (10⁹ bytes/s), the best over thread counts.

    copy_gbs: ``dst.copy_(src)``, 2 × array bytes moved (read src, write dst). triad_gbs:
    ``a = b + s·c`` (``torch.add(b, c, alpha=s, out=a)``), 3 × array bytes (STREAM's
    convention: the cache's extra read of ``a`` before writing it is not counted, so the bus
    moves up to 4/3 more for the triad and 3/2 more for the copy). array_mib: the size of each
    array in MiB (2²⁰ bytes); threads: the thread count of each best (None on CUDA).
    table: (kernel, threads, median seconds, GB/s) for every run.
    """

    copy_gbs: float
    triad_gbs: float
    array_mib: float
    copy_threads: int | None
    triad_threads: int | None
    table: tuple[tuple[str, int | None, float, float], ...]

    @property
    def gbs(self) -> float:
        """The bandwidth a roofline uses: the better of copy and triad, in GB/s."""
        return max(self.copy_gbs, self.triad_gbs)


def memory_bandwidth(device="cpu", mib: float = 256, threads=None, *, repeat: int = 5) -> Bandwidth:
    """Copy and triad bandwidth on float32 arrays of ``mib`` MiB each, in GB/s (10⁹ bytes/s).

    Choose ``mib`` well above the last-level cache (on a CPU with a 48 MiB L3, 256 MiB), or the
    cache's bandwidth is measured instead. Medians of ``repeat`` runs after a warm-up, for each
    thread count in ``threads`` (default 1 … ``torch.get_num_threads()``; restored afterwards).
    About 3 s for 256 MiB on a 2-core CPU.
    """
    n = int(mib * 2**20) // FLOAT32_BYTES
    nbytes = n * FLOAT32_BYTES
    a = torch.zeros(n, device=device)
    b = torch.ones(n, device=device)
    c = torch.full((n,), 2.0, device=device)
    kernels = {
        "copy": (lambda: a.copy_(b), 2 * nbytes),
        "triad": (lambda: torch.add(b, c, alpha=3.0, out=a), 3 * nbytes),
    }
    table = []
    for name, (fn, moved) in kernels.items():
        for t in _thread_counts(device, threads):
            s = _timed(fn, device, t, repeat, None)
            table.append((name, t, s, moved / s / 1e9))
    copy = max((r for r in table if r[0] == "copy"), key=lambda r: r[3])
    triad = max((r for r in table if r[0] == "triad"), key=lambda r: r[3])
    return Bandwidth(copy[3], triad[3], nbytes / 2**20, copy[1], triad[1], tuple(table))


# The roofline ---------------------------------------------------------------------------------
def arithmetic_intensity(cost) -> float:
    """FLOPs per byte of a layer: ``cost.flops / cost.total_bytes`` (FLOP/byte).

    ``cost`` is a :class:`chanconv.core.cost.ConvCost`: FLOPs = 2 · batch · c_o · m_h · m_w · c_i · k_h · k_w
    over the float32 bytes of X, W and b, and Y, each moved once — the least traffic any
    implementation needs, so the intensity is the highest it can have.
    """
    return cost.flops / cost.total_bytes


def roof(intensity, peak_gflops: float, bandwidth_gbs: float):
    """The attainable GFLOP/s at ``intensity`` (FLOP/byte): min(peak, bandwidth (GB/s) × intensity).

    ``intensity`` may be a number or a NumPy array (then so is the result).
    """
    value = np.minimum(peak_gflops, bandwidth_gbs * np.asarray(intensity, dtype=float))
    return float(value) if np.ndim(value) == 0 else value


# the peaks' names (English, marked for the catalog: a roofline writes them in the language in use)
THEORETICAL_PEAK = N_("theoretical peak")
ATTAINABLE_PEAK = N_("attainable peak (matrix product)")


def roof_peaks(attainable_gflops: float, cpu: CPUDescription | None = None) -> dict[str, float]:
    """The peaks a roofline draws, {name: GFLOP/s}: the CPU's theoretical peak (when the CPU could be read) and
    the attainable peak (:func:`attainable_peak`), for :func:`chanconv.perf.figures.plot_roofline`."""
    theoretical = {THEORETICAL_PEAK: cpu.theoretical_peak_gflops} if cpu is not None else {}
    return {**theoretical, ATTAINABLE_PEAK: attainable_gflops}


def ridge_point(peak_gflops: float, bandwidth_gbs: float) -> float:
    """The intensity (FLOP/byte) where the memory roof meets the peak: peak / bandwidth."""
    return peak_gflops / bandwidth_gbs


class OtherLoad:
    """What the rest of the machine did while a measurement ran: the CPU time other processes used and the
    time the hypervisor stole, from ``/proc/stat`` and this process's own CPU time (Linux; elsewhere
    :meth:`report` says it was not measured). Start it before the timings, read :meth:`report` after."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        t = os.times()
        idle, steal = v[3] + (v[4] if len(v) > 4 else 0), (v[7] if len(v) > 7 else 0)
        return dict(busy=sum(v[:8]) - idle - steal, steal=steal, total=sum(v[:8]), own=t.user + t.system,
                    wall=time.monotonic())

    def report(self) -> dict:
        """{others_cores: other processes' CPU time ÷ the wall time (in cores), steal: stolen share of CPU time,
        text: one line}."""
        end = self._read()
        if self.start is None or end is None:
            return dict(others_cores=None, steal=None, text="other load: not measured (no /proc/stat)")
        hz = os.sysconf("SC_CLK_TCK")
        wall = max(1e-9, end["wall"] - self.start["wall"])
        others = ((end["busy"] - self.start["busy"]) / hz - (end["own"] - self.start["own"])) / wall
        total = max(1, end["total"] - self.start["total"])
        steal = (end["steal"] - self.start["steal"]) / total
        text = (f"while this ran ({wall:.0f} s): other processes used {max(0.0, others):.2f} of a core on average; "
                f"the hypervisor stole {100 * steal:.1f} % of the CPU time (/proc/stat)")
        return dict(others_cores=max(0.0, others), steal=steal, text=text)
