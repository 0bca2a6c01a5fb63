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

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercise"]
# # 7. 练习
#
# 《动手学深度学习》“多输入多输出通道”一节的练习，外加一道书外的练习。

# %% [markdown] slideshow={"slide_type": "notes"} tags=["exercise"]
# 每道练习都有一个写答案的单元格和一个检查答案的单元格：检查器要么显示 ✓ 正确，要么给出提示（先略加点拨，同一小题再试时提示会逐渐增多），但绝不会直接给出答案。把每个 `None` 换成你的答案，运行你的单元格，再运行检查。题目要求回答*为什么*、*证明*或*解释*时，请写在标有 ✍ 的 Markdown 单元格里（双击即可编辑）；美元符号之间的数学公式会按公式排版显示。
#
# 如果老师给了你学号，请把它写在下面的设置单元格里（在 Colab 单元格之后、导入检查器的那个单元格）：`set_student("your id")`。这样练习 3 和练习 8 就会用到你自己的数字，评分程序也会从这一行读取你的学号。
#
# 每道练习都说明了答案必须是什么：函数还是数字，`int` 还是 `float`，以及数字需要多精确。计数必须精确（一个 `int`；等于它的浮点数，例如 `4.0`，也能通过）；比值则在给定的容差内比较。

# %% slideshow={"slide_type": "skip"}
import torch

import chanconv  # noqa: F401 - chanconv.conv2d, chanconv.conv2d_cost ... for your answers
from chanconv.exercises import (
    check_block_diagonal,
    check_combined_kernel_size,
    check_conv_as_matmul,
    check_converse,
    check_cost_factors,
    check_exactly_equal,
    check_forward_backward,
    check_grouped,
    check_strip_reads,
    describe_3,
    describe_8,
    set_student,
)

set_student(None)  # your student id, if your instructor gives you one: set_student("your id")
_ = torch.manual_seed(0)  # seed every random draw below

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 1：连续两次卷积
#
# 先用 $k_1 \times k_1$ 的卷积核做互相关运算，再用 $k_2 \times k_2$ 的卷积核做互相关运算，中间没有非线性（无填充，步幅为 1，无偏置）。**证明**其结果等于单次互相关运算，并编写 `combined_kernel_size(k1, k2)`：返回这个等效卷积核的边长，一个整数（`int`）。

# %% slideshow={"slide_type": "notes"} tags=["exercise"]
combined_kernel_size = None  # a function (k1, k2) -> the side of the single kernel (an int)

# %% slideshow={"slide_type": "skip"}
check_combined_kernel_size(combined_kernel_size)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的证明**（为什么它是一次互相关运算？）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 练习 1 的逆命题
#
# 逆命题成立吗：是否每个 $3 \times 3$ 卷积核都能写成两个堆叠的 $2 \times 2$ 层（1 个通道 → $c_m$ 个中间通道 → 1 个通道，无偏置，无非线性）？答案取决于 $c_m$。在 `middle_channels` 中填写你要回答的情形（一个 ≥ 1 的 `int`），然后给出依据：

# %% [markdown] slideshow={"slide_type": "notes"}
# * 如果在这个 $c_m$ 下存在无法表示的 $3 \times 3$ 卷积核：把这样一个卷积核填入 `counterexample`，可以是张量或嵌套列表（检查器会尝试用最小二乘法分解它；无法还原的部分必须超过该卷积核的 0.1 %）；
# * 如果每个 $3 \times 3$ 卷积核都能表示：编写函数 `split(K)`，返回两层的卷积核：形状为 `(c_m, 1, 2, 2)` 的 `K1` 和形状为 `(1, c_m, 2, 2)` 的 `K2`（检查器会在许多卷积核上测试它；两层合起来必须在 $10^{-6}$ 以内还原出原来的卷积核）。
#
# 另一个保持为 `None`。

# %% slideshow={"slide_type": "notes"} tags=["exercise"]
middle_channels = None  # c_m: the number of channels between the two 2 × 2 layers
counterexample = None  # a 3 × 3 kernel (a tensor) that those two layers cannot express, or
split = None  # a function K (3 × 3) -> (K1 (c_m, 1, 2, 2), K2 (1, c_m, 2, 2)) for every K

