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
# # 3. 1×1卷积
#
# 笔记本1和2构造了形状为$c_o \times c_i \times k_h \times k_w$的卷积核。

# %% [markdown] slideshow={"slide_type": "notes"}
# 取$k_h = k_w = 1$：卷积核不再看相邻的像素，所以乍看之下它没什么用。实际上，它是最常用的层之一：它在每个像素上以相同的方式**混合通道**。
#
# 本笔记本展示
# 1. 1×1卷积就是在每个像素上应用的全连接层，可以用一次矩阵乘法算出，并验证它与通用版本相等；
# 2. 通道数缩减（256 → 64）及其参数量；
# 3. 把一个水平边缘通道和一个垂直边缘通道组合成新的逐像素特征；
# 4. 用梯度下降学习一个把RGB转换为灰度的1×1卷积。

# %% slideshow={"slide_type": "skip"}
import matplotlib.pyplot as plt
import torch

import chanconv
from chanconv import tr
from chanconv.course.data import load_photo
from chanconv.course.element import element_terms
from chanconv.course.figures import plot_maps, plot_multi_in_out

torch.manual_seed(0)
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 每个像素上的全连接层
#
# 卷积核为$1 \times 1$时，输出通道$o$在行$u$、列$v$处的值为
#
# $$\mathbf{Y}_{o,u,v} = \sum_{i=0}^{c_i-1} \mathbf{K}_{o,i,0,0}\, \mathbf{X}_{i,u,v},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 即**只对该像素**的$c_i$个值加权求和（$i$是输入通道，与笔记本1相同）：在全部$n_h n_w$个像素上，都用同一个$c_o \times c_i$的权重矩阵把$c_i$个输入映射为$c_o$个输出。把$\mathbf{X}$变形为$c_i \times n_h n_w$的矩阵（每个像素一列），把$\mathbf{K}$变形为$c_o \times c_i$的矩阵，整个层就是一次矩阵乘法$\mathbf{Y} = \mathbf{K}\mathbf{X}$，得到一个$c_o \times n_h n_w$的矩阵，再变形回$c_o \times n_h \times n_w$。
#
# 最后这一步变形沿用了讲座代码的假设：步幅为1，没有填充。这时输出保持输入的大小；一般情况下，在输出大小公式中取$k_h = 1$，得到
#
# $$m_h = \left\lfloor \frac{n_h + 2p_h - 1}{s_h} \right\rfloor + 1,$$
#
# （$m_w$同理），只有当$p_h = 0$、$s_h = 1$时它才等于$n_h$。填充会添加一圈边界像素，它们的输入全为零（输出就只有偏置）；步幅为2则每两行、每两列只保留一个。

# %% slideshow={"slide_type": "notes"}
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # the fully connected layer, for all h * w pixels at once
    return Y.reshape((c_o, h, w))


# %% slideshow={"slide_type": "notes"}
for n_h, p_h, s_h in [(28, 0, 1), (28, 1, 1), (28, 0, 2)]:
    print(tr("n_h = {n_h}, padding {p_h}, stride {s_h}: m_h =", n_h=n_h, p_h=p_h, s_h=s_h),
          chanconv.output_size(n_h, 1, stride=s_h, padding=p_h))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 讲座中的验证：随机生成有$c_i = 3$个$3 \times 3$通道的$\mathbf{X}$，以及有$c_o = 2$个输出通道、大小为$1 \times 1$的卷积核。

