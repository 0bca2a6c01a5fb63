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
# # 4. 卷积层及其计算代价
#
# 笔记本 1–3 已经搭好了所有部件：对 $c_i$ 个输入通道求和，把 $c_o$ 个输出通道堆叠起来，以及 $1 \times 1$ 这一特例。

# %% [markdown] slideshow={"slide_type": "notes"}
# 再加上偏置（bias），它们就组成了**二维卷积层**，即 `torch.nn.Conv2d`。本笔记本给出：
# 1. $\mathbf{X}$、$\mathbf{W}$、$\mathbf{b}$ 和 $\mathbf{Y}$ 的形状，并验证 `torch.nn.Conv2d` 算出的结果与 chanconv 相同；
# 2. 参数个数 $c_o c_i k_h k_w + c_o$；
# 3. 计算代价 $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$：先数出讲座中例子的运算量，再在本机上计时，最后重新估算讲座中“10层，1M样本”的例子。

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.core.timing import median_seconds
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.figures import plot_partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 形状
#
# | 张量 | 形状 | |
# | --- | --- | --- |
# | 输入 $\mathbf{X}$ | $c_i \times n_h \times n_w$ | |
# | 卷积核 $\mathbf{W}$ | $c_o \times c_i \times k_h \times k_w$ | 每个输出通道一个 $c_i \times k_h \times k_w$ 的卷积核 |
# | 偏置 $\mathbf{b}$ | $c_o$ | **每个输出通道一个数** |
# | 输出 $\mathbf{Y}$ | $c_o \times m_h \times m_w$ | $\mathbf{Y} = \mathbf{X} \star \mathbf{W} + \mathbf{b}$ |

# %% [markdown] slideshow={"slide_type": "notes"}
# 逐个输出通道来看，这一层计算的是
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{W}_{o,i} + b_o,
# \qquad o = 0, \dots, c_o - 1,$$
#
# 若填充（padding）为 $p_h, p_w$（在每一侧填充零），步幅（stride）为 $s_h, s_w$，则输出的高和宽为
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1.$$
#
# 偏置 $b_o$ 加到它所属输出通道的每个像素上。（中文课程笔记把偏置——笔记里叫“偏差”——的形状写成 $c_o \times c_i$；它的形状其实是 $c_o$，下面的 `torch.nn.Conv2d.bias` 可以看到这一点。）

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
c_i, c_o, k_h, k_w, n_h, n_w = 3, 4, 3, 3, 8, 8
layer = torch.nn.Conv2d(c_i, c_o, kernel_size=(k_h, k_w), padding=1, stride=2).to(device)
print("W:", tuple(layer.weight.shape), " b:", tuple(layer.bias.shape))
X = torch.randn(c_i, n_h, n_w, device=device)
print("X:", tuple(X.shape), " Y:", tuple(layer(X[None])[0].shape))
print(tr("formula m_h = floor((8 + 2·1 − 3) / 2) + 1 ="), chanconv.output_size(n_h, k_h, stride=2, padding=1))

# %% [markdown] slideshow={"slide_type": "notes"}
# 偏置在哪里加进来？用讲座中的例子（笔记本 2 中的 $\mathbf{K}$、$\mathbf{K} + 1$、$\mathbf{K} + 2$）来看，为了画图，取偏置 $\mathbf{b} = (1, -2, 3)$：输出通道 $o = 1$ 是两张完整的图 $\mathbf{X}_0 \star \mathbf{K}_{1,0}$ 与 $\mathbf{X}_1 \star \mathbf{K}_{1,1}$ 之和（76 100 / 148 172，与笔记本 2 相同），然后把 $b_1 = -2$ 加到这个通道的**每一个**元素上：$\mathbf{Y}_1$ = 74 98 / 146 170。

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
X_lec, K_lec = lecture_X(device), lecture_K(device)
K_lec = torch.stack((K_lec, K_lec + 1, K_lec + 2))
b_lec = torch.tensor([1.0, -2.0, 3.0], device=device)
fig = plot_partial_maps(X_lec.cpu(), K_lec.cpu(), 1, bias=b_lec.cpu())
print(tr("Y = chanconv.conv2d(X, K, b), channel 1:"), chanconv.conv2d(X_lec, K_lec, b_lec)[1].tolist())

# %% [markdown] slideshow={"slide_type": "subslide"}
# 把 chanconv 的权重和偏置交给 `torch.nn.Conv2d`，它算出的输出与 chanconv 的一致（每一种计算方法都是如此）：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
W = torch.randn(c_o, c_i, k_h, k_w, generator=g).to(device)
b = torch.randn(c_o, generator=g).to(device)
with torch.no_grad():
    layer.weight.copy_(W)
    layer.bias.copy_(b)
    Y_torch = layer(X[None])[0]
