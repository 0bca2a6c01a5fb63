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
# # 1. 多输入通道
#
# 到目前为止，每个输入都是一个由$n_h \times n_w$个数构成的矩阵，每个卷积核都是一个$k_h \times k_w$的矩阵：这就是单通道的**互相关运算**（cross-correlation）`corr2d`。

# %% [markdown] slideshow={"slide_type": "notes"}
# 真实的输入是有**通道**（channel）的：一张彩色照片有三个通道（红、绿、蓝），所以它是一个形状为$c_i \times n_h \times n_w$的张量，其中$c_i = 3$。
#
# 本笔记本展示
# 1. 一张真实照片的各个通道，以及为什么要保留它们，而不是转换成灰度图；
# 2. 有$c_i$个通道的卷积核如何与$c_i$个通道的输入做互相关运算：每个通道各做一次二维互相关运算，再**求和**；
# 3. 讲座中的算例，既逐元素计算，也按整张图计算（每个输入通道一张图，再求和），以及它的输出：56 72 / 104 120。
#
# 预备知识：单通道互相关运算`corr2d`（上一讲）。

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import chanconv
from chanconv import tr
from chanconv.course.data import PHOTO_CREDIT, lecture_K, lecture_X, load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import plot_element, plot_maps, plot_partial_maps, plot_photo_channels
from chanconv.course.partials import partial_maps

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 一张照片有三个通道
#
# 彩色图像存储为三个大小相同的矩阵：分别记录每个像素处红、绿、蓝各有多少。

# %% [markdown] slideshow={"slide_type": "notes"}
# 用讲座的记号，这张照片就是形状为$c_i \times n_h \times n_w = 3 \times n_h \times n_w$的$\mathbf{X}$。

# %% slideshow={"slide_type": "notes"}
X_photo = load_photo(height=150, device=device)
print(tr("X shape (c_i, n_h, n_w):"), tuple(X_photo.shape))
print(tr("photo:"), tr(PHOTO_CREDIT))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 观察要点：每个通道本身就是一幅图，从黑色（0：完全没有这种颜色）到纯色（1），并配有各自的颜色条。

# %% [markdown] slideshow={"slide_type": "notes"}
# 右侧的蓝色背景在蓝色通道中最亮；脸部在红色通道中较亮，在绿色通道中暗一些，在蓝色通道中最暗；深色的制服在三个通道中都很暗；白色的星星和衣领在三个通道中都很亮。

# %% slideshow={"slide_type": "-"}
fig = plot_photo_channels(X_photo.cpu())

# %% [markdown] slideshow={"slide_type": "subslide"}
# 用数字来看也是一样：照片中三个区域上各通道的平均值（区域用$150 \times 128$图像中的行号和列号给出）。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
regions = {tr("blue backdrop (rows 20-59, cols 112-127)"): (slice(20, 60), slice(112, 128)),
           tr("face (rows 55-84, cols 45-79)"): (slice(55, 85), slice(45, 80)),
           tr("uniform (rows 115-149, cols 10-119)"): (slice(115, 150), slice(10, 120))}
print(tr("   red green  blue   region"))
for name, (rows, cols) in regions.items():
    means = X_photo[:, rows, cols].mean(dim=(1, 2)).tolist()
    print("".join(f"{m:6.2f}" for m in means) + "   " + name)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 转换为灰度会丢失信息