# %% [markdown] slideshow={"slide_type": "notes"}
# 矩阵乘法版本与通用版本的结果一致。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
g = torch.Generator().manual_seed(0)
X = torch.rand((3, 3, 3), generator=g).to(device)
K = torch.rand((2, 3, 1, 1), generator=g).to(device)
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = chanconv.corr2d_multi_in_out(X, K)
print("Y1:", tuple(Y1.shape), " Y2:", tuple(Y2.shape))
print("‖Y1 - Y2‖ < 1e-6:", float((Y1 - Y2).norm()) < 1e-6)
print(tr("equals chanconv.corr2d_multi_in_out_1x1:"), torch.equal(Y1, chanconv.corr2d_multi_in_out_1x1(X, K)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 为什么讲座用容差（1e-6）来比较，而不是要求两者完全相等？

# %% [markdown] slideshow={"slide_type": "notes"}
# 两者为每个输出元素计算的都是同样的$c_i$个乘积，但计算方式不一定相同：循环把各通道的结果逐个相加，而矩阵乘法（BLAS）按自己的顺序分块相加，还可能使用融合乘加（FMA，只舍入一次而不是两次）。float32加法不满足结合律，所以最后几位可能不同。是否真的不同取决于CPU及其BLAS，因此下面的输出在你的机器上可能不一样（课程的测试不比较这一输出）；即使不同，也只差末位上的几个单位（float32的机器精度为$1.2 \cdot 10^{-7}$），远小于容差。求和越长（$c_i = 256$），不同的求和顺序就越有机会产生差异。

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output", "slide-output-only"]
X_many = torch.rand((256, 8, 8), generator=g).to(device)
K_many = torch.rand((8, 256, 1, 1), generator=g).to(device)
for name, (A, B) in {"c_i = 3  ": (Y1, Y2),
                     "c_i = 256": (corr2d_multi_in_out_1x1(X_many, K_many),
                                   chanconv.corr2d_multi_in_out(X_many, K_many))}.items():
    rel = float(((A - B).abs() / B.abs()).max())
    print(tr("{name}: exactly equal: {same!s:5}   largest relative difference: {rel:.1e}",
             name=name, same=torch.equal(A, B), rel=rel))

# %% [markdown] slideshow={"slide_type": "notes"}
# 观察要点：三个输入只在最上方画一次；每一行把每个输入与它的$1 \times 1$卷积核配对，而这个卷积核只是一个数（一个格子，和一个像素一样大），所以每张部分和图就是这个输入通道乘以这个数，$\mathbf{Y}_o$则是它们逐像素相加的和：没有窗口在相邻像素上滑动。$\mathbf{Y}_0 = \mathbf{X}_0 - \mathbf{X}_2 = -18$在每个像素上都成立。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X_small = torch.arange(27.0).reshape(3, 3, 3)
K_small = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]]).reshape(2, 3, 1, 1)
fig = plot_multi_in_out(X_small, K_small)
print(element_terms(X_small, K_small, 0, 0, 0).text())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 改变通道数：256 → 64
#
# 最常见的用法：如果上一层产生了256个通道，而下一层应当只接收64个通道，那么一个$c_i = 256$、$c_o = 64$的$1 \times 1$卷积就能做到，同时保持$n_h \times n_w$不变。

# %% [markdown] slideshow={"slide_type": "notes"}
# 它的参数：每一对（输出通道，输入通道）有一个权重，共$c_o c_i$个，外加**每个输出通道一个偏置**，共$c_o$个。一般地，一个卷积层有

# %% [markdown] slideshow={"slide_type": "-"}
# $$c_o \cdot c_i \cdot k_h \cdot k_w + c_o \text{ parameters.}$$

# %% [markdown] slideshow={"slide_type": "notes"}
# （双语笔记给出的是$(c_o + 1)(c_i + 1) = c_o c_i + c_o + c_i + 1$：除了$c_o$个偏置之外，它还多算了$c_i + 1$个参数，而任何层都没有这些参数。）

# %% slideshow={"slide_type": "notes"}
reduce = chanconv.conv2d_cost(256, 64, 1, 1, 28, 28)
print(reduce)
print(tr("weights c_o·c_i:"), reduce.weights, tr(" biases c_o:"), reduce.params - reduce.weights)
print(tr("(c_o + 1)(c_i + 1) would be:"), (64 + 1) * (256 + 1), tr("— not a parameter count"))
layer = torch.nn.Conv2d(256, 64, kernel_size=1)
print(tr("torch.nn.Conv2d(256, 64, 1) has {count} parameters", count=sum(p.numel() for p in layer.parameters())))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 它以一次矩阵乘法的方式运行，而且遇到$1 \times 1$卷积核时，`chanconv.conv2d`会自动选择这种方法。

# %% [markdown] slideshow={"slide_type": "notes"}
# 通道数相同的$3 \times 3$卷积层，权重数会是它的九倍：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X256 = torch.randn(256, 28, 28, generator=g).to(device)
W64 = torch.randn(64, 256, 1, 1, generator=g).to(device) / 16
print(tr("method chosen:"), chanconv.auto_method(256, 64, 1, 1, 28, 28))
print("Y:", tuple(chanconv.conv2d(X256, W64).shape))
print(tr("3×3 instead: {count} parameters", count=chanconv.conv2d_cost(256, 64, 3, 3, 28, 28, padding=1).params))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 逐像素组合边缘通道
#
# 讲座中的例子：给定一个水平边缘通道和一个垂直边缘通道，$1 \times 1$卷积可以在每个像素上把它们组合成一个新特征。

