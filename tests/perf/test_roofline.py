"""The roofline's limits: the theoretical peak factor by factor from a CPU's description,
the arithmetic intensity by hand, the roof, the measurements' shape and the figure."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from chanconv.core import device  # noqa: E402
from chanconv.core.cost import conv2d_cost  # noqa: E402
from chanconv.perf import roofline  # noqa: E402
from chanconv.perf.figures import NOMINAL_NOTE, plot_roofline  # noqa: E402

INTEL_AVX512 = """\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz
cpu MHz\t\t: 3099.998
siblings\t: 4
cpu cores\t: 2
flags\t\t: fpu sse sse2 ssse3 fma avx avx2 avx512f avx512dq avx512bw

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: a second block that must not be read
"""

AMD_ZEN4 = """\
processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9R14 96-Core Processor
cpu MHz\t\t: 3699.998
siblings\t: 2
cpu cores\t: 1
flags\t\t: fpu sse sse2 fma avx avx2 avx512f avx512bw avx512_bf16
"""

INTEL_AVX2 = """\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 60
model name\t: Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz
cpu MHz\t\t: 800.000
siblings\t: 8
cpu cores\t: 4
flags\t\t: fpu sse sse2 fma avx avx2
"""

UNKNOWN_ARM = """\
processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes
CPU implementer\t: 0x41
"""


@pytest.fixture
def fake_cpu(monkeypatch):
    """Make cpu_description read the given texts instead of this machine's."""
    def install(cpuinfo, sys_files=None, logical=2):
        sys_files = sys_files or {}
        monkeypatch.setattr(device, "read_cpuinfo", lambda: cpuinfo)
        monkeypatch.setattr(roofline, "read_sys", lambda path: sys_files.get(path.rsplit("/", 1)[-1]))
        monkeypatch.setattr(roofline, "logical_cpus", lambda: logical)
        monkeypatch.setattr(device, "_sysctl", lambda name: None)
    return install


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_intel_avx512_xeon_each_factor_and_the_product(fake_cpu):
    fake_cpu(INTEL_AVX512, logical=4)
    d = roofline.cpu_description(threads=4)
    assert d.model == "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"
    assert d.vendor == "GenuineIntel"
    assert d.threads_per_core == 2                      # siblings 4 / cpu cores 2
    assert d.cores_used == 2                            # 4 hyperthreads on 2 cores share their FMA units
    assert (d.clock_ghz, d.clock_source) == (2.5, "model name")   # not the 3.1 GHz of "cpu MHz"
    assert (d.simd_lanes, d.simd_flag) == (16, "avx512f")
    assert d.fma and (d.fma_units, d.fma_lanes) == (2, 16) and not d.fma_assumed
    assert d.fma_source.startswith("table: Intel Xeon server core with AVX-512")
    assert d.flops_per_cycle_per_core == 2 * 16 * 2
    assert d.theoretical_peak_gflops == pytest.approx(2 * 2.5 * 2 * 16 * 2)    # 320
    line = d.describe()
    for part in ("2 cores (4 threads, 2 per core)", "2.50 GHz (model name)", "2 FMA units (table: Intel Xeon",
                 "16 float32 lanes (avx512f)", "= 320 GFLOP/s"):
        assert part in line


def test_roof_peaks_names_the_theoretical_peak_only_when_the_cpu_was_read(fake_cpu):
    fake_cpu(INTEL_AVX512, logical=4)
    cpu = roofline.cpu_description(threads=4)
    assert roofline.roof_peaks(209.0, cpu) == {"theoretical peak": pytest.approx(320),
                                               "attainable peak (matrix product)": 209.0}
    assert list(roofline.roof_peaks(209.0, cpu)) == ["theoretical peak", "attainable peak (matrix product)"]
    assert roofline.roof_peaks(209.0) == {"attainable peak (matrix product)": 209.0}


def test_amd_zen4_runs_avx512_on_256_bit_pipes(fake_cpu):
    fake_cpu(AMD_ZEN4, sys_files={"cpuinfo_max_freq": "3700000"}, logical=2)
    d = roofline.cpu_description(threads=2)
    assert d.threads_per_core == 2 and d.cores_used == 1
    assert (d.clock_ghz, d.clock_source) == (3.7, "cpuinfo_max_freq")  # no "@" in an EPYC's name
    assert (d.simd_lanes, d.simd_flag) == (16, "avx512f")
    assert (d.fma_units, d.fma_lanes) == (2, 8)
    assert d.fma_source.startswith("table: AMD Zen 4")
    assert d.theoretical_peak_gflops == pytest.approx(1 * 3.7 * 2 * 8 * 2)   # 118.4
    assert "8 float32 lanes (avx512f on 256-bit pipes)" in d.describe()