#
# 灰度图每个像素只保留一个数，即各通道的加权和（亮度，ITU-R BT.601）：$\text{gray} = 0.299\,R + 0.587\,G + 0.114\,B$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 不同的颜色可能有相同的灰度。下面左半边是一种红色，右半边是一种特意选取、与它**亮度相同**的绿色。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114])
red = torch.tensor([0.9, 0.2, 0.2])
green = red.clone()
green[0], green[1] = 0.0, (luma @ red - 0.114 * 0.2) / 0.587  # same luminance, no red
patch = torch.empty(3, 6, 8)
patch[:, :, :4] = red.view(3, 1, 1)
patch[:, :, 4:] = green.view(3, 1, 1)
gray = torch.einsum("c,chw->hw", luma, patch)
print(tr("gray of red:"), round(float(luma @ red), 4), tr(" gray of green:"), round(float(luma @ green), 4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 垂直边缘卷积核$[1, -1]$能在红色通道中找到两半之间的分界线，在灰度图中却什么也找不到：边缘消失了。

# %% [markdown] slideshow={"slide_type": "notes"}
# 观察要点：第三张图中的白线（响应为0.9；中灰色表示0，见颜色条），以及第四张图是一片均匀的中灰色。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
edge = torch.tensor([[1.0, -1.0]])
edge_in_red = chanconv.corr2d(patch[0], edge)
edge_in_gray = chanconv.corr2d(gray, edge)
print(tr("largest |response| in the red channel:"), round(float(edge_in_red.abs().max()), 4))
print(tr("largest |response| in grayscale:      "), round(float(edge_in_gray.abs().max()), 4))
fig = plot_maps([patch.permute(1, 2, 0), gray, edge_in_red, edge_in_gray],
                [tr("the patch (RGB)"), tr("grayscale"), tr("edge in the red channel"), tr("edge in grayscale")],
                cmap="gray", ranges=[None, (0, 1), (-1, 1), (-1, 1)])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个输入通道对应一个卷积核通道，再求和
#
# 有$c_i$个输入通道时，卷积核要**为每个输入通道**各准备一个$k_h \times k_w$的矩阵：它的形状为$c_i \times k_h \times k_w$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 把输入的通道$i$（即$\mathbf{X}_i$）与卷积核的通道$i$（即$\mathbf{K}_i$）做互相关运算，再把这$c_i$个结果相加：

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y} = \sum_{i=0}^{c_i-1} \mathbf{X}_{i} \star \mathbf{K}_{i}
# \qquad \mathbf{X}: c_i \times n_h \times n_w,\;
# \mathbf{K}: c_i \times k_h \times k_w,\;
# \mathbf{Y}: m_h \times m_w$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 其中$m_h = n_h - k_h + 1$，$m_w = n_w - k_w + 1$。逐元素来看，行$u$、列$v$处的输出，是每个输入通道的窗口与对应卷积核通道的乘积之和：
#
# $$\mathbf{Y}_{u,v} = \sum_{i=0}^{c_i-1} \sum_{a=0}^{k_h-1} \sum_{e=0}^{k_w-1}
# \mathbf{X}_{i,\,u+a,\,v+e}\, \mathbf{K}_{i,a,e}$$
#
# 无论有多少个输入通道，输出都只有**一个**通道。（中文课程笔记把求和上限写成$c_i$；下标从0开始时，求和应止于$c_i - 1$。）

# %% [markdown] slideshow={"slide_type": "subslide"}
# 写成代码，只需在`corr2d`的基础上再加一行。

# %% [markdown] slideshow={"slide_type": "notes"}
# `zip(X, K)`沿`X`**和**`K`的通道轴（轴0）同步遍历，把输入通道$i$与卷积核通道$i$配成一对。（书中的代码注释“First, traverse along the 0th dimension (channel dimension) of X and K”，即“首先沿X和K的第0维（通道维）遍历”，TensorFlow版写作“iterate through”，说的正是这种配对，而不是分别遍历两次。）

# %% slideshow={"slide_type": "-"}
def corr2d_multi_in(X, K):
    return sum(chanconv.corr2d(x, k) for x, k in zip(X, K))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 讲座中的例子
#
# 两个$3 \times 3$的输入通道，以及由两个$2 \times 2$通道组成的卷积核：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X = lecture_X(device)
K = lecture_K(device)
print("X:", tuple(X.shape), " K:", tuple(K.shape))
print(X)
print(K)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 观察要点：第一个输出元素用到了**每个**输入通道中带阴影的$2 \times 2$窗口，以及与之对应的整个卷积核通道。

# %% [markdown] slideshow={"slide_type": "notes"}
# 每个通道给出一个部分和（partial sum），各个部分和相加，就得到输出元素$\mathbf{Y}_{0,0}$。图的标题是由张量计算出来的。

# %% slideshow={"slide_type": "-"}
fig = plot_element(X.cpu(), K.cpu(), 0, 0, 0, channels=(1, 0))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 把同一个求和写成文字，顺序与讲座一致（先写通道1；加法满足交换律），并给出每个通道的部分和：

# %% slideshow={"slide_type": "-"}
terms = element_terms(X, K, 0, 0, 0)
print(terms.text(channels=(1, 0)))
print(terms.partial_text(channels=(1, 0)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 完整的输出为56 72 / 104 120：

# %% slideshow={"slide_type": "-"}
Y = corr2d_multi_in(X, K)
print(Y)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## 整张图：每个通道做一次互相关运算，再求和
#
# 还是同一个求和，只是改为逐图而不是逐元素进行：$\mathbf{X}_0 \star \mathbf{K}_0$是一整张$2 \times 2$的图，$\mathbf{X}_1 \star \mathbf{K}_1$也是；$\mathbf{Y}$是二者之和。

# %% [markdown] slideshow={"slide_type": "notes"}
# 观察要点：左上角是$19 + 37 = 56$（即上图中的两个部分和），其他每个位置也是如此。（图中把互相关运算符号$\star$画成一个更大的星号★，以免被误读为乘号。）

# %% slideshow={"slide_type": "notes"}
fig = plot_partial_maps(X.cpu(), K.cpu())
P = partial_maps(X, K)
print("X[0] ⋆ K[0] =", P.partials[0].tolist(), "  X[1] ⋆ K[1] =", P.partials[1].tolist())
print(tr("their sum equals Y:"), torch.equal(P.summed, Y))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 我们这一行代码就是chanconv中的`corr2d_multi_in`，而且与PyTorch的`conv2d`（它计算的同样是互相关运算）结果一致。

# %% [markdown] slideshow={"slide_type": "notes"}
# PyTorch要求有批量轴和输出通道轴：`X`的形状为$(1, c_i, n_h, n_w)$，`K`的形状为$(1, c_i, k_h, k_w)$。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
print(tr("equals chanconv.corr2d_multi_in:"), torch.equal(Y, chanconv.corr2d_multi_in(X, K)))
print(tr("equals torch's conv2d:          "), torch.equal(Y, F.conv2d(X[None], K[None])[0, 0]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个元素，每个通道
#
# 观察要点：四个输出元素$\mathbf{Y}_{u,v}$（行$u$、列$v$）各有自己的窗口，彼此错开一行或一列；卷积核通道始终不变。

# %% slideshow={"slide_type": "-"}
for u in range(Y.shape[0]):
    for v in range(Y.shape[1]):
        print(f"Y[{u}, {v}] =", element_terms(X, K, 0, u, v).text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结

# %% [markdown] slideshow={"slide_type": "notes"}
# - 有$c_i$个通道的输入，形状为$c_i \times n_h \times n_w$；彩色照片的$c_i = 3$。
# - 灰度图每个像素只保留一个加权和：亮度相同的颜色会变得一样，原本区分它们的信息就丢失了。
# - 多输入通道卷积核的形状为$c_i \times k_h \times k_w$：每个输入通道对应一个$k_h \times k_w$的卷积核。每个通道与自己的卷积核做互相关运算，再把$c_i$个结果相加，得到一个输出通道：$\mathbf{Y} = \sum_{i} \mathbf{X}_i \star \mathbf{K}_i$。
# - 讲座中的例子给出56 72 / 104 120 = (19 25 / 37 43) + (37 47 / 67 77)：即图$\mathbf{X}_0 \star \mathbf{K}_0$加上图$\mathbf{X}_1 \star \mathbf{K}_1$。

# %% [markdown] slideshow={"slide_type": "-"}
# 下一节：多个输出通道，每个输出通道各有一个$c_i \times k_h \times k_w$的卷积核。

# %% slideshow={"slide_type": "skip"}
plt.close("all")