# %% [markdown] slideshow={"slide_type": "notes"}
# 先在一张灰度照片上使用一个有两个输出通道的$3 \times 3$卷积层（Sobel卷积核），得到边缘通道$\mathbf{E}$：$\mathbf{E}_0$ = “上减下”（水平边缘），$\mathbf{E}_1$ = “左减右”（垂直边缘）。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
photo = load_photo(height=150, device=device)
gray = torch.einsum("c,chw->hw", torch.tensor([0.299, 0.587, 0.114], device=device), photo)[None]
sobel = torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]])
W_edges = torch.stack([sobel, sobel.T])[:, None].to(device)  # (c_o, c_i, k_h, k_w) = (2, 1, 3, 3)
E = chanconv.conv2d(gray, W_edges, padding=1)  # channel 0: horizontal edges, 1: vertical edges
print(tr("edges E:"), tuple(E.shape))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 接着，两个$1 \times 1$层并列读取$\mathbf{E}$（彼此都不读取对方的输出）：

# %% [markdown] slideshow={"slide_type": "-"}
# * **对角线**：一个$c_i = c_o = 2$、权重矩阵为$\tfrac{1}{\sqrt 2}\left(\begin{smallmatrix} 1 & 1 \\ 1 & -1 \end{smallmatrix}\right)$的$1 \times 1$层，把$\mathbf{E}$变成两个新通道，

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{D}_0 = \frac{\mathbf{E}_0 + \mathbf{E}_1}{\sqrt 2}, \qquad \mathbf{D}_1 = \frac{\mathbf{E}_0 - \mathbf{E}_1}{\sqrt 2};$$

# %% [markdown] slideshow={"slide_type": "notes"}
# * **强度**：先把$\mathbf{E}$的每个元素平方（逐元素运算，不是一个层），再用一个$c_i = 2$、$c_o = 1$、权重为$[1, 1]$的$1 \times 1$层把两个平方后的通道相加，最后逐元素开平方根：
#
#   $$\mathbf{S} = \sqrt{\mathbf{E}_0^2 + \mathbf{E}_1^2},$$
#
#   得到与方向无关的边缘强度。（改为对$\mathbf{D}$求平方，得到的和也一样，$\mathbf{D}_0^2 + \mathbf{D}_1^2 = \mathbf{E}_0^2 + \mathbf{E}_1^2$，因为对角线层的权重矩阵是正交矩阵；下面会验证这一点。）

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W_diag = (torch.tensor([[1.0, 1.0], [1.0, -1.0]]) / 2**0.5).reshape(2, 2, 1, 1).to(device)
D = chanconv.conv2d(E, W_diag)                                              # E -> D
strength = chanconv.conv2d(E**2, torch.ones(1, 2, 1, 1, device=device)).sqrt()  # E -> E² -> sum -> √
print(tr("diagonal edges D:"), tuple(D.shape), tr(" strength S:"), tuple(strength.shape))
print(tr("the same S from D² instead of E²:"),
      torch.allclose(chanconv.conv2d(D**2, torch.ones(1, 2, 1, 1, device=device)).sqrt(), strength, atol=1e-4))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 每个$\mathbf{D}$通道响应的是什么？

# %% [markdown] slideshow={"slide_type": "notes"}
# 在每个像素上，$(\mathbf{E}_0, \mathbf{E}_1)$是一个从暗指向亮的向量（“上减下”，“左减右”），在横跨边缘的地方最长。$\mathbf{D}_0$是它沿对角方向“左上减右下”的分量，$\mathbf{D}_1$是它沿“右上减左下”的分量。沿某个方向的分量，对横穿这个方向的边缘最大，对顺着这个方向的边缘为零，对与这个方向成45°的边缘则是最大值的$1/\sqrt 2 \approx 0.71$。因此
# - $\mathbf{D}_0$对走向像**/**的边缘完全响应，对走向像**\\**的边缘毫无响应；
# - $\mathbf{D}_1$正好相反；
# - 水平或垂直的边缘在**两者**中都会出现，强度相同，都是该边缘强度的$1/\sqrt 2$（对于垂直边缘，两者符号相反）。
#
# 用四张测试图像来验证：水平边缘上方是亮的一半，垂直边缘左侧是亮的一半，以及位于“/”和“\\”对角线上方的亮三角形（取图像内部的最大响应；在边界处，零填充会额外产生边缘）。

