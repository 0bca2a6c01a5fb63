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
# # 2. 多输出通道
#
# 笔记本1把$c_i$个输入通道求和，得到**一个**输出通道。

# %% [markdown] slideshow={"slide_type": "notes"}
# 只能产生一个通道的层，表达能力很弱：流行的网络会随着层数加深而不断增加通道数，以空间分辨率换取通道深度。做法很简单：为每个输出通道各取一个$c_i \times k_h \times k_w$的卷积核，再把结果**堆叠**起来。
#
# 本笔记本展示
# 1. 形状为$c_o \times c_i \times k_h \times k_w$的卷积核张量（画成立体块），以及讲座中的$\mathbf{K}$、$\mathbf{K} + 1$、$\mathbf{K} + 2$；
# 2. 三个输出通道：56 72 / 104 120，76 100 / 148 172，96 128 / 192 224；
# 3. 同样的代码在MXNet和TensorFlow中的写法，以及它们的张量布局（NCHW和NHWC）；
# 4. 把每个输出通道看作一个检测器：把边缘和模糊卷积核作用于一张照片，并把一个输出通道按输入通道拆成各自的图。

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.course.data import lecture_K, lecture_X, load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import CHANNEL_CMAPS, plot_maps, plot_multi_in_out, plot_partial_maps, plot_volume
from chanconv.course.layouts import conv2d_nhwc, nchw_to_nhwc, nhwc_to_nchw, oihw_to_hwio
from chanconv.course.partials import partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个输出通道一个卷积核
#
# 要得到$c_o$个输出通道，需要$c_o$个形状为$c_i \times k_h \times k_w$的卷积核，沿新增的最前面一个轴堆叠起来：卷积核张量的形状为$\boldsymbol{c_o \times c_i \times k_h \times k_w}$（即PyTorch中`Conv2d.weight`的布局）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 输出通道$o$就是$\mathbf{X}$与卷积核$\mathbf{K}_o$的多输入互相关运算（见笔记本1），每个输入通道对应一个卷积核通道$\mathbf{K}_{o,i}$：

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y}_{o} = \mathbf{X} \star \mathbf{K}_{o} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{o,i},
# \qquad o = 0, \dots, c_o - 1$$

# %% [markdown] slideshow={"slide_type": "notes"}
# $$\mathbf{X}: c_i \times n_h \times n_w,\qquad
# \mathbf{K}: c_o \times c_i \times k_h \times k_w,\qquad
# \mathbf{Y}: c_o \times m_h \times m_w$$
#
# 每个输出通道都通过自己的卷积核读取**所有**输入通道。

# %% [markdown] slideshow={"slide_type": "subslide"}
# 画成立体图：输入是一个由$c_i \times n_h \times n_w$个数组成的块（每个数一个小立方体，通道0在最前面，第0行在最上面）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 一个卷积核是一个$c_i \times k_h \times k_w$的块：它和输入一样深，所以在窗口（金色）的每个位置上，它同时与全部$c_i$个通道相乘，得到某个输出通道中的**一个**数。$c_o$个卷积核块给出$c_o$个输出通道，堆叠成$c_o \times m_h \times m_w$的$\mathbf{Y}$。所有块都按同一比例绘制。观察要点：上面一行，卷积核块$\mathbf{K}_0$的大小与金色窗口恰好相同，这个窗口给出$\mathbf{Y}_0$中的实心格子；下面一行，$c_o = 3$个卷积核块并排摆放，各自作用于同一个金色窗口，而$\mathbf{Y}$的三个通道前后依次堆叠，各用对应卷积核的颜色表示（在$\mathbf{Y}$的顶面上，$\mathbf{Y}_0$、$\mathbf{Y}_1$、$\mathbf{Y}_2$的实心格子前后排成一列）。滑动窗口，就能填满每个输出通道的其余部分。

# %% slideshow={"slide_type": "-"}
fig = plot_volume(c_i=3, n_h=5, n_w=5, k_h=3, k_w=3, c_o=3)

# %% slideshow={"slide_type": "notes"}
def corr2d_multi_in_out(X, K):
    # walk the output-channel axis (axis 0) of K; each k has shape (c_i, k_h, k_w)
    return torch.stack([chanconv.corr2d_multi_in(X, k) for k in K], 0)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 讲座中的例子：K、K + 1、K + 2
#
# 讲座从卷积核$\mathbf{K}$出发，把它的每个元素分别加1和加2，为三个输出通道构造卷积核，再把它们堆叠起来：

