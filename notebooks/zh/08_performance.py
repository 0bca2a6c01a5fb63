# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% slideshow={"slide_type": "skip"} tags=["colab-setup"]
# Only in Google Colab (anywhere else this cell does nothing): install chanconv from its repository.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "chanconv @ git+https://github.com/chanconv/chanconv"], check=True)

# %% slideshow={"slide_type": "skip"} tags=["language"]
# 中文版：chanconv 输出的文字（图的标注、探索器、练习检查的结论、错误信息）用中文
import chanconv
from chanconv.core.fonts import use_language_font

chanconv.set_language("zh")
font = use_language_font()  # 笔记本自己画的图也用中文字体（没有中文字体时保持英文，并有一行说明）

# %% [markdown] slideshow={"slide_type": "slide"}
# # 8. 从讲座中的循环到硬件的极限
#
# 笔记本1–4都用讲座中的循环逐个计算输出元素。

# %% [markdown] slideshow={"slide_type": "notes"}
# 实际运行网络时没有人这么做。本笔记本把同一个层的各种实现排成一架阶梯，逐级往上爬；它们都在`chanconv.core.methods`中，签名相同。我们测量每个想法各带来多少收益：
#
# | 方法 | 思路 |
# | --- | --- |
# | `loops` | 讲座中的做法：对每个输入通道做`corr2d`再求和，按输出通道堆叠 |
# | `unfold` | 用一个带步幅的视图表示所有窗口，一次`einsum`：没有Python循环 |
# | `im2col` | 把每个卷积都写成一次矩阵乘法：$\mathbf{W}$（$c_o \times c_i k_h k_w$）乘以列矩阵（$c_i k_h k_w \times m_h m_w$）；$\mathbf{W}$只需改变形状，不做任何转置 |
# | `im2row` | 同一个乘法的转置形式，（$m_h m_w \times k_h k_w c_i$）乘以（$k_h k_w c_i \times c_o$），基于一份通道在后（channels-last）的副本，按缓存大小分段计算 |
# | `shift` | 每个卷积核偏移做一次（$c_o \times c_i$）乘（$c_i \times m_h m_w$）的乘法，直接从展平的输入中读取 |
# | `matmul1x1` | $k_h = k_w = 1$：逐像素的全连接层，一次乘法 |
# | `winograd` | F(2×2, 3×3)：每个$2 \times 2$输出块只需16次而不是36次乘法，变换只用加法 |
# | `fft` | 在频域中相乘：开销与卷积核大小无关 |
# | `compiled` | 在有编译器的机器上首次使用时构建的C++代码（`chanconv/core/methods/csrc/`）：把$\mathbf{Y}$的小块（tile）保存在CPU的寄存器中，同时逐个累加卷积核每个位置的贡献；原地读取输入，不生成列矩阵；反向传播也是如此 |
#
# 计时结果取决于机器：nbval不比较这些单元格的输出，下文凡是说哪个方法更快的句子，都是代码根据本次运行的数据打印出来的。`make bench`运行完整的网格。层的标签依次为：`b`批量大小、`c_i`、`c_o`、`k`（$k_h = k_w$）、`n`（$n_h = n_w$），以及取非默认值时的`s`步幅、`p`填充、`d`膨胀、`g`分组。

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.core import auto_table
from chanconv.core.i18n import pad  # f"{text:10}" counting a Chinese character as two columns
from chanconv.core.methods import FFT_REL_ERROR, WINOGRAD_REL_ERROR, compiled
from chanconv.perf import roofline
from chanconv.perf.bench import Shape, aten_calls, roofline_points, run, summarize
from chanconv.perf.figures import method_colour, plot_roofline

_ = torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "-"}
# 编译级（compiled）在第一次使用时构建（有C++编译器时需30–90 s；之后会缓存）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 没有编译器时它就不存在，下面的每个单元格不用它也照常运行。

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
# built (or loaded) where it can be; absent or failed (e.g. a compiler without OpenMP): one line saying why
print(compiled.prepare(device))
# the methods this notebook runs: the compiled rung only where it is built
methods_here = tuple(m for m in chanconv.METHODS if m != "compiled" or compiled.loaded())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每种方法计算的都是同一个层

