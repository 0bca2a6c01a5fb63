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
# # 6. 通道探索器
#
# 笔记本 1–4 讲的都是固定的例子。

# %% [markdown] slideshow={"slide_type": "notes"}
# 在这里由你来选：输入通道数 $c_i$、输出通道数 $c_o$、卷积核大小 $k_h \times k_w$、输入大小 $n_h \times n_w$，步幅、填充、分组数（groups）和膨胀（dilation），输入（讲座中的 $\mathbf{X}$、随机整数或一张照片）以及卷积核（讲座中的 $\mathbf{K}$、边缘检测器、模糊、恒等或随机），然后看到整个计算过程被画出来：
# - 输入通道 $\mathbf{X}_i$、由卷积核 $\mathbf{K}_{o,i}$ 排成的 $c_o \times c_i$ 网格，以及输出通道 $\mathbf{Y}_o$，都按**图例**着色（数值 → 颜色；白色表示 0；输入用一套色标，卷积核用一套，部分和图与输出共用一套；填充部分为灰色并带斜线）；格子放得下时，数值直接写在格子里；
# - **一个输出通道是怎样算出来的**：对选定的输出通道 $o$，依次画出每个输入通道 $i$ 的一张部分和图（partial map）$\mathbf{X}_i \star \mathbf{K}_{o,i}$、它们的和、$+\, b_o$、$= \mathbf{Y}_o$。这正是本讲的核心图示，这里以整张图的形式画出：

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i} + b_o;$$

# %% [markdown] slideshow={"slide_type": "notes"}
# - 一个输出元素 $\mathbf{Y}_{o,u,v}$（第 $u$ 行、第 $v$ 列；$i$ 仍表示输入通道，与笔记本 1 相同）：**把指针移到任意一张输出图的任意一格上**，就能看到它是怎样算出来的，**点击**可以把它固定下来。它在所读取的每个输入通道中的窗口都会高亮，它在每张部分和图、这些图之和以及 $\mathbf{Y}_o$ 中对应的格子也会高亮，它的求和式也会写出来：每个输入通道一个部分和（以及每一个乘积）。方向键可以移动选中的格子（用 Tab 键切换到各张图），▶ 从你选中的元素开始逐个位置走过去，■ 回到 $\mathbf{Y}_{0,0,0}$，滑块 `o`、`u`、`v` 也会随之变化。膨胀 $d > 1$ 时，窗口比卷积核宽：只读取窗口中标出的位置，行和列都是每隔 $d$ 个取一个；
# - $\mathbf{X}$、$\mathbf{K}$、$\mathbf{b}$ 和 $\mathbf{Y}$ 的形状，参数个数和乘加次数（来自 `conv2d_cost`），计算同一层的那行 `torch.nn.Conv2d` 代码（已与 chanconv 核对），以及 chanconv 计算这一层的用时（5 次运行的中位数，在它注明的 CPU 上测得）。
#
# 每个数字都由 Python 计算（见下面的 `explore`）；图则由你的浏览器根据这些数字绘制，所以指向和选取都能立即响应，即使在本页面保存下来的副本中（课程网站、幻灯片）也是如此。改变这一层设置的滑块在你松开时才重绘；它们需要一个正在运行的 Jupyter 内核。

# %% slideshow={"slide_type": "slide"} tags=["slide-output-only"]
from chanconv.explorer import ChannelExplorer

explorer = ChannelExplorer()
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# 初始状态是讲座中的例子：$c_i = 2$，$c_o = 3$（$\mathbf{K}$、$\mathbf{K} + 1$、$\mathbf{K} + 2$），在 $3 \times 3$ 的输入上使用 $2 \times 2$ 的卷积核。

# %% [markdown] slideshow={"slide_type": "notes"}
# 同一状态的文字版（图中为选中的元素 $\mathbf{Y}_{0,0,0}$ 写出的内容，就来自这些数字）：

# %% slideshow={"slide_type": "notes"}
from chanconv import tr

print(explorer.summary)
print(explorer.state.element.compact_text(), tr("  (one partial sum per input channel)"))
print(explorer.element_text)