# %% slideshow={"slide_type": "-"}
X = lecture_X(device)
K = lecture_K(device)
K = torch.stack((K, K + 1, K + 2), 0)
print("X:", tuple(X.shape), " K:", tuple(K.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# $3 \times 2 \times 2 \times 2$：$c_o = 3$个输出通道，$c_i = 2$个输入通道，$2 \times 2$的卷积核。

# %% slideshow={"slide_type": "subslide"}
Y = corr2d_multi_in_out(X, K)
print(Y)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 第一个通道就是笔记本1中的56 72 / 104 120：$\mathbf{K}_0$正是那个笔记本里的$\mathbf{K}$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 我们的函数与chanconv中的函数结果相同，通用卷积层`chanconv.conv2d`（无论用哪种计算方法）也给出相同的结果：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("equals chanconv.corr2d_multi_in_out:"), torch.equal(Y, chanconv.corr2d_multi_in_out(X, K)))
for method in ["loops", "unfold", "im2col", "im2row", "shift", "fft", "torch"]:
    same = torch.allclose(chanconv.conv2d(X, K, method=method), Y)
    print(f"conv2d(method={method!r:9})", tr("gives the same Y:"), same)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 观察要点：两个输入只在最上方画一次。

# %% [markdown] slideshow={"slide_type": "notes"}
# 行$o$是输出通道$o$：在输入$\mathbf{X}_i$（同一色调）下方，是它对应的卷积核$\mathbf{K}_{o,i}$和部分结果$\mathbf{X}_i \star \mathbf{K}_{o,i}$；各部分结果相加（+）得到$\mathbf{Y}_o$。卷积核的每个元素都加1，输出就会加上每个窗口内所有元素之和（第一个元素处为20：$0+1+3+4$加上$1+2+4+5$）：$56 + 20 = 76$，再加一次就是96。

# %% slideshow={"slide_type": "-"}
fig = plot_multi_in_out(X.cpu(), K.cpu())

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
for o in range(3):
    print(f"Y[{o}, 0, 0] =", element_terms(X, K, o, 0, 0).text())
print(tr("sum of the first window over both channels:"), float(X[:, :2, :2].sum()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## MXNet和TensorFlow中的同一段代码
#
# 讲座所依据的资料中，这一节既有用MXNet写的（讲座本身、《动手学深度学习》），也有用TensorFlow写的（D2L的TensorFlow版）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 只有求和与堆叠所用的函数名不同（这里仅以文本形式展示；本课程运行在PyTorch上）：
#
# ```python
# # MXNet (NDArray)                                  # PyTorch (this course)
# def corr2d_multi_in(X, K):                         def corr2d_multi_in(X, K):
#     return nd.add_n(*[d2l.corr2d(x, k)                 return sum(corr2d(x, k)
#                       for x, k in zip(X, K)])                     for x, k in zip(X, K))
#
# def corr2d_multi_in_out(X, K):                     def corr2d_multi_in_out(X, K):
#     return nd.stack(*[corr2d_multi_in(X, k)            return torch.stack([corr2d_multi_in(X, k)
#                       for k in K])                                         for k in K], 0)
#
# # TensorFlow
# def corr2d_multi_in(X, K):
#     return tf.reduce_sum([corr2d(x, k) for x, k in zip(X, K)], axis=0)
#
# def corr2d_multi_in_out(X, K):
#     return tf.stack([corr2d_multi_in(X, k) for k in K])
# ```
#
# `nd.add_n(*maps)`、`tf.reduce_sum(maps, axis=0)`和Python的`sum(maps)`都是把$c_i$张图相加；`nd.stack`、`tf.stack`和`torch.stack`都是把$c_o$张图放到一个新的轴0上。在三种框架中，这些函数都采用讲座的布局：`X`为$c_i \times n_h \times n_w$，`K`为$c_o \times c_i \times k_h \times k_w$。
#
# 各框架的**层**则有所不同。PyTorch的`nn.Conv2d`和MXNet的`nn.Conv2D`接受**NCHW**格式的输入，即$(\text{batch}, c_i, n_h, n_w)$，卷积核存储为$\boldsymbol{(c_o, c_i, k_h, k_w)}$。TensorFlow的`tf.nn.conv2d`和`keras.layers.Conv2D`接受**NHWC**格式的输入，即$(\text{batch}, n_h, n_w, c_i)$，通道在最后，卷积核为$\boldsymbol{(k_h, k_w, c_i, c_o)}$；输出也是NHWC格式。在它们之间迁移权重或数据要用转置（`permute`），绝不能用`reshape`。下面的检查把讲座的`X`和`K`转换成TensorFlow的布局，用NumPy按这种布局计算这一层（`chanconv.course.layouts.conv2d_nhwc`，对样本$n$、输出行$u$、列$v$和通道$o$：$Y_{n,u,v,o} = \sum_{a,e,i} X_{n,\,u+a,\,v+e,\,i}\, K_{a,e,i,o}$），再转换回来：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X_nhwc = nchw_to_nhwc(X[None].cpu())             # (batch, n_h, n_w, c_i) = (1, 3, 3, 2)
K_hwio = oihw_to_hwio(K.cpu())                    # (k_h, k_w, c_i, c_o) = (2, 2, 2, 3)
Y_nhwc = conv2d_nhwc(X_nhwc.numpy(), K_hwio.numpy())
print(tr("TensorFlow layout:"), "X", tuple(X_nhwc.shape), " K", tuple(K_hwio.shape), " Y", Y_nhwc.shape)
Y_back = nhwc_to_nchw(torch.from_numpy(Y_nhwc))[0].float()
print(tr("back to (c_o, m_h, m_w):"), tuple(Y_back.shape), tr(" equals Y:"), torch.equal(Y_back, Y.cpu()))
wrong = K.cpu().reshape(2, 2, 2, 3)              # a reshape keeps the memory order: wrong
Y_wrong = conv2d_nhwc(X_nhwc.numpy(), wrong.numpy())
print(tr("a reshape instead of the transpose gives the same Y:"), bool((Y_wrong == Y_nhwc).all()))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个输出通道都是一个检测器
#
# 直观地说，每个输出通道都对自己特定的模式作出响应。

# %% [markdown] slideshow={"slide_type": "notes"}
# 下面把$c_o = 4$个形状为$3 \times 3 \times 3$的卷积核（$c_i = 3$，对应照片的红、绿、蓝）堆叠成一个$4 \times 3 \times 3 \times 3$的卷积核张量：一个水平边缘检测器、一个垂直边缘检测器、一个模糊卷积核，以及一个“蓝减红”颜色检测器。前三个在三个颜色通道上使用同一个3×3模式，并按亮度加权；最后一个给各通道的权重各不相同，而且完全没有空间模式。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114])
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
blur = torch.full((3, 3), 1 / 9)
centre = torch.zeros(3, 3)
centre[1, 1] = 1.0
detectors = {
    tr("horizontal edges"): torch.einsum("c,hw->chw", luma, sobel),
    tr("vertical edges"): torch.einsum("c,hw->chw", luma, sobel.T),
    tr("blur"): torch.einsum("c,hw->chw", luma, blur),
    tr("blue minus red"): torch.einsum("c,hw->chw", torch.tensor([-1.0, 0.0, 1.0]), centre),
}
W = torch.stack(list(detectors.values())).to(device)
X_photo = load_photo(height=150, device=device)
Y_photo = chanconv.conv2d(X_photo, W, padding=1)
print("X:", tuple(X_photo.shape), " W:", tuple(W.shape), " Y:", tuple(Y_photo.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 观察要点：一个输入，四个输出通道，四幅各不相同的图，各有自己的颜色条（边缘通道中灰色表示0）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 边缘通道在与自己方向一致的边缘处呈白色或黑色，取决于哪一侧更亮：第一个通道中是帽檐、眼镜和勋表，第二个通道中是脸的两侧、衣领和旗杆。模糊通道就是柔化后的照片。颜色通道在照片偏蓝的地方亮，在皮肤上暗，与明暗无关。
#
# 前三张图四周的边框来自**零填充**：`padding=1`在照片周围加一圈零（黑色），使$\mathbf{Y}$保持照片的$150 \times 128$大小（$m_h = 150 + 2 - 3 + 1 = 150$）。位于边界上的窗口会覆盖3个（在角上是5个）这样的零：因此模糊图最外侧的行和列更暗，边缘检测器则会在照片与黑色边框之间看到一条边缘（水平检测器沿顶部出现一条暗线，那里明亮的背景与上方的零相接；垂直检测器则在两侧出现线条）。颜色通道没有边框：它的卷积核只读取中心像素，从不读到填充。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
fig = plot_maps([Y_photo[o].cpu() for o in range(4)],
                [rf"$\mathbf{{Y}}_{o}$: {name}" for o, name in enumerate(detectors)], ncols=4,
                ranges=[None, None, (0, 1), None], symmetric=True)

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("blur, mean of row 0:"), round(float(Y_photo[2, 0].mean()), 3),
      tr("  of row 1:"), round(float(Y_photo[2, 1].mean()), 3))
print(tr("horizontal edges, mean of row 0:"), round(float(Y_photo[0, 0].mean()), 3),
      tr("  of row 1:"), round(float(Y_photo[0, 1].mean()), 3))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 逐通道拆开一个输出通道
#
# 每个输出通道都是对各输入通道的求和（再加上$b_o$；这些检测器没有偏置）：
#
# $$\mathbf{Y}_{o} = \mathbf{X}_{0} \star \mathbf{K}_{o,0} + \mathbf{X}_{1} \star \mathbf{K}_{o,1}
# + \mathbf{X}_{2} \star \mathbf{K}_{o,2}$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 接下来针对水平边缘检测器和“蓝减红”检测器，用`chanconv.course.partials.partial_maps`单独算出每一张部分和图（partial map）。下面一行的各图共用同一个色标，见其颜色条：白色为0，紫色为正，橙色为负（选这两种颜色，是为了不让人联想到红、绿、蓝）。
#
# 水平边缘的观察要点：三张部分和图看起来很像，因为照片的红、绿、蓝通道大体上有相同的边缘；每张图都按各自的亮度权重缩放（绿色的0.587最大，所以最强），它们的和就是$\mathbf{Y}_0$。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
names = [r"$\mathbf{X}_0$ " + tr("(red)"), r"$\mathbf{X}_1$ " + tr("(green)"), r"$\mathbf{X}_2$ " + tr("(blue)")]
fig = plot_partial_maps(X_photo.cpu(), W.cpu(), 0, padding=1, input_cmaps=CHANNEL_CMAPS, input_names=names,
                        value_label=tr("edge response (top − bottom)"))

# %% [markdown] slideshow={"slide_type": "notes"}
# “蓝减红”的观察要点：三张部分和图分别是$-\mathbf{X}_0$（取负的红色通道：橙色，在红色通道最亮处颜色最深，白色的帽子和衣领上与脸上一样深）、0（绿色通道的权重为0）和$+\mathbf{X}_2$（紫色，在蓝色通道最亮处颜色最深）。它们的和$\mathbf{Y}_3 = \mathbf{X}_2 - \mathbf{X}_0$在蓝多于红的地方（背景）呈紫色（正），在红多于蓝的地方（脸上）呈橙色（负）；下面打印的是它在笔记本1那几个区域上的值。

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
fig = plot_partial_maps(X_photo.cpu(), W.cpu(), 3, padding=1, input_cmaps=CHANNEL_CMAPS, input_names=names,
                        value_label=tr("blue − red (> 0: bluer)"))
P3 = partial_maps(X_photo, W, 3, padding=1)
print(tr("the partial maps add up to Y[3]:"), torch.allclose(P3.output, Y_photo[3], atol=1e-6))
for region, (rows, cols) in {tr("blue backdrop"): (slice(20, 60), slice(112, 128)),
                             tr("face"): (slice(55, 85), slice(45, 80))}.items():
    print(tr("Y[3] = blue − red, mean over the {region}: {mean:+.2f}",
             region=region, mean=float(Y_photo[3, rows, cols].mean())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 在训练好的网络中，没有人手写这些卷积核：它们是学出来的，而且一个特征往往对应通道空间中的一个方向，而不是单独某一个通道。

# %% [markdown] slideshow={"slide_type": "notes"}
# 笔记本3展示1×1卷积如何把通道混合成新的通道。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 动手试试
#
# 通道探索器（笔记本6）就从这个例子开始，这里取$c_o = 4$：第四行卷积核是$\mathbf{K} + 3$，它在第一个元素处给出116。

# %% [markdown] slideshow={"slide_type": "notes"}
# 把鼠标指向任一输出图中的任意格子，就能看到它在两个输入通道中的窗口和写出来的求和式；点击可将其固定。增大$c_o$（需要Jupyter内核正在运行），就会出现新的一行卷积核和一个新的输出通道。

# %% slideshow={"slide_type": "subslide"} tags=["slide-output-only"]
from chanconv.explorer import ChannelExplorer

ChannelExplorer(c_o=4)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结

# %% [markdown] slideshow={"slide_type": "notes"}
# - 用于$c_o$个输出通道的卷积核，形状为$c_o \times c_i \times k_h \times k_w$：每个输出通道对应一个$c_i \times k_h \times k_w$的卷积核。
# - 每个输出通道通过自己的卷积核读取所有输入通道；$c_o$个结果堆叠成形状为$c_o \times m_h \times m_w$的$\mathbf{Y}$。
# - 用$\mathbf{K}$、$\mathbf{K} + 1$、$\mathbf{K} + 2$，讲座中的例子给出56 72 / 104 120，76 100 / 148 172和96 128 / 192 224。
# - 每个输出通道是$c_i$张完整的图之和：$\mathbf{Y}_o = \sum_i \mathbf{X}_i \star
#   \mathbf{K}_{o,i}$ (+ $b_o$)。
# - MXNet和TensorFlow分别用`nd.add_n` / `nd.stack`和`tf.reduce_sum` / `tf.stack`写出同样的函数；它们的层在布局上不同：PyTorch和MXNet是NCHW和$(c_o, c_i, k_h, k_w)$，TensorFlow是NHWC和$(k_h, k_w, c_i, c_o)$；两者之间用转置来转换。
# - 不同的卷积核构成不同的检测器：输出通道数是卷积层的超参数。

# %% [markdown] slideshow={"slide_type": "-"}
# 下一节：1×1卷积，它混合通道，而不看相邻像素。

# %% slideshow={"slide_type": "skip"}
plt.close("all")