# %% [markdown] slideshow={"slide_type": "notes"}
# 计时之前先确认：在一个带填充、批量和偏置的随机层上，每种方法的结果都与PyTorch的`conv2d`一致（`matmul1x1`只处理$1 \times 1$卷积核，这次不参与；测试会检查数百个层，包括各种步幅、膨胀和分组）。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X = torch.randn(2, 6, 11, 11, generator=g).to(device)
W = torch.randn(5, 6, 3, 3, generator=g).to(device)
b = torch.randn(5, generator=g).to(device)
reference = torch.nn.functional.conv2d(X, W, b, padding=1)
for method in methods_here:
    if method == "matmul1x1":
        continue
    Y = chanconv.conv2d(X, W, b, padding=1, method=method)
    print(f"{method:9}", tr("same as torch:"), torch.allclose(Y, reference, atol=1e-4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第1步：摆脱Python循环
#
# 在一个小层上（$c_i = c_o = 4$，$k_h = k_w = 3$，$n_h = n_w = 12$），讲座中的循环还算能忍受。

# %% [markdown] slideshow={"slide_type": "notes"}
# 循环要执行$\mathcal{O}(c_i c_o m_h m_w)$个微小的张量运算，每个都要花上几微秒的Python解释和算子分派开销；向量化的方法只执行少数几个大运算。

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
small = run([Shape("small", 4, 4, 3, 12)], device=device, repeat=3, methods=methods_here, progress=False)
loops_time = next(r["seconds"] for r in small if r["method"] == "loops")
for r in small:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:9.3f} ms   "
              + tr("{times:8.0f}× faster than loops", times=loops_time / r["seconds"]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第2步：一次大的矩阵乘法
#
# 一个贴近实际的层：$c_i = c_o = 64$，$k_h = k_w = 3$，$n_h = n_w = 32$，填充1（$64 \cdot 64 \cdot 9 \cdot 32 \cdot 32 \approx 37.7$百万，即约3770万次乘加）。

# %% [markdown] slideshow={"slide_type": "notes"}
# `unfold`把每个窗口都实际生成出来，由`einsum`决定怎样相乘；`im2col`把窗口复制到一个列矩阵中，只做一次乘法；`im2row`是同一个乘法的转置形式，代价是两次布局变换（CPU的矩阵乘法更适合哪种方向，取决于CPU和形状：单元格会说明这次谁胜出）；`shift`完全不用列矩阵；`winograd`的乘法次数只有原来的1/2.25；`compiled`把$\mathbf{Y}$的块保存在寄存器中。比值一列是与同一轮中计时的`torch.nn.functional.conv2d`相比：torch和各方法按轮次交替计时，比值取各轮“本轮时间 ÷ torch的时间”的中位数（因此不一定等于打印出的两个中位数之比）。

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
layer = run([Shape("channels", 64, 64, 3, 32, padding=1)], device=device, repeat=5, methods=methods_here,
            progress=False)
for r in layer:
    if r["seconds"] is not None:
        print(f"{r['method']:9} {r['seconds'] * 1e3:8.3f} ms  {r['gflops']:6.1f} GFLOP/s  ×torch {r['ratio_to_torch']:5.2f}")
ratio = {r["method"]: r["ratio_to_torch"] for r in layer if r["ratio_to_torch"]}
order = sorted((m for m in ratio if m not in ("torch", "loops")), key=ratio.get)
if abs(ratio["im2row"] / ratio["im2col"] - 1) < 0.03:
    orientation = tr("im2row and im2col were level on this CPU ({row:.2f}× and {col:.2f}×)",
                     row=ratio["im2row"], col=ratio["im2col"])
else:
    won, lost = sorted(("im2row", "im2col"), key=ratio.get)
    orientation = tr("{won} beat {lost} on this CPU ({a:.2f}× against {b:.2f}×)",
                     won=won, lost=lost, a=ratio[won], b=ratio[lost])
print("\n" + tr("fastest here: {method} ({ratio:.2f}× torch); {orientation}",
                method=order[0], ratio=ratio[order[0]], orientation=orientation))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 时间随$c_i = c_o$和$k$的变化
#
# 观察要点。

# %% [markdown] slideshow={"slide_type": "notes"}
# chanconv的每次调用都要付出torch没有的固定开销（Python、准备工作），工作量越小，这部分开销越显著。乘加次数在$c_i = c_o$每翻一倍时变为4倍，并随$k_h k_w$增长，所以在计算量占主导的地方，一个方法的曲线与torch的曲线平行。Winograd（仅限$3 \times 3$卷积核）要付出变换的开销，它随$c_i + c_o$增长；而它的乘积部分（正是这部分的乘法次数被减为1/2.25）随$c_i c_o$增长：通道越多，它与torch的差距应当越小。FFT的开销由图像大小和每个频率上的$c_i c_o$次乘积决定，与卷积核无关。图下方的几行对每个方法给出本次运行中最小和最大设置下的“时间 ÷ torch的时间”，以及差距是缩小了还是扩大了。

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-figure-only"]
sweep_c = run([Shape("c", c, c, 3, 24, padding=1) for c in (8, 16, 32, 64, 128)], device=device, repeat=3,
              methods=tuple(m for m in ("unfold", "im2col", "im2row", "shift", "winograd", "fft", "compiled")
                            if m in methods_here), progress=False)
sweep_k = run([Shape("k", 32, 32, k, 24, padding=k // 2) for k in (1, 3, 5, 7, 9)], device=device, repeat=3,
              methods=tuple(m for m in ("unfold", "im2col", "im2row", "shift", "fft", "compiled") if m in methods_here),
              progress=False)


def plot_sweep(ax, rows, key, label):
    for method in dict.fromkeys(r["method"] for r in rows):
        pts = [(r[key], r["seconds"] * 1e3) for r in rows if r["method"] == method and r["seconds"]]
        ax.plot(*zip(*pts), marker="o", label=method, color=method_colour(method), lw=2.5 if method == "torch" else 1.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    values = sorted({r[key] for r in rows})
    ax.set_xticks(values, [str(v) for v in values])
    ax.set_xlabel(label)
    ax.set_ylabel(tr("time (ms)"))
    ax.grid(True, which="both", alpha=0.3)


def gaps(rows, key, name):
    """Per method: time ÷ torch's at the smallest and the largest setting, and what the gap did."""
    print(tr("against {name}:", name=name))
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "torch"):
        pts = sorted((r[key], r["ratio_to_torch"]) for r in rows if r["method"] == method and r["ratio_to_torch"])
        (v0, r0), (v1, r1) = pts[0], pts[-1]
        trend = (tr("the gap narrowed") if r1 < 0.9 * r0 else tr("the gap widened") if r1 > 1.1 * r0
                 else tr("the gap stayed within 10 %"))
        print(f"  {method:9} " + tr("{r0:6.2f}× torch at {v0:3} → {r1:6.2f}× at {v1:3}: {trend}",
                                     r0=r0, v0=v0, r1=r1, v1=v1, trend=trend))


fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_sweep(axes[0], sweep_c, "c_i", r"$c_i = c_o$ " + tr(r"($3 \times 3$ kernel, $24 \times 24$ input)"))
plot_sweep(axes[1], sweep_k, "k", r"$k_h = k_w$ " + tr(r"($c_i = c_o = 32$, $24 \times 24$ input)"))
axes[0].legend(fontsize=8, loc="upper left")
axes[1].legend(fontsize=8, loc="lower right")
axes[0].set_title(tr("time against channels"))
axes[1].set_title(tr("time against kernel size"))
fig.tight_layout()
plt.show()
gaps(sweep_c, "c_i", "c_i = c_o")
gaps(sweep_k, "k", "k_h = k_w")
seconds_k = {(r["method"], r["k"]): r["seconds"] for r in sweep_k if r["seconds"]}
if ("fft", 9) in seconds_k:
    print(tr("from k = 3 to 9 the multiply-adds grow 9×; fft's time grew {fft:.1f}×, torch's {torch:.1f}×; "
             "fft faster than torch anywhere in the two sweeps: {faster}",
             fft=seconds_k["fft", 9] / seconds_k["fft", 3], torch=seconds_k["torch", 9] / seconds_k["torch", 3],
             faster=any(r["ratio_to_torch"] < 1 for r in sweep_c + sweep_k if r["method"] == "fft")))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 机器的极限
#
# 在这台机器上，任何卷积最快能跑多快？

# %% [markdown] slideshow={"slide_type": "-"}
# 三个数，每个都是在这台机器上测得或读出的（`chanconv.perf.roofline`）：

# %% [markdown] slideshow={"slide_type": "notes"}
# - **理论峰值**：使用的核心数（这里每个核心一个线程，打印为线程数）× 时钟频率 × FMA单元数 × SIMD通路（lane）数 × 每次融合乘加（FMA）2次浮点运算。时钟频率取CPU型号名称中的那个（没有则取系统报告的最高值），通路数来自CPU的标志位（`avx512f`：每条指令处理16个float32数）；FMA单元数无法从CPU读出，取自一张按核心架构整理的厂商文档表（`roofline.FMA_TABLE`）；
# - **可达峰值**：在多种矩阵大小和线程数下最快的float32矩阵乘法，也就是经过调优的BLAS能从这台机器上发挥出的性能；
# - **内存带宽**：在远大于缓存的数组上做一次复制和一次类似STREAM的triad运算$a = b + s \cdot c$（GB/s = 10⁹字节每秒）。下面的屋顶线模型（roofline）图取两者中较高的那个。

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
limits_cpu = roofline.cpu_description() if device.type == "cpu" else None
attainable = roofline.attainable_peak(device)
bandwidth = roofline.memory_bandwidth(device)
if limits_cpu is not None:
    print(tr("theoretical peak:"), limits_cpu.describe())
print(tr("attainable peak: {gflops:.0f} GFLOP/s, the best of", gflops=attainable.gflops))
print(attainable.format_table())
print(tr("memory bandwidth: copy {copy:.1f} GB/s, triad {triad:.1f} GB/s ({mib:.0f} MiB arrays)",
         copy=bandwidth.copy_gbs, triad=bandwidth.triad_gbs, mib=bandwidth.array_mib))
ridge = roofline.ridge_point(attainable.gflops, bandwidth.gbs)
print(tr("ridge point: {ridge:.1f} FLOP/byte", ridge=ridge))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 屋顶线模型
#
# 一个层至少要把$\mathbf{X}$、$\mathbf{W}$和$\mathbf{b}$读一次，把$\mathbf{Y}$写一次：`conv2d_cost`给出这些字节数和浮点运算数，两者之比就是该层的**算术强度**（arithmetic intensity）$I$（FLOP/byte）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 数据来自内存的层，速度不可能超过$\min(\text{peak}, \text{bandwidth} \times I)$：水平的屋顶是计算上限，倾斜的屋顶是内存上限；两者交于脊点（ridge point），即可达峰值 ÷ 带宽（上面已打印）。
#
# 忽略$\mathbf{W}$的字节数（图像比卷积核大得多时，这样做是合理的）：
#
# - 一个稠密的$3 \times 3$层每个输出像素做$2 \cdot 9 \cdot c_i c_o$次浮点运算，而每个像素大约搬运$4 (c_i + c_o)$字节：

# %% [markdown] slideshow={"slide_type": "-"}
# $$I \approx \frac{9 c_i c_o}{2 (c_i + c_o)},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 64个通道时为144（算上$\mathbf{W}$的字节数则为112，见下面对$32 \times 32$打印的结果）。它位于脊点右侧很远处，**在计算屋顶之下**：只有算力限制它。
# - $1 \times 1$层的$I \approx c_i c_o / (2 (c_i + c_o))$：16 → 16个通道时为4，256 → 64时为25.6（算上$\mathbf{W}$的字节数则为24）。通道少时，$1 \times 1$层受内存限制；256 → 64落在脊点左侧还是右侧，取决于上面打印的脊点。
# - 逐通道（depthwise）卷积层的每个输出通道只读一个输入通道：对$3 \times 3$卷积核，$I \approx k_h k_w / 4 \approx 2.2$，与通道数无关；在脊点高于这个值的机器上，它**总是在内存屋顶之下**：再快的乘法器也无济于事。
# - 极小的层远在所有屋顶之下：不论工作量多少，一次调用都要花几微秒。
#
# 实际乘法次数少于所计浮点运算数的方法（Winograd、FFT），其点画成空心：它们名义上的GFLOP/s可能超过某个屋顶，但并没有真正突破它。同一个层的各方法的点彼此错开几个像素，使速率相同的点仍然都能看见；torch（★）位于该层的竖线上。
#
# 需要说明一点：带宽是在远大于缓存的数组上测得的，而这些层（最多几MB）是在同一组张量上反复计时的，这些张量因此留在末级缓存中（服务器CPU上有几十MiB）。内存屋顶是数据来自内存时的上限，比如激活值装不进缓存的网络；在这里，高于内存屋顶的点是缓存的功劳，并不矛盾。

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-figure-only"]
ROOF_GRID = [
    Shape(tr("lecture 5×5"), 100, 100, 5, 68),
    Shape(tr("3×3, 64 ch"), 64, 64, 3, 32, padding=1),
    Shape(tr("3×3, 256 ch"), 256, 256, 3, 32, padding=1),
    Shape(tr("7×7 stem, stride 2"), 3, 64, 7, 112, stride=2, padding=3),
    Shape("1×1, 256 → 64", 256, 64, 1, 28),
    Shape("1×1, 16 → 16", 16, 16, 1, 112),
    Shape(tr("depthwise 3×3"), 64, 64, 3, 56, padding=1, groups=64),
    Shape(tr("tiny 3 → 8"), 3, 8, 3, 16, padding=1),
]
roof_methods = tuple(m for m in ("im2col", "shift", "matmul1x1", "winograd", "compiled") if m in methods_here)
roof_rows = run(ROOF_GRID, device=device, repeat=3, rounds=2, methods=roof_methods, progress=False)
peaks = roofline.roof_peaks(attainable.gflops, limits_cpu)
fig = plot_roofline(roofline_points(roof_rows), peaks, bandwidth.gbs, nominal=("winograd",),
                    cpu=limits_cpu.model if limits_cpu is not None else chanconv.device_name(device), figsize=(10, 7))
plt.show()
_, fastest = summarize(roof_rows)  # the fastest from-scratch method per layer, as make bench picks it
torch_rows = {r["shape"]: r for r in roof_rows if r["method"] == "torch"}
for shape in ROOF_GRID:
    best = fastest[shape.label]
    top = roofline.roof(best["intensity"], attainable.gflops, bandwidth.gbs)
    nominal = tr(", nominal") if best["method"] in ("winograd", "fft") else ""
    side = tr("memory roof") if best["intensity"] < ridge else tr("compute roof")
    print(f"{shape.family:20} " + tr("I = {intensity:6.1f} FLOP/byte ({side})  roof {top:6.1f}   torch {torch:6.1f}   "
                                     "best from scratch {best:6.1f} GFLOP/s ({method}{nominal}, {ratio:.2f}× torch's time)",
                                     intensity=best["intensity"], side=side, top=top,
                                     torch=torch_rows[shape.label]["gflops"], best=best["gflops"],
                                     method=best["method"], nominal=nominal, ratio=best["ratio_to_torch"]))
above = sorted({f"{r['shape'].split(':')[0]} ({r['method']})" for r in roof_rows
                if r["gflops"] and r["gflops"] > attainable.gflops})
print(tr("points above the attainable peak:"), ", ".join(above) if above else tr("none"),
      tr("(a layer whose data sit in cache, timed again and again, can beat a product over large matrices)")
      if above else "")

# %% [markdown] slideshow={"slide_type": "notes"}
# 观察要点：稠密层（右侧）能向计算屋顶攀升；$1 \times 1$ 16 → 16层和逐通道卷积层（左侧）位于脊点附近或其左侧，倾斜的内存屋顶可能成为它们的上限（打印的每一行都会说明本次运行中哪个屋顶适用于该层）；而且逐通道卷积层每个输出通道只有一个输入通道，每载入一个数只做很少的运算，循环本身的开销可能比内存更要紧。极小的层受一次调用的固定开销限制，而不受任何屋顶限制。打印的每一行给出该层的屋顶，以及torch和最好的从零实现方法在本次运行中达到的速率，还有最好方法的时间相对于torch的倍数；最后一行列出高于可达峰值的点。可达峰值是实测的最好结果；理论峰值则是在别的因素都不起作用时，芯片的乘法器在标称时钟频率下能达到的速率。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 编译级：它融合了什么
#
# 每个Python层面的方法都是一串PyTorch算子，而每个写出新张量的算子都要把内存完整地过一遍。

# %% [markdown] slideshow={"slide_type": "notes"}
# `aten_calls`统计这些算子（`TorchDispatchMode`能看到PyTorch分派的每个算子，不论来自Python还是C++；C++扩展内部写的循环不是算子，不计入）。在一个带步幅的层上（$c_i = 64 \to c_o = 128$，$k_h = k_w = 3$，步幅2，$n_h = n_w = 56$）：

# %% slideshow={"slide_type": "notes"}
gen = torch.Generator().manual_seed(0)
Xs = torch.randn(1, 64, 56, 56, generator=gen).to(device)
Ws = torch.randn(128, 64, 3, 3, generator=gen).to(device)
bs = torch.randn(128, generator=gen).to(device)
for method in ("im2col", "im2row", "compiled"):
    if method not in methods_here:
        continue
    passes, views = aten_calls(lambda m=method: chanconv.conv2d(Xs, Ws, bs, stride=2, padding=1, method=m))
    print(f"{method:9}", tr("aten operations that write a tensor:"), dict(sorted(passes.items())))

# %% [markdown] slideshow={"slide_type": "-"}
# Python版的`im2col`要付出`constant_pad_nd`（$\mathbf{X}$的一份填充副本）、`clone`（为步幅2把$\mathbf{X}$拆成各个列相位）、两次`copy_`（列矩阵，每次一个卷积核列相位）以及乘法`addmm`。

# %% [markdown] slideshow={"slide_type": "notes"}
# `im2row`要付出填充副本、两次`clone`（先把$\mathbf{X}$转成通道在后布局，再生成窗口行）、一次复制、乘法`mm`，以及加偏置的`add`。`compiled`一个算子也不分派：整个层就是对C++的一次调用，它分配$\mathbf{Y}$，并在不属于算子的循环中把它算出来。这些循环做的是：
#
# - 每个线程把自己要读的$\mathbf{X}$的行复制一次，加上填充并按步幅拆成各个相位（填充后输入的第$y$行进入相位$y \bmod s_h$），使相邻的输出像素在卷积核的每个位置上都读取相邻的数；
# - $\mathbf{Y}$的一个**块**（tile），即一个输出行上的几个像素 × 16到64个输出通道，在累加全部$c_i k_h k_w$个卷积核位置的过程中一直留在CPU的向量寄存器里：每个位置载入一个权重向量，把每个像素的输入数广播后乘进去，这样决定速度的是乘法器而不是载入（BLAS的矩阵乘法也是这样工作的，但需要先把列矩阵写出来）；
# - 当一个分组最多只有8个输出通道时（如$c_o = 3$的第一层、ResNeXt每组4个通道），按通道组成的向量大部分是空的：这时块换个方向，由连续输出像素组成向量 × 最多8个通道，广播每个权重；
# - 反向传播使用同样的块：$\partial L / \partial \mathbf{X}$按步幅的相位逐个计算，是前向收集（gather）操作的转置；$\partial L / \partial \mathbf{W}$是整个批量上的一次乘法；逐通道卷积层在前向和反向两个方向上都是逐行循环。
#
# 下面的单元格把Python版的`im2col`和`compiled`与torch比较（与上面一样，取各轮的中位数），并根据本次运行的数据说明编译在哪些层上收益最大。

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
FUSED = [Shape("stride", 64, 128, 3, 56, stride=2, padding=1), Shape("stem", 3, 64, 7, 112, stride=2, padding=3),
         Shape("depthwise", 64, 64, 3, 56, padding=1, groups=64), Shape("tiny", 3, 8, 3, 16, padding=1),
         Shape("channels", 64, 64, 3, 32, padding=1)]
if "compiled" in methods_here:
    fused = run(FUSED, device=device, repeat=5, methods=("im2col", "compiled"), progress=False)
    print(tr("(built or loaded in {seconds:.1f} s, not part of the times)", seconds=compiled.build_seconds()))
    gain = {}
    for shape in FUSED:
        t = {r["method"]: r for r in fused if r["shape"] == shape.label}
        gain[shape.family] = t["im2col"]["ratio_to_torch"] / t["compiled"]["ratio_to_torch"]
        print(f"{shape.label:42} ×torch: im2col {t['im2col']['ratio_to_torch']:5.2f}  "
              f"compiled {t['compiled']['ratio_to_torch']:5.2f}   "
              + tr("compiled {gain:5.1f}× faster than im2col", gain=gain[shape.family]))
    ranked = sorted(gain, key=gain.get, reverse=True)
    print("\n" + tr("compiling gained most on: {most}; least on: {least}", most=", ".join(ranked[:3]), least=ranked[-1]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `auto`如何选择

# %% [markdown] slideshow={"slide_type": "notes"}
# `method="auto"`必须在不做任何计时的情况下选出方法（结果不能取决于一场计时比赛的输赢），然而最好的方法又取决于层和机器。chanconv的规则是一张小小的**由测量拟合出的决策表**（`chanconv.core.auto_table`）：
#
# 1. 每个层都归入一类：按它的种类（逐通道卷积、分组卷积、$1 \times 1$、步幅为1的$3 \times 3$、带步幅的、其他卷积核）以及以乘加次数计的规模（极小：低于$2^{17}$；小：低于$2^{23}$；其余为大）；
# 2. `make bench`在拟合网格（25个层）上为每个方法与torch对比计时，并为每一类选出在该类各层上“时间 ÷ torch的时间”几何平均值最低的方法（网格中没有层的类，先退回到它的种类，再退回到整个网格）；
# 3. 然后在一个由拟合时从未见过的层组成的**验证网格**上评判这条规则（其他卷积核大小、24、48、144这样不常见的通道数、较小的批量、分组卷积层和逐通道卷积层），也在真实网络的层上评判；README给出了这些结果。
#
# 在同一批层上拟合又在同一批层上评判的规则，只能说明它记住了这些层。共有两张表：一张用于已加载编译级的进程，一张用于未加载编译级的进程。下面打印出这两张表，以及`auto`在每张表下为本笔记本中的层选出的方法。

# %% slideshow={"slide_type": "notes"}
print(tr("fitted on:"), ", ".join(f"{k} {v}" for k, v in auto_table.FITTED.items()))
for name in ("rung", "python"):
    print("\n" + tr("table '{name}' ({when}):", name=name,
                    when=tr("compiled rung loaded") if name == "rung" else tr("no compiled rung")))
    for (kind, size), method in auto_table.TABLE[name].items():
        kind, size = kind or tr("any kind"), size or tr("any size")
        print(f"  {pad(kind, 10)} {pad(size, 9)} -> {method}")
print()
for shape in [Shape("channels", 64, 64, 3, 32, padding=1), *ROOF_GRID[3:]]:
    kind, size = auto_table.layer_class(shape.layer)
    picks = [auto_table.lookup(auto_table.TABLE[t], kind, size) for t in ("rung", "python")]
    print(f"{shape.label:46} {kind:9} {size:5}   "
          + tr("with the rung: {with_rung:9} without: {without}", with_rung=picks[0], without=picks[1]))

# %% [markdown] slideshow={"slide_type": "-"}
# 在验证网格的三个层上做个检验，就在这里计时：`auto`（按调用者的方式调用，包括它的分派开销）对比本次运行中最快的方法。

# %% [markdown] slideshow={"slide_type": "notes"}
# `make bench`对整个验证网格和真实网络的层都做了这项检验。

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
from chanconv.perf.grids import validation_grid

check = [s for s in validation_grid() if s.family in ("7x7", "3x3 odd", "1x1 odd")][:3]
check_rows = run(check, device=device, repeat=3, rounds=2,
                 methods=tuple(m for m in ("im2col", "im2row", "shift", "matmul1x1", "winograd", "compiled")
                               if m in methods_here) + ("auto",), progress=False)
_, fastest = summarize(check_rows)
for shape in check:
    auto_row = next(r for r in check_rows if r["shape"] == shape.label and r["method"] == "auto")
    best = fastest[shape.label]
    print(f"{shape.label:44} auto ({chanconv.core.pick_method(shape.layer, device)}) "
          + tr("{auto:5.2f}× torch; fastest {method} {best:5.2f}×", auto=auto_row["ratio_to_torch"],
               method=best["method"], best=best["ratio_to_torch"]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 乘法更少，依然准确
#
# Winograd和FFT用变换换来更少的乘法，而变换同样有舍入误差。

# %% [markdown] slideshow={"slide_type": "notes"}
# 在这个层上（float32，与float64的参考结果比较），每种方法都远在float32的精度之内，Winograd和FFT也都在各自声明的误差上界之内（Winograd的误差随块增大而增大，FFT的误差随图像增大而增大；测试会检查这些上界）：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X = torch.randn(2, 32, 30, 30, generator=g, dtype=torch.float64)
W = torch.randn(16, 32, 3, 3, generator=g, dtype=torch.float64)
exact = torch.nn.functional.conv2d(X, W, padding=1)
for method, bound in [("im2col", None), ("winograd", WINOGRAD_REL_ERROR), ("fft", FFT_REL_ERROR)]:
    Y = chanconv.conv2d(X.float().to(device), W.float().to(device), padding=1, method=method).double().cpu()
    rel = float((Y - exact).norm() / exact.norm())
    within = "" if bound is None else "   " + tr("within its bound {bound:.0e}: {ok}", bound=bound, ok=rel < bound)
    print(f"{method:9} " + (tr("relative error below 1e-6") if rel < 1e-6 else tr("relative error above 1e-6")) + within)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结
#
# 本次运行的数据，汇总自上面的单元格：

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
fast_small = min((r for r in small if r["seconds"] and r["method"] not in ("torch", "loops")), key=lambda r: r["seconds"])
print(tr("step 1: the fastest vectorized method ({method}) ran {times:.0f}× faster than the lecture's loops",
         method=fast_small["method"], times=loops_time / fast_small["seconds"]))
products = {m: ratio[m] for m in ("im2col", "im2row", "shift") if m in ratio}
print(tr("step 2: the matrix-product methods took {products} torch's time; the fastest from-scratch method, "
         "{method}, {ratio:.2f}×", products=", ".join(f"{m} {v:.2f}×" for m, v in products.items()),
         method=order[0], ratio=ratio[order[0]]))

# %% [markdown] slideshow={"slide_type": "notes"}
# - 摆脱Python循环是第一步；它带来的倍数见上面的打印结果。
# - 把卷积表示为矩阵乘法（im2col、im2row、shift、$1 \times 1$乘法）使时间降到上面打印的比值；为乘法安排好数据布局（哪个方向、按缓存大小分段、不做多余的转置）和运算本身同样重要。
# - 乘法更少的方法要在变换和舍入上付出代价：Winograd的变换随$c_i + c_o$增长，而它的乘积随$c_i c_o$增长，所以通道多时它才有机会。
# - 每个层都有自己的屋顶$\min(\text{attainable peak}, \text{bandwidth} \times I)$：稠密层受运算限制，通道少的$1 \times 1$层和逐通道卷积层受内存限制。
# - 把Python层面的方法与PyTorch的C++计算内核区分开的，是数据搬运和调用：编译级去掉了复制和调用，并把$\mathbf{Y}$的块保存在寄存器中，oneDNN（torch在CPU上的卷积）和BLAS库也是这样做的。
# - `auto`是一张在一组层上拟合、在另一组层上评判的表。README列出了`make bench`的结果：拟合网格、验证网格、真实网络的层以及训练步。

# %% slideshow={"slide_type": "skip"}
plt.close("all")