# %% [markdown] slideshow={"slide_type": "notes"}
# 可以试试：
# 1. 增大 $c_o$：每多一个输出通道，就多一行 $c_i$ 个卷积核（$\mathbf{K} + 3$、$\mathbf{K} + 4$ 等）和 $c_i k_h k_w$ 个权重；输入不变。
# 2. 增大 $c_i$：讲座中的 $\mathbf{X}$ 只有 2 个通道，所以探索器会换成新形状的随机整数，并用一行文字说明；每行卷积核多一个卷积核，$\mathbf{Y}_o$ 多一张部分和图。回到 $c_i = 2$（以及 $3 \times 3$、$2 \times 2$）时，讲座中的数字又会回来。
# 3. 设 $k_h = k_w = 1$：窗口只有一个像素，每个输出通道都是该像素处各输入通道的加权和（笔记本 3）。
# 4. 增大步幅或填充，观察 $m_h \times m_w$ 如何遵循输出大小公式 $m_h = \lfloor (n_h + 2p_h - k_h) / s_h \rfloor + 1$（有膨胀 $d_h$ 时为 $\lfloor (n_h + 2p_h - d_h(k_h - 1) - 1) / s_h \rfloor + 1$）。
# 5. 把 $c_o$ 设为 $c_i$ 的倍数（分组数必须同时整除两者；例如 $c_i = 2$ 时取 $c_o = 4$），再选分组数 $g = c_i$，即逐通道（depthwise）卷积：每个输出通道只读取一个输入通道，卷积核块缩小为 $(c_o, 1, k_h, k_w)$，权重个数和乘加次数都缩小为原来的 $c_i$ 分之一（$c_o$ 个偏置不变）。
# 6. 让卷积核比填充后的输入还大：$\mathbf{X}$ 和 $\mathbf{K}$ 仍然显示，并有一行文字说明为什么没有 $\mathbf{Y}$。
# 7. 选择“照片（R, G, B）”：三个真实的颜色通道（每个都用同一套色标绘制，而不是用各自的颜色）和四个边缘检测器，每个输出通道对应一个方向。再在照片上试试其他卷积核预设。
# 8. 在教室里投影时，按下“投影模式”：文字和格子更大，求和式更短（勾选“每一项”可写出每一个乘积）。“三维视图”会画出立体的输入、卷积核块 $\mathbf{K}_o$ 和立体的输出，并与选中的元素联动。
# 9. 依次把指针移到 $\mathbf{Y}_1$ 的各个格子上：窗口按步幅在输入上滑动，而且所有输出通道用的都是同一个窗口；变的只是那一行卷积核。
# 10. 勾选“梯度视图”，看选中的元素在反向传播中传回什么（笔记本 9）。取 $L = \mathbf{Y}_{o,u,v}$，梯度 $\mathrm{d}\mathbf{X}_i$ 就是不加翻转地放在窗口上的卷积核 $\mathbf{K}_{o,i}$，而 $\mathrm{d}\mathbf{W}_{o,i}$ 就是 $\mathbf{X}_i$ 的窗口（笔记本 9 的 $\mathbf{W}$ 就是讲座中的 $\mathbf{K}$）；其余各行卷积核的梯度都是 0，而 $\mathrm{d}b_o = 1$。这就是前向传播读过的那个窗口，这次由 $\mathbf{Y}$ 传回 $\mathbf{X}$。笔记本 9 的 $\mathrm{d}\mathbf{X}$ 和 $\mathrm{d}\mathbf{W}$ 就是把这些对每个输出元素求和，每一项按它的 $\partial L / \partial \mathbf{Y}$ 加权；只有把 $\mathrm{d}\mathbf{X}$ 的整个求和写成对 $\mathrm{d}\mathbf{Y}$ 的一次互相关运算时，卷积核才是翻转的。
#
# 代码也可以设置这些控件（`explorer.controls["c_i"].value = 3`），测试就是这样驱动它的。在控件背后，`explore(Settings(...))` 根据各控件的值算出图中显示的一切，完全不需要控件。一旦离开讲座中的形状，会有一条说明指出这一点：

# %% slideshow={"slide_type": "notes"}
from chanconv.explorer import Settings, explore

state = explore(Settings(c_i=3))
print(*state.notes, sep="\n")
print(state.summary)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 把输出通道当作检测器：以一张照片为例
#
# 照片有 $c_i = 3$ 个通道（红、绿、蓝），以 $48 \times 41$ 像素显示。

# %% [markdown] slideshow={"slide_type": "notes"}
# 预设“边缘检测器”给每个输出通道 $o$ 分配一个方向（水平、垂直以及两条对角线）的 $3 \times 3$ 边缘卷积核，以 1/3 的权重作用于全部三个颜色通道：每个 $\mathbf{Y}_o$ 都是照片亮度在某一个方向上的边缘图。部分和图显示了红、绿、蓝三个通道各自对它的贡献。

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
photo = ChannelExplorer(source="photo")
photo

# %% slideshow={"slide_type": "notes"}
print(photo.summary)
print(tr("K[0, i] for every input channel i of output channel 0 (horizontal edges, weight 1/3):"))
print(photo.tensors[1][0, 0])  # the same for i = 1, 2

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 分组：逐通道卷积
#
# 分组数 $= g$ 时，输出通道 $o$ 只读取它所在组的 $c_i / g$ 个输入通道，因此 $\mathbf{K}$ 的形状为 $(c_o, c_i / g, k_h, k_w)$，权重个数和乘加次数都除以 $g$（偏置不除）：
#
# $$\text{parameters} = \frac{c_o c_i k_h k_w}{g} + c_o, \qquad
# \text{MACs} = \frac{c_i c_o k_h k_w m_h m_w}{g}.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 当 $g = c_i$ 时，每个输出通道只读取一个输入通道：这就是逐通道卷积（笔记本 7 的练习会在它的基础上搭建深度可分离层）。

# %% slideshow={"slide_type": "notes"}
for groups in (1, 2, 4):
    state = explore(Settings(source="random", preset="random", c_i=4, c_o=8, k_h=3, k_w=3, n_h=6, n_w=6,
                             groups=groups))
    print(state.summary.split("; ", 1)[1])

# %% [markdown] slideshow={"slide_type": "notes"}
# 无法计算的组合仍会显示 $\mathbf{X}$ 和 $\mathbf{K}$，并用一行文字说明原因：

# %% slideshow={"slide_type": "notes"}
print(explore(Settings(source="random", n_h=4, n_w=4, k_h=7, padding=1)).message)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结

# %% [markdown] slideshow={"slide_type": "-"}
# - $c_i$ 决定每个输出通道要把多少张部分和图 $\mathbf{X}_i \star \mathbf{K}_{o,i}$ 加起来；$c_o$ 决定有多少个这样的和（即多少行卷积核）；$k_h \times k_w$ 决定每个卷积核的窗口。
# - 参数个数 $c_o c_i k_h k_w + c_o$ 和乘加次数 $c_o c_i k_h k_w m_h m_w$ 随其中每一个量增长（分组时权重个数和乘加次数除以 $g$）；输出大小只取决于 $n_h \times n_w$、$k_h \times k_w$、填充、膨胀和步幅。