# %% slideshow={"slide_type": "skip"}
check_converse(middle_channels, counterexample, split)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的解释**（为什么答案取决于 $c_m$？）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 2：前向传播与反向传播的计算成本
#
# 输入为 $c_i \times n_h \times n_w$（批量为 1），卷积核为 $c_o \times c_i \times k_h \times k_w$，带偏置，填充为 $(p_h, p_w)$，步幅为 $(s_h, s_w)$。对每个输出通道，这一层计算
#
# $$\mathbf{Y}_{o} = \sum_i \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o,$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 得到一张 $m_h \times m_w$ 的图，其中
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1$$
#
# （$m_w$ 同理）。以 `(c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w)` 为参数，编写以下函数：
# 1. `forward_macs`：前向传播的乘加次数（一次乘法加一次加法算作一次乘加；偏置的加法算不算由你决定）；
# 2. `forward_memory`：前向传播的内存占用，以存储的数值个数计：输入、权重和偏置、输出；
# 3. `backward_macs`：反向传播的乘加次数（对输入和对权重的梯度；偏置梯度中的加法可算可不算）；
# 4. `backward_memory`：反向传播的内存占用：前向传播存下的内容，再加上各个梯度。
#
# 每个函数都返回精确的计数：一个 `int`（等于它的浮点数，例如 `4.0`，也能通过）。输出大小向下取整：用 `//`，不要用 `/`。你可以直接写出计数公式，也可以在 `chanconv.conv2d_cost` 的基础上构建。然后**解释**反向传播的乘加运算从何而来。（笔记本 9 的*反向传播*部分推导了这些梯度，并说明每个梯度都是一次卷积：请在自己尝试过之后再读。）

# %% slideshow={"slide_type": "notes"} tags=["exercise"]
forward_macs = None  # each a function (c_i, c_o, n_h, n_w, k_h, k_w, p_h, p_w, s_h, s_w) -> a count
forward_memory = None
backward_macs = None
backward_memory = None

# %% slideshow={"slide_type": "skip"}
check_forward_backward(forward_macs, forward_memory, backward_macs, backward_memory)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的解释**（反向传播的乘加运算从何而来？）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 3：翻倍的代价
#
# 对于下面打印出的这一层（如果设置了学号，就是你自己的数字）：当 $c_i$ 和 $c_o$ 都翻倍时，乘加次数 $\mathcal{O}(c_i c_o k_h k_w m_h m_w)$ 会变为原来的多少倍？填充翻倍时呢？

# %% [markdown] slideshow={"slide_type": "-"}
# 把每个倍数写成一个数字，`int` 或 `float` 均可（`4` 和 `4.0` 是一样的）。通道的倍数必须精确；填充的倍数误差须在 0.1 % 以内：给出四位有效数字（例如 `1.129`），或者精确计算这个比值——`1.1` 太粗略了。

# %% slideshow={"slide_type": "-"}
print(describe_3())

# %% slideshow={"slide_type": "-"} tags=["exercise"]
factor_double_channels = None  # a number (exact)
factor_double_padding = None  # a number (within 0.1 %)

# %% slideshow={"slide_type": "skip"}
check_cost_factors(factor_double_channels, factor_double_padding)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 4：Y1 和 Y2 完全相等吗？
#
# 在笔记本 3 中，`Y1 = corr2d_multi_in_out_1x1(X, K)` 和 `Y2 = corr2d_multi_in_out(X, K)` 是在一定容差下比较的。它们总是*完全*相等（`torch.equal`）吗？如果不是，请给出使二者不相等的 `X_differ` 和 `K_differ`：形状分别为 $(c_i, n_h, n_w)$ 和 $(c_o, c_i, 1, 1)$ 的有限值 `float32` 张量，并**解释原因**。

# %% slideshow={"slide_type": "-"} tags=["exercise"]
X_differ = None  # a float32 tensor (c_i, n_h, n_w)
K_differ = None  # a float32 tensor (c_o, c_i, 1, 1)

# %% slideshow={"slide_type": "skip"}
check_exactly_equal(X_differ, K_differ)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的解释**（为什么二者可能不相等？）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 5：把任意卷积写成一次矩阵乘法

# %% [markdown] slideshow={"slide_type": "notes"}
# 编写 `conv_as_matmul(X, K, stride, padding)`，其中 `X` 的形状为 $(\text{batch}, c_i, n_h, n_w)$，`K` 的形状为 $(c_o, c_i, k_h, k_w)$，`stride` 为 $(s_h, s_w)$，`padding` 为 $(p_h, p_w)$；它要对整个批量只用**一次**矩阵乘法算出互相关运算的结果 `Y`，形状为 $(\text{batch}, c_o, m_h, m_w)$（重排数据——填充、索引、变形——不计成本；所有乘加都必须在这一次矩阵乘法里完成）。检查器会把它与 `torch.nn.functional.conv2d` 比较（结果须是浮点张量，相对误差和绝对误差都在 $10^{-4}$ 以内），并统计它调用了几次矩阵乘法。（笔记本 8 对 chanconv 的 `im2col` 和 `im2row` 方法计时，它们正是这一思路的高效实现：请在自己尝试过之后再读。）