for method in ["loops", "unfold", "im2col", "im2row", "shift", "fft"]:
    Y = chanconv.conv2d(X, W, b, stride=2, padding=1, method=method)
    print(f"{method:7}", tuple(Y.shape), torch.allclose(Y, Y_torch, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 参数
#
# $c_o c_i k_h k_w$ 个权重，加上 $c_o$ 个偏置：
#
# $$\text{parameters} = c_o \cdot c_i \cdot k_h \cdot k_w + c_o.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 填充、步幅和输入大小都不会改变参数个数：每个位置用的都是同一个卷积核。

# %% slideshow={"slide_type": "notes"}
for c_i_, c_o_, k in [(3, 4, 3), (3, 64, 7), (256, 64, 1), (100, 100, 5)]:
    cost = chanconv.conv2d_cost(c_i_, c_o_, k, k, 68, 68)
    torch_count = sum(p.numel() for p in torch.nn.Conv2d(c_i_, c_o_, k).parameters())
    print(f"c_i={c_i_:3} c_o={c_o_:3} k={k}: {c_o_}·{c_i_}·{k}·{k} + {c_o_} = {cost.params:7,}"
          f"   torch.nn.Conv2d: {torch_count:7,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 计算代价
#
# $c_o m_h m_w$ 个输出元素中的每一个，都是 $c_i k_h k_w$ 个乘积之和，也就是要做这么多次**乘加**运算（multiply-accumulate，其次数记作 MACs，即乘加次数），每次乘加包含一次乘法和一次加法：
#
# $$\text{MACs} = c_i \cdot c_o \cdot k_h \cdot k_w \cdot m_h \cdot m_w, \qquad
# \text{FLOPs} = 2 \cdot \text{MACs},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 即计算代价为 $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$。讲座中的这一层：$c_i = c_o = 100$，$k_h = k_w = 5$（笔记中写的“k_h=h_w=5”，其中的 h_w 指的是 $k_w$），输出为 $64 \times 64$（输入为 $68 \times 68$，无填充）：

# %% slideshow={"slide_type": "notes"}
lecture = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68)
print(lecture)
print(f"MACs  = 100·100·5·5·64·64 = {lecture.macs:,}  ≈ {lecture.macs / 1e9:.2f}e9")
print(f"FLOPs = 2 · MACs          = {lecture.flops:,}  ≈ {lecture.flops / 1e9:.2f}e9")
print(tr("parameters = {params:,}; float32 bytes: X {x:,}, W and b {w:,}, Y {y:,}", params=lecture.params,
         x=lecture.input_bytes, w=lecture.weight_bytes, y=lecture.output_bytes))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 乘加次数（MAC）还是浮点运算次数（FLOP）？

# %% [markdown] slideshow={"slide_type": "notes"}
# 笔记中的“1GFLOP”其实是乘加次数，即 $1.02 \cdot 10^9$ 次乘加，却用了浮点运算的单位。如果按浮点运算（FLOP）来数——乘法和加法各算一次运算，《动手学深度学习》就是这样数的，硬件标称的 FLOP/s 速率也是这样算的——这一层需要 $2.05 \cdot 10^9$ 次浮点运算，约 2 GFLOP。所以“1GFLOP”在单位上差了 2 倍（笔记本 5 把它列为原始资料中的错误之一）：应写作“1 G MACs”或“2 GFLOP”，并且工作量要除以用同一单位计的速率，后面几节就是这样做的。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 在本机上计时
#
# 同样这一层、一个样本，在本笔记本所用的设备上分别运行 chanconv 的 `conv2d`（用它的 `auto` 方法）和 PyTorch 自带的 `conv2d`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 预热之后运行 5 次，取中位数。这些数字因机器而异（每次运行也会有差别），所以你得到的结果不会与这里保存的相同。

# %% slideshow={"slide_type": "-"}
X_big = torch.randn(1, 100, 68, 68, generator=g).to(device)
W_big = (torch.randn(100, 100, 5, 5, generator=g) / 50).to(device)
method = chanconv.auto_method(100, 100, 5, 5, 68, 68, device=device)
print(tr("chanconv's method for this shape:"), method)

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
t_chanconv = median_seconds(lambda: chanconv.conv2d(X_big, W_big), device=device)
t_torch = median_seconds(lambda: torch.nn.functional.conv2d(X_big, W_big), device=device)
rate = lecture.flops / t_torch  # FLOP/s achieved by torch's conv2d
print(f"chanconv.conv2d ({method}): {t_chanconv * 1e3:6.1f} ms  {lecture.flops / t_chanconv / 1e9:6.1f} GFLOP/s")
print(f"torch conv2d:         {t_torch * 1e3:6.1f} ms  {rate / 1e9:6.1f} GFLOP/s")
print(f"chanconv / torch: {t_chanconv / t_torch:.2f}×   " + tr("({threads} CPU threads)", threads=torch.get_num_threads()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10 层，100 万个样本
#
# 笔记中的估算（10 个这样的层）：“10层，1M样本，10PFlops”。

# %% [markdown] slideshow={"slide_type": "notes"}
# 这是一个**工作量**，而不是速率（FLOP/s）：10 层网络对 $10^6$ 个样本做一次前向传播。下面用 `conv2d_cost`（批量 $= 10^6$）来数，分别以乘加次数（MAC）和浮点运算次数（每次乘加算 2 次浮点运算）计：$10 \cdot 10^6 \cdot 1.024 \cdot 10^9 \approx 1.02 \cdot 10^{16}$ 次乘加。
#
# 讲座的幻灯片（见视频；书面笔记中没有这些速率）接着写道：“CPU 0.15 TF = 18 h, GPU 12 TF = 14 min”。以 TFLOP/s 为单位的硬件速率把一次乘加算作**两次**浮点运算，所以工作量也必须按浮点运算来数：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
samples, layers = 1_000_000, 10
work = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68, batch=samples)
work_macs, work_flops = layers * work.macs, layers * work.flops
print(tr("work: {macs:.3e} MACs = {flops:.3e} FLOPs (forward pass only)", macs=work_macs, flops=work_flops))
slide_rates = {"CPU": 0.15e12, "GPU": 12e12}  # FLOP/s, as the lecture's slide gives them
for name, flop_per_s in slide_rates.items():
    seconds = work_flops / flop_per_s
    print(tr("{name} at {rate:5.2f} TFLOP/s: {hours:5.1f} h = {minutes:7.1f} min",
             name=name, rate=flop_per_s / 1e12, hours=seconds / 3600, minutes=seconds / 60))

# %% [markdown] slideshow={"slide_type": "subslide"}
# CPU 上约需 **38 小时**，GPU 上约需 **28 分钟**。

# %% [markdown] slideshow={"slide_type": "-"}
# 幻灯片上的 18 h 和 14 min 只有这个结果的一半：它们把凑整的“10PFlops”$= 10^{16}$（这其实是**乘加**的次数）直接除以 **FLOP/s** 速率，也就是把一次乘加当成了一次浮点运算。按幻灯片自己的凑整计算如下（如果把它的速率理解为每秒乘加次数，那么 18 h / 14 min 就是对的）：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
slide_work = 1e16  # the notes' round "10 PFlops": really 10¹⁶ multiply-adds
for name, rate_ in slide_rates.items():
    seconds = slide_work / rate_
    print(tr("slide's rounding, {name}:", name=name), f"1e16 / {rate_ / 1e12:g}e12 = {seconds / 3600:5.1f} h = {seconds / 60:7.1f} min")

# %% [markdown] slideshow={"slide_type": "subslide"}
# 按上面在本机上测得的速率（以 FLOP/s 计，每次乘加算 2 次浮点运算）完成同样的工作量：

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
seconds = work_flops / rate
print(tr("this {device}, {rate:.3f} TFLOP/s: {hours:,.1f} h = {days:,.1f} days",
         device=device.type.upper(), rate=rate / 1e12, hours=seconds / 3600, days=seconds / 86400))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结

# %% [markdown] slideshow={"slide_type": "notes"}
# - 二维卷积层用卷积核 $\mathbf{W}$（$c_o \times c_i \times k_h \times k_w$）和偏置 $\mathbf{b}$（$c_o$）把 $\mathbf{X}$（$c_i \times n_h \times n_w$）映射为 $\mathbf{Y}$（$c_o \times m_h \times m_w$）：$\mathbf{Y}_o = \sum_i \mathbf{X}_i \star \mathbf{W}_{o,i} + b_o$。
# - 它有 $c_o c_i k_h k_w + c_o$ 个参数，与输入大小无关。
# - 它的计算代价是 $c_i c_o k_h k_w m_h m_w$ 次乘加，按浮点运算计则再翻一倍：讲座中那一层的乘加次数是 $1.02 \cdot 10^9$（$2.05 \cdot 10^9$ 次浮点运算，而不是笔记中的“1GFLOP”）；10 层、100 万个样本共 $\approx 1.02 \cdot 10^{16}$ 次乘加 $= 2.05 \cdot 10^{16}$ 次浮点运算，按幻灯片给出的 CPU 速率 0.15 TFLOP/s 约需 38 h，按其 GPU 速率 12 TFLOP/s 约需 28 min（幻灯片上的 18 h / 14 min 把一次乘加算成了一次浮点运算）。

# %% [markdown] slideshow={"slide_type": "-"}
# 下一节：小结。

# %% slideshow={"slide_type": "skip"}
plt.close("all")
