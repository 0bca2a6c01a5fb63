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
# # 5. 小结
#
# 用几句话概括本讲，每一句都再用 chanconv 验证一次。

# %% [markdown] slideshow={"slide_type": "notes"}
# 详细内容见笔记本 1–4。

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv
from chanconv.course.data import lecture_K, lecture_X

device = chanconv.default_device()
X, K = lecture_X(device), lecture_K(device)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **每个输入通道有独立的二维卷积核，所有通道的结果相加，得到一个输出通道。** $\mathbf{X}$：$c_i \times n_h \times n_w$，$\mathbf{K}$：$c_i \times k_h \times k_w$，$\mathbf{Y}$：$m_h \times m_w$：
#
# $$\mathbf{Y} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{i}$$

# %% slideshow={"slide_type": "-"}
print(chanconv.corr2d_multi_in(X, K))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **每个输出通道有独立的三维卷积核。** $\mathbf{K}$：$c_o \times c_i \times k_h \times k_w$，$\mathbf{Y}$：$c_o \times m_h \times m_w$：
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 输出通道数是卷积层的超参数；通道越多，模型的参数也越多。

# %% slideshow={"slide_type": "-"}
print(chanconv.corr2d_multi_in_out(X, torch.stack((K, K + 1, K + 2))))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **$1 \times 1$ 卷积层相当于在每个像素上应用一个全连接层**，其权重矩阵为 $c_o \times c_i$：$\mathbf{Y}_{o,u,v} = \sum_i \mathbf{K}_{o,i,0,0}\,\mathbf{X}_{i,u,v}$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 它用来在层与层之间调整通道数，并控制模型的复杂度。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X3, K1 = torch.rand(3, 3, 3, generator=g), torch.rand(2, 3, 1, 1, generator=g)
print(torch.allclose(chanconv.corr2d_multi_in_out_1x1(X3, K1), chanconv.corr2d_multi_in_out(X3, K1)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **卷积层有 $c_o c_i k_h k_w + c_o$ 个参数（偏置的形状是 $c_o$），计算代价为 $c_i c_o k_h k_w m_h m_w$ 次乘加**，按浮点运算计则翻倍；其中输出的高和宽为
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1.$$

# %% slideshow={"slide_type": "notes"}
print(chanconv.conv2d_cost(100, 100, 5, 5, 68, 68))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 原始资料错在哪里，本课程如何改正
#
# 四份原始资料是：本讲的讲课文字稿（MXNet）、《动手学深度学习》的对应笔记本（MXNet）、该笔记本的 TensorFlow 版连同一位学生的中英双语笔记，以及中文课程笔记（PyTorch）。

# %% [markdown] slideshow={"slide_type": "notes"}
# | 来源 | 原文 | 正确说法 |
# | --- | --- | --- |
# | 课程笔记 | 偏差$\mathbf{B}$：$c_o \times c_i$ | 偏置 $\mathbf{b}$ 的形状是 $c_o$，每个输出通道一个（笔记本 4） |
# | 双语笔记 | 1 × 1 层：“如果每个 output channel 都用一个 bias, 则一共是  $(c_o + 1) \times (c_i + 1)$  个参数” | $c_o c_i + c_o$；一般情形为 $c_o c_i k_h k_w + c_o$（笔记本 3） |
# | 课程笔记 | $c_i = c_o = 100$，$k = 5$，$m = 64$ → “1GFLOP” | $1.02 \cdot 10^9$ 次乘加（MAC）$= 2.05 \cdot 10^9$ 次浮点运算（FLOP）：“1GFLOP”数的是乘加次数，却用了浮点运算的名称（笔记本 4） |
# | 课程笔记、幻灯片 | “10层，1M样本，10PFlops”；幻灯片：“CPU 0.15 TF = 18 h, GPU 12 TF = 14 min” | 这是工作量，不是速率：$1.02 \cdot 10^{16}$ 次乘加 $= 2.05 \cdot 10^{16}$ 次浮点运算（仅前向传播）；按 0.15 TFLOP/s 约需 37.9 h，按 12 TFLOP/s 约需 28.4 min。幻灯片上的 18 h / 14 min 是用 $10^{16}$ 次乘加除以 FLOP/s 速率得到的（笔记本 4，下面也会算出） |
# | 课程笔记 | $k_h = h_w = 5$ | $k_h = k_w = 5$ |
# | 课程笔记 | $\mathbf{Y} = \sum_{i=0}^{c_i} \mathbf{X}_{i,:,:} \star \mathbf{W}_{i,:,:}$ | 通道从 0 开始编号，求和应止于 $c_i - 1$：共 $c_i$ 项（笔记本 1） |
# | D2L（MXNet、TensorFlow） | “First, traverse along the 0th dimension (channel dimension) of X and K”（首先沿 X 和 K 的第 0 个维度（通道维度）遍历；TensorFlow 版作 “iterate through”） | `zip(X, K)` 是同时沿两者的通道轴遍历，把 `X[i]` 与 `K[i]` 配成一对（笔记本 1） |
# | 课程笔记 | `nn.Conv2d(input_channel, output_channel, kernel_size, padding, stride)` | `torch.nn.Conv2d` 的第 4 个位置参数是 `stride`，第 5 个才是 `padding`：按位置这样写会把两者对调；应当按参数名传入（下面会验证） |
# | 双语笔记 | $n$ 个输出通道、$m$ 个输入通道，“把  $n$  个 channels 变成了  $m$  个 channels” | 该层把 $m$ 个输入通道变成 $n$ 个输出通道（$n$ 个卷积核张量，每个含 $m$ 个 1 × 1 小块） |
# | 讲课文字稿 | “one by one convolutions are effectively multi-layer perceptrons applied on a per pixel basis”（1 × 1 卷积实际上就是逐像素应用的多层感知机） | 单个 1 × 1 层相当于在每个像素上应用一个全连接（线性）层；堆叠的 1 × 1 层只有在层间加入非线性时，才相当于逐像素的多层感知机（网络中的网络，NiN）；没有非线性时，两个 1 × 1 层就等于一个（下面会验证） |
#
# 表中的数字，计算如下：

# %% slideshow={"slide_type": "notes"}
import inspect

samples_work = chanconv.conv2d_cost(100, 100, 5, 5, 68, 68, batch=1_000_000)
flops = 10 * samples_work.flops
print(chanconv.tr("10 layers × 1M samples: {macs:.3e} MACs = {flops:.3e} FLOPs", macs=10 * samples_work.macs, flops=flops))
print(chanconv.tr("at 0.15 TFLOP/s: {hours:.1f} h;  at 12 TFLOP/s: {minutes:.1f} min",
                  hours=flops / 0.15e12 / 3600, minutes=flops / 12e12 / 60))
print(chanconv.tr("torch.nn.Conv2d's positional parameters:"), list(inspect.signature(torch.nn.Conv2d).parameters)[:5])
W1, W2 = torch.randn(5, 4, 1, 1, generator=g), torch.randn(3, 5, 1, 1, generator=g)
X4 = torch.rand(4, 6, 6, generator=g)
stacked = chanconv.conv2d(chanconv.conv2d(X4, W1), W2)
one = chanconv.conv2d(X4, (W2[:, :, 0, 0] @ W1[:, :, 0, 0])[:, :, None, None])
with_relu = chanconv.conv2d(torch.relu(chanconv.conv2d(X4, W1)), W2)
print(chanconv.tr("two 1×1 layers = one 1×1 layer with the product of their matrices:"),
      torch.allclose(stacked, one, atol=1e-5))
print(chanconv.tr("with a ReLU between them they are not:"), not torch.allclose(with_relu, one, atol=1e-3))

# %% [markdown] slideshow={"slide_type": "-"}
# 本节的练习有单独的笔记本。