def test_avx2_only_intel(fake_cpu):
    fake_cpu(INTEL_AVX2, logical=8)
    d = roofline.cpu_description(threads=4)
    assert d.threads_per_core == 2 and d.cores_used == 4
    assert (d.clock_ghz, d.clock_source) == (3.4, "model name")
    assert (d.simd_lanes, d.simd_flag) == (8, "avx2")
    assert (d.fma_units, d.fma_lanes) == (2, 8)
    assert d.fma_source.startswith("table: AVX2 core")
    assert d.theoretical_peak_gflops == pytest.approx(4 * 3.4 * 2 * 8 * 2)   # 435.2
    assert "4 threads × 3.40 GHz (model name) × 2 FMA units" in d.describe()


def test_more_threads_than_cores_counts_the_cores(fake_cpu):
    fake_cpu(INTEL_AVX2, logical=8)
    assert roofline.cpu_description(threads=8).cores_used == 4
    assert roofline.cpu_description(threads=1).cores_used == 1


def test_unknown_cpu_is_flagged_as_assumed(fake_cpu):
    fake_cpu(UNKNOWN_ARM, sys_files={"thread_siblings_list": "0"}, logical=4)
    d = roofline.cpu_description(threads=4)
    assert (d.simd_lanes, d.simd_flag) == (4, "asimd")
    assert d.fma_assumed and d.fma_source.startswith("assumed") and d.fma_units == 2
    assert d.threads_per_core == 1                      # from sysfs: cpuinfo has no siblings line
    assert d.clock_ghz is None and d.clock_source == "unknown"
    assert math.isnan(d.theoretical_peak_gflops)


def test_threads_per_core_from_sysfs_sibling_lists(fake_cpu):
    for siblings, expected in (("0,4", 2), ("0-1", 2), ("0-3", 4), ("5", 1)):
        fake_cpu(UNKNOWN_ARM, sys_files={"thread_siblings_list": siblings}, logical=8)
        assert roofline.cpu_description(threads=1).threads_per_core == expected


@pytest.mark.parametrize("args, expected", [
    (("Intel(R) Xeon(R) Processor @ 2.80GHz", "3500000", "1200.0"), (2.8, "model name")),
    (("Some CPU @ 800MHz",), (0.8, "model name")),
    (("AMD EPYC 7B13 64-Core Processor", "2450000", "3000.0"), (2.45, "cpuinfo_max_freq")),
    (("AMD EPYC 7B13 64-Core Processor", None, "2449.998"), (2.449998, "cpu MHz")),
    (("AMD EPYC 7B13 64-Core Processor", "garbage", "2449.998"), (2.449998, "cpu MHz")),
    (("", None, None), (None, "unknown")),
])
def test_clock_from_model_name_then_sysfs_then_cpu_mhz(args, expected):
    ghz, source = roofline.parse_clock(*args)
    assert source == expected[1]
    assert ghz == (pytest.approx(expected[0]) if expected[0] is not None else None)


def test_simd_width_from_the_widest_flag():
    assert roofline.simd_from_flags({"sse2", "avx", "avx2", "avx512f"}) == (16, "avx512f")
    assert roofline.simd_from_flags({"sse2", "avx"}) == (8, "avx")
    assert roofline.simd_from_flags({"sse", "sse2"}) == (4, "sse2")
    assert roofline.simd_from_flags({"neon"}) == (4, "neon")
    assert roofline.simd_from_flags(set()) == (1, "scalar")


def test_this_machine_is_described_consistently():
    d = roofline.cpu_description()
    assert d.model and d.threads_used == torch.get_num_threads() and d.logical_cpus >= 1
    assert d.fma_source.startswith(("table: ", "assumed"))
    if d.clock_ghz is not None:
        assert d.theoretical_peak_gflops == pytest.approx(
            d.cores_used * d.clock_ghz * d.fma_units * d.fma_lanes * 2)


def test_arithmetic_intensity_of_the_lecture_layer_by_hand():
    cost = conv2d_cost(100, 100, 5, 5, 68, 68)
    flops = 2 * 100 * 100 * 5 * 5 * 64 * 64                        # 2.048e9
    bytes_ = 4 * (100 * 68 * 68) + 4 * (100 * 100 * 5 * 5 + 100) + 4 * (100 * 64 * 64)
    assert flops == 2_048_000_000 and bytes_ == 1_849_600 + 1_000_400 + 1_638_400 == 4_488_400
    assert roofline.arithmetic_intensity(cost) == pytest.approx(flops / bytes_)   # ≈ 456.3 FLOP/byte


def test_roof_is_the_lower_of_peak_and_bandwidth_times_intensity():
    assert roofline.roof(10, 200, 16) == 160                       # memory-bound
    assert roofline.roof(20, 200, 16) == 200                       # compute-bound
    assert roofline.ridge_point(200, 16) == 12.5
    assert roofline.roof(12.5, 200, 16) == pytest.approx(200)
    np.testing.assert_allclose(roofline.roof(np.array([1.0, 12.5, 100.0]), 200, 16), [16, 200, 200])


def test_attainable_peak_returns_a_table_and_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        peak = roofline.attainable_peak("cpu", sizes=(32, 64), threads=(1, 2), repeat=2, max_seconds=0.2)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    assert [(r.size, r.threads) for r in peak.table] == [(32, 1), (32, 2), (64, 1), (64, 2)]
    for r in peak.table:
        assert r.seconds > 0 and math.isfinite(r.gflops) and r.gflops == pytest.approx(2 * r.size**3 / r.seconds / 1e9)
    assert peak.gflops == max(r.gflops for r in peak.table) == peak.best.gflops
    assert "best" in peak.format_table()


