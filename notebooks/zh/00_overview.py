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
# # 通道：多输入多输出通道
#
# 一门交互式课程，讲解卷积层如何处理**通道**（channel），内容依据讲座“多输入多输出通道”（《动手学深度学习》；UC Berkeley STAT 157）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 讲座中出现的每个数字都在这里重新算出并加以核对；每张图都由它所展示的张量直接绘制。
#
# **预备知识**：单通道的二维互相关运算（cross-correlation）`corr2d`：把$k_h \times k_w$的卷积核在$n_h \times n_w$的输入上滑动，对逐元素乘积求和，得到$(n_h - k_h + 1) \times (n_w - k_w + 1)$的输出。还需要一点PyTorch基础（张量、`reshape`、`matmul`）。
#
# **运行方法**：在仓库中执行`make lab`，会在这里打开JupyterLab；每个笔记本都从头到尾运行一遍（Restart & Run All）。所有内容在CPU上几秒钟就能跑完，在GPU上也无需改动即可运行。

# %% [markdown] slideshow={"slide_type": "notes"} tags=["open-links"]
# **无需安装即可打开本课程**：[在Colab中打开](https://colab.research.google.com/github/chanconv/chanconv/blob/main/notebooks/zh/00_overview.ipynb)（Google的免费笔记本服务；第一个单元格会在那里安装chanconv）· [在Binder上启动](https://mybinder.org/v2/gh/chanconv/chanconv/main?urlpath=lab/tree/notebooks/zh/00_overview.ipynb)（一个使用本仓库`environment.yml`环境的JupyterLab，只有CPU；启动可能需要几分钟）。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 各个笔记本
#
# 笔记本1–5逐节对应讲座；6是通道探索器，7是练习，8–9则超出讲座的范围：计算速度，以及反向传播与训练。

# %% [markdown] slideshow={"slide_type": "notes"}
# | | 笔记本 | 内容 |
# | --- | --- | --- |
# | 1 | [多输入通道](01_multiple_input_channels.ipynb) | 照片的各个通道；每个输入通道对应一个卷积核通道，再求和；逐元素算出56 72 / 104 120 |
# | 2 | [多输出通道](02_multiple_output_channels.ipynb) | $c_o \times c_i \times k_h \times k_w$的卷积核；$\mathbf{K}$、$\mathbf{K} + 1$、$\mathbf{K} + 2$；把输出通道看作检测器 |
# | 3 | [1×1卷积](03_1x1_convolution.ipynb) | 逐像素的全连接层；256 → 64；组合边缘通道；学习RGB → 灰度 |
# | 4 | [卷积层及其计算代价](04_conv_layer_and_cost.ipynb) | $\mathbf{X}$、$\mathbf{W}$、$\mathbf{b}$、$\mathbf{Y}$的形状；参数量；乘加次数（MAC）与浮点运算次数（FLOP）；在本机上实测用时 |
# | 5 | [小结](05_summary.ipynb) | 用几行话回顾讲座，以及原始资料中的错误 |
# | 6 | [通道探索器](06_channel_explorer.ipynb) | 用滑块调节$c_i$、$c_o$、卷积核、步幅、填充：实时展示完整的计算过程 |
# | 7 | [练习](07_exercises.ipynb) | 本节的练习，每道题都配有检查，判断对错或给出提示 |
# | 8 | [性能](08_performance.ipynb) | 从讲座中的循环到一次矩阵乘法：每个思路能带来多少提速，逐一计时 |
# | 9 | [反向传播与训练](09_backward_and_training.ipynb) | 一个卷积层的三个梯度，每个又都是一次卷积；训练一个由颜色决定类别的小型CNN |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 记号

# %% [markdown] slideshow={"slide_type": "notes"}
# | | |
# | --- | --- |
# | $c_i$、$c_o$ | 输入通道数和输出通道数 |
# | $n_h \times n_w$ | 输入的高 × 宽 |
# | $k_h \times k_w$ | 卷积核的高 × 宽 |
# | $m_h \times m_w$ | 输出的高 × 宽（见下文） |
# | $p_h, p_w$和$s_h, s_w$ | 行、列方向上的填充（每一侧添加的零）和步幅（窗口每次移动的距离） |
# | $\mathbf{X}$ | 输入，$c_i \times n_h \times n_w$；$\mathbf{X}_i$是输入通道$i$ |
# | $\mathbf{K}$（或$\mathbf{W}$） | 卷积核，$c_o \times c_i \times k_h \times k_w$（即PyTorch中`Conv2d.weight`的布局）；$\mathbf{K}_{o,i}$是其中一个$k_h \times k_w$的切片 |
# | $\mathbf{b}$ | 偏置，$c_o$：每个输出通道一个数$b_o$ |
# | $\mathbf{Y}$ | 输出，$c_o \times m_h \times m_w$；$\mathbf{Y}_o$是输出通道$o$，$\mathbf{Y}_{o,u,v}$是它在行$u$、列$v$处的元素 |
# | $\star$ | 互相关运算（也就是深度学习中所说的卷积） |

# %% [markdown] slideshow={"slide_type": "-"}
# 整个讲座可以归结为两行公式：每个输出通道把每个输入通道上的一次互相关运算结果相加，再加上自己的偏置；输出的大小由输入大小、卷积核大小、填充和步幅决定：
#
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o,
# \qquad o = 0, \dots, c_o - 1$$
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1, \qquad
#   m_w = \left\lfloor \frac{n_w + 2p_w - k_w}{s_w} \right\rfloor + 1$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 代码都在`chanconv`包中，各个笔记本会导入它。先检查一下它是否已经安装：

# %% slideshow={"slide_type": "notes"}
import chanconv

print("chanconv", chanconv.__version__, "- methods:", ", ".join(chanconv.METHODS))