# %% slideshow={"slide_type": "notes"}
n = 12
u, v = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")  # row u, column v
tests = {tr("horizontal"): (u < n // 2).float(), tr("vertical"): (v < n // 2).float(),
         tr("/ diagonal"): (u + v < n).float(), tr("\\ diagonal"): (u < v).float()}
print(f"{'|E[0]|':>7} {'|E[1]|':>7} {'|D[0]|':>7} {'|D[1]|':>7} {'S':>7}   " + tr("edge (largest inside the image)"))
test_maps = []
for name, img in tests.items():
    E_test = chanconv.conv2d(img[None].to(device), W_edges, padding=1)
    D_test = chanconv.conv2d(E_test, W_diag)
    S_test = E_test.pow(2).sum(0).sqrt()
    largest = [float(m[1:-1, 1:-1].abs().max()) for m in (E_test[0], E_test[1], D_test[0], D_test[1], S_test)]
    print("".join(f"{x:7.3f} " for x in largest) + "  " + name)
    test_maps.append((img[1:-1, 1:-1], D_test.cpu()))
print(tr("1/√2 of the horizontal edge's strength:"), round(4 / 2**0.5, 3))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 用图来看也是一样：每张测试图像（最上面一行）及其$\mathbf{D}_0$和$\mathbf{D}_1$（下面两行，只画图像内部：去掉了填充会额外产生边缘的边界行和边界列；灰色为0，白色和黑色分别表示两种符号）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 水平和垂直边缘在两行中都出现，而每条对角线只在其中一行出现。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
fig = plot_maps([img for img, _ in test_maps] + [d[0, 1:-1, 1:-1] for _, d in test_maps]
                + [d[1, 1:-1, 1:-1] for _, d in test_maps],
                [tr("test image: {name}", name=name) for name in tests] + [rf"$\mathbf{{D}}_0$: {name}" for name in tests]
                + [rf"$\mathbf{{D}}_1$: {name}" for name in tests],
                ncols=4, ranges=[(0, 1)] * 4 + [(-4.3, 4.3)] * 8)

# %% [markdown] slideshow={"slide_type": "subslide"}
# 这两个通道的任何$1 \times 1$混合都做不到更好：任意$a\,\mathbf{E}_0 + b\,\mathbf{E}_1$都是沿某一方向$(a, b)$的分量，它只对一种走向的边缘为零。

# %% [markdown] slideshow={"slide_type": "notes"}
# 只对一种走向作出响应的检测器需要非线性（阈值、ReLU），而$1 \times 1$层没有非线性。
#
# 在照片上：$\mathbf{E}_0$响应水平边缘（帽檐、眼镜、勋表），$\mathbf{E}_1$响应垂直边缘（脸和衣领的两侧、旗杆）。每条对角边缘只出现在$\mathbf{D}_0$和$\mathbf{D}_1$中的一个里，而水平和垂直边缘（例如帽檐）在两者中都会出现。强度图$\mathbf{S}$勾勒出了所有边缘。灰色为0，白色为正，黑色为负：边缘呈白色还是黑色，取决于哪一侧更亮。强度图顶部和两侧的亮线来自零填充：照片在那里与四周添加的零相接。底部深色的制服本身就接近0，所以那里没有这样的线（见图上方打印的平均值）。

# %% slideshow={"slide_type": "notes"}
fig = plot_maps([E[0].cpu(), E[1].cpu(), D[0].cpu(), D[1].cpu(), strength[0].cpu()],
                [r"$\mathbf{E}_0$: " + tr("horizontal edges"), r"$\mathbf{E}_1$: " + tr("vertical edges"),
                 r"$\mathbf{D}_0 = (\mathbf{E}_0 + \mathbf{E}_1)/\sqrt{2}$: " + tr("full for /"),
                 r"$\mathbf{D}_1 = (\mathbf{E}_0 - \mathbf{E}_1)/\sqrt{2}$: " + tr("full for \\"),
                 tr("strength") + r" $\mathbf{S} = \sqrt{\mathbf{E}_0^2 + \mathbf{E}_1^2}$"], ncols=3, symmetric=True,
                ranges=[None, None, None, None, (0, None)])
S = strength[0]
print(tr("strength, mean of the top row:"), round(float(S[0].mean()), 2),
      tr("  left column:"), round(float(S[:, 0].mean()), 2), tr("  right column:"), round(float(S[:, -1].mean()), 2),
      tr("  bottom row:"), round(float(S[-1].mean()), 2), tr("  inside:"), round(float(S[1:-1, 1:-1].mean()), 2))

# %% [markdown] slideshow={"slide_type": "notes"}
# 如果中间没有非线性，$3 \times 3$层之后接一个$1 \times 1$层，本身就等价于一个$3 \times 3$层：它的卷积核就是把$1 \times 1$权重作用到那些$3 \times 3$卷积核上，$\mathbf{K}'_{o} = \sum_{j} \mathbf{W}_{o,j}\, \mathbf{K}_{j}$（上面的平方运算才真正带来了新东西）。相互堆叠的$1 \times 1$层也是如此：讲座中说的“1×1卷积实际上就是逐像素应用的多层感知机”，需要在层与层之间加入非线性才成立（网络中的网络，Network in Network）。一个$1 \times 1$层就是每个像素上的一个线性全连接层；两个这样的层之间若没有非线性，仍然等价于一个（笔记本5会验证这一点）。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W_combined = torch.einsum("oc,cihw->oihw", W_diag[:, :, 0, 0], W_edges)
print(tr("one 3×3 layer gives the same D:"),
      torch.allclose(chanconv.conv2d(gray, W_combined, padding=1), D, atol=1e-5))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 学习一个1×1卷积：RGB → 灰度
#
# 转换为灰度就是一个$c_i = 3$、$c_o = 1$、权重为0.299、0.587、0.114的$1 \times 1$卷积。

# %% [markdown] slideshow={"slide_type": "notes"}
# 梯度下降能从样本中找回这些权重吗？用恰好这组权重生成训练样本对，再通过最小化平方误差来拟合一个1×1的`chanconv.conv2d`（权重和偏置都从0开始）。
#
# 训练图像用的是随机颜色：在照片中，R、G、B往往同升同降，很多种加权方式都会得到几乎相同的灰度，权重因而难以确定。随机颜色则让各通道彼此独立地变化。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
luma = torch.tensor([0.299, 0.587, 0.114], device=device).reshape(1, 3, 1, 1)
X_train = torch.rand((16, 3, 16, 16), generator=g).to(device)
T_train = chanconv.conv2d(X_train, luma)
W = torch.zeros((1, 3, 1, 1), device=device, requires_grad=True)
b = torch.zeros(1, device=device, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)
for step in range(501):
    optimizer.zero_grad()
    loss = ((chanconv.conv2d(X_train, W, b) - T_train) ** 2).mean()
    if step in (0, 10, 100, 500):  # the weights that gave this loss, before this step's update
        shown = f"{loss.item():.1e}" if loss.item() >= 1e-12 else "< 1e-12"  # below: rounding, not learning
        print(tr("step {step:3}: loss {loss}  weights {weights}  bias {bias:+.3f}",
                 step=step, loss=shown, weights=[round(w, 3) for w in W.flatten().tolist()], bias=b.item()))
    loss.backward()
    optimizer.step()

# %% [markdown] slideshow={"slide_type": "subslide"}
# 学到的权重正是生成数据时所用的亮度权重。

# %% [markdown] slideshow={"slide_type": "notes"}
# 把学到的层作用于照片，就得到灰度图像：

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
learned_gray = chanconv.conv2d(photo, W.detach(), b.detach())
print(tr("learned weights (after 501 updates):"), [round(w, 3) for w in W.flatten().tolist()],
      tr(" bias:"), round(b.item(), 4))
print(tr("equals the true grayscale within 1e-4:"), torch.allclose(learned_gray, gray, atol=1e-4))
fig = plot_maps([photo.permute(1, 2, 0).cpu(), learned_gray[0].cpu()],
                [r"$\mathbf{X}$ (RGB)", tr("learned 1×1:") + r" $\mathbf{Y}$"],
                ranges=[None, (0, 1)])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 小结

# %% [markdown] slideshow={"slide_type": "notes"}
# - $1 \times 1$卷积（$k_h = k_w = 1$）不识别空间模式：它是在每个像素上应用的全连接层，权重矩阵为$c_o \times c_i$，可以用一次矩阵乘法实现。步幅为1且没有填充时，输出保持输入的$n_h \times n_w$大小。
# - 它能改变通道数（256 → 64），代价是$c_o c_i + c_o$个参数。
# - 它把通道组合成新的逐像素特征：由水平边缘通道和垂直边缘通道得到沿两条对角方向的分量（对自己那条对角线完全响应，对另一条为零，对水平和垂直边缘为$1/\sqrt 2$）。它是线性的，所以连续两个线性层等价于一个。
# - 当输入让各通道独立变化时，梯度下降能从样本中恢复出1×1层的权重。

# %% [markdown] slideshow={"slide_type": "-"}
# 下一节：完整的卷积层，它的参数及计算代价。

# %% slideshow={"slide_type": "skip"}
plt.close("all")