# %% slideshow={"slide_type": "-"} tags=["exercise"]
conv_as_matmul = None  # a function (X, K, stride, padding) -> Y

# %% slideshow={"slide_type": "skip"}
check_conv_as_matmul(conv_as_matmul)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 6：$k \times (k + \Delta - 1)$ 的条带
#
# 一种快速的 $k \times k$ 卷积每次读取一个高 $k$ 行、宽 $k + \Delta - 1$ 列的条带，一次算出同一行的 $\Delta$ 个输出，而不是为每个输出都读取一个 $k \times k$ 的窗口。

# %% [markdown] slideshow={"slide_type": "notes"}
# 编写 `reads_per_output(k, delta)`：用这种方式时，平均每个输出要读取多少个输入值（单个通道），以精确比值表示（一个 `float`：用 `/`，不要用 `//`）。**为什么**这样更好？$\Delta$ 又受什么限制？

# %% slideshow={"slide_type": "notes"} tags=["exercise"]
reads_per_output = None  # a function (k, delta) -> a number (the exact ratio)

# %% slideshow={"slide_type": "skip"}
check_strip_reads(reads_per_output)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的回答**（为什么更好？什么限制了 $\Delta$？）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 练习 7：块对角的通道混合
#
# 把一个 $c \times c$ 的权重矩阵（$c_i = c_o = c$ 的 $1 \times 1$ 层）做成由 $b$ 个大小相同的块组成的块对角矩阵（$b$ 整除 $c$）。编写 `speedup(c, b)`：原来的矩阵乘法所需的乘加次数是现在的多少倍，以精确比值表示（用 `/`）。这样做有什么**缺点**？怎样才能至少部分地弥补？

# %% slideshow={"slide_type": "-"} tags=["exercise"]
speedup = None  # a function (c, b) -> a number (the exact ratio)

# %% slideshow={"slide_type": "skip"}
check_block_diagonal(speedup)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["exercise", "answer"]
# ✍ **你的回答**（缺点，以及一种补救办法）：*双击此处作答*

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 书外的练习（练习 8）：分组卷积与深度可分离（depthwise-separable）卷积
#
# `chanconv.conv2d(..., groups=g)` 把通道分成 $g$ 组，每组是一个独立的卷积（此时权重的形状为 $c_o \times c_i/g \times k_h \times k_w$）；`conv2d_cost(..., groups=g)` 可以统计它的成本。

# %% [markdown] slideshow={"slide_type": "notes"}
# 对于下面打印出的数字（包括偏置：一个完整的层有 $c_o c_i k_h k_w + c_o$ 个参数），求出分组卷积层的参数个数，以及深度可分离层的参数个数：深度可分离层由一个 $k \times k$ 的逐通道（depthwise）卷积层（分组数 = $c$）后接一个 $1 \times 1$ 层 $c \to c$ 组成；两者都是精确计数（`int`）。然后编写这个可分离层 `separable(X, Wd, bd, Wp, bp)`：输入为 `X (batch, c, n_h, n_w)`；逐通道层的权重为 `Wd (c, 1, k, k)`、偏置为 `bd (c,)`，填充为 `k // 2`（步幅为 1）；$1 \times 1$ 层的权重为 `Wp (c, c, 1, 1)`、偏置为 `bp (c,)`；结果 `Y (batch, c, n_h, n_w)` 与输入大小相同，并且必须与 torch 的结果相差在 $10^{-3}$ 以内。

# %% slideshow={"slide_type": "notes"}
print(describe_8())

# %% slideshow={"slide_type": "notes"} tags=["exercise"]
grouped_params = None  # a number (exact)
separable_params = None  # a number (exact)
separable = None  # a function (X, Wd, bd, Wp, bp) -> Y:
# X (batch, c, n_h, n_w), Wd (c, 1, k, k), bd (c,), Wp (c, c, 1, 1), bp (c,) -> Y (batch, c, n_h, n_w);
# the depthwise layer pads by k // 2

# %% slideshow={"slide_type": "skip"}
check_grouped(grouped_params, separable_params, separable)