def test_memory_bandwidth_counts_bytes_and_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        bw = roofline.memory_bandwidth("cpu", mib=2, threads=(1, 2), repeat=2)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
    assert bw.array_mib == 2
    assert {(k, t) for k, t, _, _ in bw.table} == {("copy", 1), ("copy", 2), ("triad", 1), ("triad", 2)}
    moved = {"copy": 2 * 2 * 2**20, "triad": 3 * 2 * 2**20}
    for kernel, _, seconds, gbs in bw.table:
        assert seconds > 0 and gbs == pytest.approx(moved[kernel] / seconds / 1e9)
    assert bw.copy_gbs == max(g for k, _, _, g in bw.table if k == "copy") > 0
    assert bw.triad_gbs == max(g for k, _, _, g in bw.table if k == "triad") > 0
    assert bw.gbs == max(bw.copy_gbs, bw.triad_gbs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device in this session")
def test_measurements_on_cuda():
    peak = roofline.attainable_peak("cuda", sizes=(256,), repeat=2)
    assert [r.threads for r in peak.table] == [None] and peak.gflops > 0
    assert roofline.memory_bandwidth("cuda", mib=16, repeat=2).gbs > 0


POINTS = [
    dict(label="lecture", intensity=456.3, gflops=150.0, method="torch"),
    dict(label="lecture", intensity=456.3, gflops=140.0, method="im2col"),
    dict(label="1x1", intensity=24.0, gflops=0.2, method="fft"),
    dict(label="3x3", intensity=112.0, gflops=400.0, method="winograd"),   # above both peaks: nominal
    dict(label="3x3", intensity=112.0, gflops=120.0, method="torch"),
    dict(label="small", intensity=9.1, gflops=7.0, method="torch"),
]


def test_roofline_figure_labels_its_three_lines_and_keeps_every_point_inside():
    peaks = {"theoretical peak": 358.4, "attainable peak (matrix product)": 209.0}
    fig = plot_roofline(POINTS, peaks, 16.0, nominal=("winograd", "fft"), cpu="Test CPU @ 2.80GHz")
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "Test CPU @ 2.80GHz" in ax.get_title()
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    theoretical = next(v for k, v in lines.items() if k.startswith("theoretical peak: 358 GFLOP/s"))
    attainable = next(v for k, v in lines.items() if k.startswith("attainable peak (matrix product): 209 GFLOP/s"))
    memory = lines["memory roof: 16.0 GB/s × I"]
    assert set(theoretical.get_ydata()) == {358.4} and set(attainable.get_ydata()) == {209.0}
    x, y = memory.get_xdata(), memory.get_ydata()
    np.testing.assert_allclose(np.asarray(y) / np.asarray(x), 16.0)   # bandwidth × I, up to the top peak
    assert max(y) == pytest.approx(358.4)
    assert "ridge ● at I = 13 FLOP/byte" in attainable.get_label()      # 209 / 16
    written = [t.get_text() for t in ax.texts]
    for text in ("theoretical peak: 358 GFLOP/s", "attainable peak (matrix product): 209 GFLOP/s",
                 "memory roof: 16.0 GB/s × I"):
        assert text in written
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "torch.nn.functional.conv2d" in legend and "im2col" in legend
    assert f"winograd: {NOMINAL_NOTE}" in legend and f"fft: {NOMINAL_NOTE}" in legend

    fig.canvas.draw()
    box = ax.get_window_extent()
    drawn = 0
    for c in ax.collections:
        screen = c.get_offset_transform().transform(c.get_offsets())
        assert np.all((screen[:, 0] > box.x0) & (screen[:, 0] < box.x1)), c.get_label()
        assert np.all((screen[:, 1] > box.y0) & (screen[:, 1] < box.y1)), c.get_label()
        drawn += len(screen)
        if NOMINAL_NOTE in c.get_label():
            assert np.all(c.get_facecolors()[:, 3] == 0), "nominal methods are drawn hollow"
    assert drawn == len(POINTS)
    top_labels = [t.get_text() for t in fig.axes[0].child_axes[0].get_xticklabels()]
    assert top_labels == ["small", "1x1", "3x3", "lecture"]


def test_roofline_refuses_points_that_a_log_axis_cannot_show():
    with pytest.raises(ValueError, match="positive"):
        plot_roofline([dict(label="x", intensity=0.0, gflops=1.0, method="torch")], {"peak": 100}, 10)


def test_layer_labels_sharing_a_place_are_joined_and_capped():
    from chanconv.perf.figures import _joined
    assert _joined(["1x1", "1x1", "c_i"]) == "1x1 / c_i"
    assert (_joined(["channels 64→64", "kernel 64→64 3×3", "batch 64→64 b1", "dilation d2"], most=34)
            == "channels 64→64 / kernel 64→64 3×3 +2 more")
