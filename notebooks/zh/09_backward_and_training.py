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
# # 9. 反向传播，以及用chanconv训练网络
#
# 一个层只有在我们能学习它的权重时，才能在网络中派上用场；而学习需要损失$L$关于$\mathbf{W}$、$\mathbf{b}$以及（为了继续传到下面的层）$\mathbf{X}$的梯度。

# %% [markdown] slideshow={"slide_type": "notes"}
# 本笔记本：
# 1. 用讲座中的记号推导多通道层的三个梯度，说明**每一个仍然是卷积**，并在讲座中的$\mathbf{X}$和$\mathbf{K}$上与PyTorch的自动微分（autograd）对照检验；
# 2. 用`chanconv.nn.Conv2d`搭一个小CNN（一个$3 \times 3$层和一个$1 \times 1$层），在由颜色决定类别的彩色图像上训练它，并看看它学到了什么。

# %% slideshow={"slide_type": "skip"}
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import chanconv
from chanconv import tr
from chanconv.core.i18n import pad  # f"{text:16}" counting a Chinese character as two columns
from chanconv.course.data import lecture_K, lecture_X
from chanconv.course.figures import DIVERGING

torch.manual_seed(0)
torch.set_num_threads(1)  # one thread: the same result every run, and fair on a shared machine
device = chanconv.default_device()
print(tr("device:"), device)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 三个梯度

# %% [markdown] slideshow={"slide_type": "notes"}
# 考虑这样一个层（步幅1，无填充，单个样本），有$c_i$个输入通道和$c_o$个输出通道；$\mathbf{W}$就是讲座中的$\mathbf{K}$（PyTorch中的`weight`），形状为$c_o \times c_i \times k_h \times k_w$，$i$表示输入通道，$(u, v)$是输出（大小为$m_h \times m_w$）中的一个位置：

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{Y}_{o,u,v} = b_o + \sum_{i=0}^{c_i-1} \sum_{a=0}^{k_h-1} \sum_{e=0}^{k_w-1}
# \mathbf{X}_{i,\,u+a,\,v+e}\, \mathbf{W}_{o,i,a,e}.$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 记$\mathrm{d}\mathbf{Y}_{o,u,v} = \partial L / \partial \mathbf{Y}_{o,u,v}$，即上面的层传下来的量（$\mathrm{d}\mathbf{W}$、$\mathrm{d}\mathbf{b}$、$\mathrm{d}\mathbf{X}$的记法与此相同）。链式法则要对一个数被用到的每一处求和：
#
# * **偏置**：$b_o$被加到了输出通道$o$的每个像素上，所以
#
#   $$\mathrm{d}b_o = \sum_{u} \sum_{v} \mathrm{d}\mathbf{Y}_{o,u,v}.$$
#
# * **权重**：$\mathbf{W}_{o,i,a,e}$与$\mathbf{X}_{i,u+a,v+e}$相乘后计入$\mathbf{Y}_{o,u,v}$，所以
#
#   $$\mathrm{d}\mathbf{W}_{o,i,a,e} = \sum_{u} \sum_{v} \mathbf{X}_{i,\,u+a,\,v+e}\, \mathrm{d}\mathbf{Y}_{o,u,v}, \qquad \text{i.e.} \qquad \mathrm{d}\mathbf{W}_{o,i} = \mathbf{X}_{i} \star \mathrm{d}\mathbf{Y}_{o}:$$
#
#   **卷积核切片$\mathbf{W}_{o,i}$的梯度，就是输入通道$i$与通道$o$的输出梯度做互相关运算的结果**（大小为$k_h \times k_w$），每个（输出通道，输入通道）对各有一个，正好构成$\mathbf{W}$的形状$c_o \times c_i \times k_h \times k_w$。
# * **输入**：$\mathbf{X}_{i,r,t}$（输入的第$r$行、第$t$列）参与了所有满足$u + a = r$、$v + e = t$的$\mathbf{Y}_{o,u,v}$，所以
#
#   $$\mathrm{d}\mathbf{X}_{i,r,t} = \sum_{o=0}^{c_o-1} \sum_{a} \sum_{e} \mathrm{d}\mathbf{Y}_{o,\,r-a,\,t-e}\, \mathbf{W}_{o,i,a,e}$$
#
#   （$(r - a, t - e)$落在$\mathrm{d}\mathbf{Y}$之外的项记为0）：也就是把$\mathrm{d}\mathbf{Y}$四周各填充$k - 1$个零，**与翻转后的$\mathbf{W}_{o,i}$做互相关运算**（行和列都倒过来），再对输出通道$o$求和。把它看成一个层：$c_o$个输入通道（$\mathrm{d}\mathbf{Y}$），$c_i$个输出通道（$\mathrm{d}\mathbf{X}$），卷积核的两个通道轴互换并且翻转，这就是*转置卷积*。
#
# 有批量时，$\mathrm{d}\mathbf{W}$和$\mathrm{d}\mathbf{b}$还要对样本求和；步幅$s$会在做翻转后的互相关运算之前，在$\mathrm{d}\mathbf{Y}$的相邻数之间插入$s - 1$个零；膨胀$d$则把翻转后卷积核的各个位置拉开到间隔$d$（因此$\mathrm{d}\mathbf{Y}$的“full”填充变为$d(k - 1)$）。有填充$p_h, p_w$时：$\mathrm{d}\mathbf{W}$用零填充后的输入代替$\mathbf{X}$做互相关运算；$\mathrm{d}\mathbf{X}$则对填充后的输入$(n_h + 2p_h) \times (n_w + 2p_w)$按无填充的情形计算，再在每一侧去掉$p_h$行和$p_w$列，因为这些位置是填充的零，不属于$\mathbf{X}$。在膨胀为1、且最后一个窗口恰好止于填充后输入的最后一行和最后一列时，这等价于把$\mathrm{d}\mathbf{Y}$填充$k - 1 - p$而不是$k - 1$。没有任何窗口覆盖到的行和列（输出大小公式中向下取整丢掉的部分）梯度为零。`chanconv.conv2d_backward`（在`chanconv/core/backward.py`中）正是这样计算的，并且也支持分组。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 在讲座中的X和K上检验

# %% [markdown] slideshow={"slide_type": "notes"}
# 取讲座中的$\mathbf{X}$（$c_i = 2$，$3 \times 3$），把$\mathbf{K}$与$\mathbf{K} + 1$、$\mathbf{K} + 2$堆叠起来（$c_o = 3$），加上一个偏置，损失取$L = \sum \mathbf{Y} \odot \mathbf{T}$（按元素乘积之和），其中$\mathbf{T}$固定，于是$\mathrm{d}\mathbf{Y} = \mathbf{T}$。先用讲座中的`corr2d`把公式逐项写出来算，再用chanconv的`conv2d_backward`，最后用自动微分。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
X = lecture_X().to(device)                       # (c_i, n_h, n_w) = (2, 3, 3)
K = torch.stack((lecture_K(), lecture_K() + 1, lecture_K() + 2)).to(device)  # (c_o, c_i, k_h, k_w) = (3, 2, 2, 2)
b = torch.tensor([1.0, 0.0, -1.0], device=device)
T = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]], device=device)
dY = T                                            # L = Σ Y ⊙ T  ⇒  ∂L/∂Y = T, shape (c_o, m_h, m_w) = (3, 2, 2)
c_o, c_i, k_h, k_w = K.shape

# the formulas, one channel pair at a time, with the lecture's corr2d
db = dY.sum(dim=(1, 2))
dW = torch.stack([torch.stack([chanconv.corr2d(X[i], dY[o]) for i in range(c_i)]) for o in range(c_o)])
dY_full = F.pad(dY, (k_w - 1, k_w - 1, k_h - 1, k_h - 1))   # k − 1 zeros all round
dX = torch.stack([sum(chanconv.corr2d(dY_full[o], K[o, i].flip(0, 1)) for o in range(c_o)) for i in range(c_i)])
print("db =", db.tolist())
print(tr("dW[0] (output channel 0, one 2×2 map per input channel):") + "\n", dW[0])
print("dX:\n", dX)

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
dX2, dW2, db2 = chanconv.conv2d_backward(dY, X, K)       # the same three, as convolutions
Xg, Kg, bg = (t.clone().requires_grad_() for t in (X, K, b))
(chanconv.conv2d(Xg, Kg, bg) * T).sum().backward()       # PyTorch's autograd on chanconv's forward
for name, mine, formula, auto in [("dX", dX2, dX, Xg.grad), ("dW", dW2, dW, Kg.grad), ("db", db2, db, bg.grad)]:
    print(tr("{name}: conv2d_backward = formula: {formula};  = autograd: {auto}",
             name=name, formula=torch.equal(mine, formula), auto=torch.equal(mine, auto)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 三者完全一致（这些都是小整数，没有舍入误差可以掩盖差异）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 对于带步幅、填充、膨胀和分组的情形，测试套件在随机层上把`conv2d_backward`与自动微分对照检验，`torch.autograd.gradcheck`则检验`chanconv.conv2d`的每一种方法。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 颜色起决定作用的图像

# %% [markdown] slideshow={"slide_type": "notes"}
# 每张$10 \times 10$的图像（$c_i = 3$：红、绿、蓝）都是围绕中灰的噪声，各通道独立采样，图中有一根短条，水平或竖直，比周围**更红**或**更绿**：一个通道上$+0.5$，另一个通道上$-0.5$，因此短条的灰度值（三个通道的均值）与背景相同。共四个类别：红色水平、红色竖直、绿色水平、绿色竖直。方向要靠空间上的卷积核来识别；颜色则只能通过比较通道来读出。在这样得到的灰度图（三个通道的均值）中，短条根本不存在：按照构造，它的灰度值与背景相同。笔记本1中的加权灰度$0.299\,R + 0.587\,G + 0.114\,B$仍会隐约显出它：$0.299 \cdot 0.5 - 0.587 \cdot 0.5 \approx -0.14$，红色短条比周围稍暗，绿色短条稍亮。

# %% slideshow={"slide_type": "-"} tags=["slide-figure-only"]
CLASSES = [tr("red horizontal"), tr("red vertical"), tr("green horizontal"), tr("green vertical")]


def make_images(count, seed, size=10, channels=(0, 1)):
    """count images (count, 3, size, size) and their labels (count,), from one seeded generator.

    The bar changes only the colour channels in ``channels`` (red 0, green 1): (0,) leaves it in the
    red channel only, () gives the same images without any bar (the noise and labels do not change).
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (count,), generator=g)
    images = 0.5 + 0.15 * torch.randn(count, 3, size, size, generator=g)  # noise around gray, per channel
    for n in range(count):
        green, vertical = divmod(int(labels[n]), 2)
        at = int(torch.randint(1, size - 1, (1,), generator=g))
        start = int(torch.randint(0, size // 2, (1,), generator=g))
        bar = (slice(start, start + size // 2), at) if vertical else (at, slice(start, start + size // 2))
        if green in channels:
            images[n, green][bar] += 0.5       # more of one colour ...
        if 1 - green in channels:
            images[n, 1 - green][bar] -= 0.5   # ... as much less of the other: the gray level stays
    return images, labels


X_train, y_train = make_images(256, seed=0)
X_test, y_test = make_images(256, seed=1)
print("X_train:", tuple(X_train.shape), tr(" classes in training:"), torch.bincount(y_train).tolist())
gray = X_train.mean(dim=1)  # (count, n_h, n_w)
print(tr("mean gray level per class:"), ", ".join(f"{gray[y_train == k].mean():.3f}" for k in range(4)),
      tr("(the bar adds +0.5 − 0.5 = 0)"))

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, cls in zip(axes, range(4)):
    n = int((y_train == cls).nonzero()[0])
    ax.imshow(X_train[n].permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(CLASSES[cls], fontsize=10)
    ax.axis("off")
fig.suptitle(tr("one training image per class (RGB)"))
fig.tight_layout()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 用`chanconv.nn.Conv2d`搭一个小CNN

# %% [markdown] slideshow={"slide_type": "notes"}
# * `edges`：$3 \times 3$，$c_i = 3 \to c_o = 8$，填充1，然后接ReLU：八个检测器。它的权重$\mathbf{W}^{(1)}$形状为$8 \times 3 \times 3 \times 3$；检测器$j$通过$\mathbf{W}^{(1)}_{j,i}$读取颜色通道$i$，它的特征图为$\mathbf{Z}_j = \operatorname{ReLU}\bigl(\sum_{i} \mathbf{X}_i \star \mathbf{W}^{(1)}_{j,i} + b^{(1)}_j\bigr)$；
# * `mix`：**$1 \times 1$**，$8 \to 4$：它的输入通道就是八个检测器的特征图$\mathbf{Z}_j$，在每个像素上，它为每个类别$o$求这些特征图的一个加权和（逐像素作用的全连接层，和笔记本3中一样），权重为$\mathbf{W}^{(2)}$（$4 \times 8 \times 1 \times 1$）；
# * 每个类别的得分图在整幅图像上的最大值就是该类别的得分（全局最大汇聚）。

# %% [markdown] slideshow={"slide_type": "-"}
# 也就是说，$i$是颜色通道的下标，$j$是检测器的下标，$o$是类别的下标。

# %% [markdown] slideshow={"slide_type": "notes"}
# `chanconv.nn.Conv2d`的参数、初始化和填充模式都与`torch.nn.Conv2d`相同，因此用`torch.nn.Conv2d`搭的同一个网络可以通过`state_dict`得到完全相同的初始权重，两者也用相同的方式训练（Adam，全批量，60步）。

# %% slideshow={"slide_type": "notes"}
class SmallCNN(torch.nn.Module):
    def __init__(self, Conv2d=chanconv.nn.Conv2d):
        super().__init__()
        self.edges = Conv2d(3, 8, 3, padding=1)   # W (8, 3, 3, 3), b (8,)
        self.mix = Conv2d(8, 4, 1)                # W (4, 8, 1, 1), b (4,)

    def forward(self, X):                         # X (batch, 3, n_h, n_w)
        Z = torch.relu(self.edges(X))             # (batch, 8, n_h, n_w)
        return self.mix(Z).amax(dim=(2, 3))       # (batch, 4, n_h, n_w) -> scores (batch, 4)


def train(net, steps=60, lr=0.05):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(X_train), y_train)
        loss.backward()
        opt.step()
    return loss.item()


def accuracy(net, X, y):
    with torch.no_grad():
        return (net(X).argmax(dim=1) == y).float().mean().item()


torch.manual_seed(0)
net = SmallCNN()
twin = SmallCNN(torch.nn.Conv2d)
twin.load_state_dict(net.state_dict())   # the same starting weights
W1_start = net.edges.weight.detach().clone()   # the first layer's random start, to compare with later
print(net)
print(tr("parameters:"), sum(p.numel() for p in net.parameters()),
      "= 8·3·3·3 + 8 + 4·8·1·1 + 4 =", 8 * 3 * 3 * 3 + 8 + 4 * 8 * 1 * 1 + 4)

# %% [markdown] slideshow={"slide_type": "-"}
# 训练有多快？在有C++编译器的机器上，chanconv的层运行在编译级上（前向传播和反向传播都用C++实现，见笔记本8）；它在第一次使用时构建（30–90 s，之后会缓存）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 没有编译器时，每个梯度都由Python方法按上面推导出的卷积来计算。这个单元格先做一轮不计时的预热（这样两边都不必承担首次调用的准备开销），再轮流在副本上为两个网络计时，然后训练这两个网络本身。

# %% slideshow={"slide_type": "notes"} tags=["nbval-ignore-output"]
# timings vary from run to run and machine to machine: nbval does not compare this output
import copy

from chanconv.core.methods import compiled
from chanconv.perf.bench import describe_machine

print(compiled.prepare("cpu"))
print(tr("on the CPU ({cpu}), torch threads: {threads}", cpu=describe_machine("cpu")["cpu"],
         threads=torch.get_num_threads()))
print(tr("auto picks {first} for the 3 × 3 layer and {second} for the 1 × 1 layer; the backward runs {where}",
         first=chanconv.auto_method(3, 8, 3, 3, 10, 10, batch=256, padding=1),
         second=chanconv.auto_method(8, 4, 1, 1, 10, 10, batch=256),
         where=tr("in the compiled rung") if compiled.loaded() else tr("in Python (no compiled rung here)")))
pairs = [("chanconv.nn.Conv2d", net), ("torch.nn.Conv2d", twin)]
times = {name: [] for name, _ in pairs}
for round_ in range(3):  # round 0 is the warm-up
    for name, model in pairs:
        start = time.perf_counter()
        train(copy.deepcopy(model))
        if round_:
            times[name].append(time.perf_counter() - start)
for name, model in pairs:
    final_loss = train(model)
    print(f"{name:18}: " + tr("60 steps in {seconds:5.2f} s (best of two; final training loss {loss:.4f})",
                              seconds=min(times[name]), loss=final_loss))
ratio = min(times["chanconv.nn.Conv2d"]) / min(times["torch.nn.Conv2d"])
print(tr("chanconv.nn.Conv2d trained in {ratio:.2f}× the time of torch.nn.Conv2d on this run", ratio=ratio))

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
acc = {name: accuracy(model, X_test, y_test) for name, model in [("chanconv", net), ("torch", twin)]}
print(tr("test accuracy, chanconv.nn.Conv2d: {ours:.3f}   torch.nn.Conv2d: {theirs:.3f}",
         ours=acc["chanconv"], theirs=acc["torch"]))
print(tr("same accuracy:"), acc["chanconv"] == acc["torch"])
print(tr("largest weight difference after training below 1e-4:"),
      max((p - q).abs().max().item() for p, q in zip(net.parameters(), twin.parameters())) < 1e-4)

# does the network read colour? Swap the red and green channels: every red bar becomes a green one
swapped = X_test[:, [1, 0, 2]]
swap_label = torch.tensor([2, 3, 0, 1])[y_test]            # red ↔ green, same orientation
with torch.no_grad():
    print(tr("red ↔ green swapped: accuracy against the swapped labels {accuracy:.3f}",
             accuracy=accuracy(net, swapped, swap_label)))

# %% [markdown] slideshow={"slide_type": "notes"}
# 两个网络从相同的权重出发，看到相同的数据；chanconv的前向传播（`method="auto"`选出的方法，打印在计时结果上方）和反向传播（编译级或Python版，同样打印在那里）与PyTorch的结果只差float32的舍入误差，所以训练出的权重只在最后几位数字上不同，测试准确率也相同。把红和绿对调，预测就变成另一种颜色的类别（见上面按对调后的标签计算的准确率）：网络区分颜色，靠的是认清哪个通道是哪种颜色。
#
# 决策依赖于哪些通道？下面是同样的测试图像，但短条只保留在**一个**颜色通道中（`make_images(..., channels=(0,))`：红色短条只在红色通道中更亮，绿色短条只在红色通道中更暗；绿色通道里没有短条），以及完全没有短条的情形。最后两行对任何网络都不可能是别的结果：没有短条，图像里就没有任何可供分类的信息；而图像的灰度副本（每个通道都设为三个通道的均值）同样没有短条，因为短条的灰度值与背景相同。它们给出的是随机猜测的水平：准确率1/4，颜色和方向各有一半猜对。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
as_gray = X_test.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)  # every channel the gray level
variants = {tr("red and green (as trained)"): make_images(256, seed=1)[0],
            tr("red only"): make_images(256, seed=1, channels=(0,))[0],
            tr("green only"): make_images(256, seed=1, channels=(1,))[0],
            tr("no bar at all"): make_images(256, seed=1, channels=())[0],
            tr("gray copies"): as_gray}
widths = (8, 12, 17)  # the columns: accuracy, colour right, orientation right
print(pad(tr("bar in the channels"), 27)
      + "".join(" " + pad(h, w, ">") for h, w in zip((tr("accuracy"), tr("colour right"), tr("orientation right")), widths)))
for name, images in variants.items():
    with torch.no_grad():
        pred = net(images).argmax(dim=1)
    right = [(pred == y_test), (pred // 2 == y_test // 2), (pred % 2 == y_test % 2)]
    print(pad(name, 27) + "".join(f" {r.float().mean():{w}.3f}" for r, w in zip(right, widths)))
print(pad(tr("guessing"), 27) + f" {0.25:8.3f} {0.5:12.3f} {0.5:17.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# 如果网络只从一个通道读取颜色，那么只留在另一个通道中的短条就会让它只能瞎猜颜色。

# %% [markdown] slideshow={"slide_type": "notes"}
# 把两个单通道的行与随机猜测的水平比较：如果两者都明显高于它，说明网络能从任一通道读出颜色，也就是从红与绿之差中读出，而短条只在一个通道里时，这个差依然存在。

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 第一层学到了什么（按输入通道看）

# %% [markdown] slideshow={"slide_type": "notes"}
# 每一列是学到的8个$3 \times 3$卷积核$\mathbf{W}^{(1)}_j$之一，显示为它对红、绿、蓝三个输入通道$i$的三个切片$\mathbf{W}^{(1)}_{j,i}$，每行一个通道（所有切片共用一个色标，见颜色条：紫色为正，橙色为负，白色为0）。标为*死亡*的列，是在训练图像的任何像素上ReLU都不激活的检测器（见下一个单元格）。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W1 = net.edges.weight.detach()                 # W⁽¹⁾: (c_o, c_i, k_h, k_w) = (8, 3, 3, 3)
with torch.no_grad():
    before_relu = net.edges(X_train)           # (batch, 8, n_h, n_w): each detector's map before the ReLU
fires = (before_relu > 0).float().mean(dim=(0, 2, 3))   # (8,): share of pixels whose ReLU passes
active = fires > 0                             # a detector whose ReLU never fires is dead
lim = W1.abs().max().item()
fig, axes = plt.subplots(3, 8, figsize=(12, 4.6))
for j in range(8):
    for i, colour in enumerate([tr("red"), tr("green"), tr("blue")]):
        im = axes[i, j].imshow(W1[j, i].numpy(), cmap=DIVERGING, vmin=-lim, vmax=lim)
        axes[i, j].set_xticks([])
        axes[i, j].set_yticks([])
        if j == 0:
            axes[i, 0].set_ylabel(f"{colour}, $i = {i}$", fontsize=10)
    axes[0, j].set_title(rf"$\mathbf{{W}}^{{(1)}}_{{{j}}}$" + ("" if active[j] else " " + tr("dead")), fontsize=11)
fig.colorbar(im, ax=axes, shrink=0.8, label=tr("weight") + r" $W^{(1)}_{j,i,a,e}$")
fig.suptitle(tr(r"first layer: $\mathbf{W}^{(1)}_{j,i}$ for detector $j$ (columns) and colour channel $i$ (rows)"),
             fontsize=11)
plt.show()

# %% slideshow={"slide_type": "notes"}
# per detector j: the share of training pixels where its ReLU passes (map > 0), Σ|W1[j]| at its random
# start and now, the share of its weights below zero, its bias, and the largest value of its map
# before the ReLU over every training pixel
b1 = net.edges.bias.detach()
size, size_start = W1.abs().sum(dim=(1, 2, 3)), W1_start.abs().sum(dim=(1, 2, 3))   # (8,) each
negative = (W1 < 0).float().mean(dim=(1, 2, 3))        # (8,)
peak = before_relu.amax(dim=(0, 2, 3))                  # (8,): over every pixel of every training image
print(tr("X_train's values lie in [{low:.2f}, {high:.2f}], mean {mean:.2f}",
         low=X_train.min(), high=X_train.max(), mean=X_train.mean()))
print("  ".join(pad(h, w, ">") for h, w in zip((tr("detector"), tr("ReLU passes"), tr("Σ|W| start -> now"),
                                                 tr("weights < 0"), tr("bias"), tr("max before ReLU")),
                                                (8, 11, 17, 11, 5, 15))))
for j in range(8):
    note = "" if active[j] else tr("dead: its ReLU never fires")
    print(f"{j:8}  {100 * fires[j]:10.1f}%  {size_start[j]:8.2f} -> {size[j]:5.2f}  {100 * negative[j]:10.0f}%  "
          f"{b1[j]:+5.2f}  {peak[j]:+15.2f}  {note}")
print(tr("active detectors: {active} of 8; dead: {dead}",
         active=int(active.sum()), dead=[j for j in range(8) if not active[j]]))
print(tr("over the active detectors, mean |W1[:, i]| per input channel:"),
      ", ".join(f"{c} {W1[active, i].abs().mean():.2f}" for i, c in enumerate([tr("red"), tr("green"), tr("blue")])))

# %% [markdown] slideshow={"slide_type": "subslide"}
# 标为*死亡*的检测器并没有停留在随机初始值附近：训练改变了它们（上面它们的$\sum |\mathbf{W}^{(1)}_j|$比初始时增大了），只是把它们推向了负值：它们几乎所有的权重都小于零，偏置也是。

# %% [markdown] slideshow={"slide_type": "notes"}
# 图像的值在0.5左右（取值范围和均值已在上面打印），所以全是负权重的卷积核在每个像素上得到的和都是负的：在所有训练像素上，它们在ReLU之前达到的最大值都小于零。ReLU什么也不放行，它的导数处处为0，因此没有梯度传回这些权重：它们再也无法恢复。网络并不需要它们：这个任务只需要几个检测器，活跃的那些就足以达到上面的测试准确率。在这里蓝色通道只携带噪声；可以把活跃检测器上蓝色权重绝对值的平均与上面红色、绿色的比较一下。
#
# 每个活跃的检测器响应什么？卷积核的权重并不能直接看出来（一个检测器的红色和绿色切片中，行和列都有正有负），所以我们在数据上测量：对每个类别，计算短条使该检测器在整幅图像上的最大值提高了多少（与去掉短条的同一张图像相比，`channels=()`），再在该类别的训练图像上取平均。标签给出的是两个类别合起来使它提高更多的那种颜色；如果该颜色的某个方向使它提高的幅度至少是另一个方向的1.5倍，还会给出那个方向。

# %% slideshow={"slide_type": "notes"}
X_plain, _ = make_images(256, seed=0, channels=())      # the training images without their bars
with torch.no_grad():
    lift = (torch.relu(net.edges(X_train)).amax(dim=(2, 3))
            - torch.relu(net.edges(X_plain)).amax(dim=(2, 3)))   # (count, 8): the bar's effect on each peak
response = torch.stack([lift[y_train == k].mean(dim=0) for k in range(4)], dim=1)  # (8 detectors, 4 classes)


def describe(row):
    """A detector's label from its response to the four classes (red h, red v, green h, green v)."""
    colour = 0 if row[0] + row[1] >= row[2] + row[3] else 1
    h, v = row[2 * colour].item(), row[2 * colour + 1].item()
    name = [tr("red"), tr("green")][colour]
    return (tr("{colour} horizontal", colour=name) if h >= 1.5 * v else tr("{colour} vertical", colour=name)
            if v >= 1.5 * h else tr("{colour} bars", colour=name))


label = {j: describe(response[j]) if active[j] else tr("dead") for j in range(8)}
print(tr("the bar's effect on each detector's largest value, by class (training images):"))
print(pad(tr("detector"), 8) + "  " + "  ".join(pad(c, 16, ">") for c in CLASSES) + "  " + tr("label"))
for j in range(8):
    if active[j]:
        print(f"{j:8}  " + "  ".join(f"{x:+16.2f}" for x in response[j].tolist()) + f"  {label[j]}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 × 1层混合了什么
#
# $1 \times 1$层的权重$\mathbf{W}^{(2)}$形状为$(c_o, c_i, 1, 1) = (4, 8, 1, 1)$，就是一个$4 \times 8$矩阵：这里它的输入通道是检测器特征图$\mathbf{Z}_j$，输出通道是类别得分图$\mathbf{S}_o$。

# %% [markdown] slideshow={"slide_type": "notes"}
# 在每个像素$(u, v)$上

# %% [markdown] slideshow={"slide_type": "-"}
# $$\mathbf{S}_{o,u,v} = b^{(2)}_o + \sum_{j=0}^{7} W^{(2)}_{o,j}\, \mathbf{Z}_{j,u,v},$$

# %% [markdown] slideshow={"slide_type": "notes"}
# 其中$\mathbf{Z}_j$是第一层输出通道$j$（即上面的卷积核$\mathbf{W}^{(1)}_j$）经过ReLU的结果。矩阵的每一行说明哪些检测器投票支持某个类别（紫色，正），哪些投票反对（橙色，负）；死亡检测器的特征图处处为零，所以它们那一列无关紧要。检测器按它们响应的对象标注，取自上面的表。

# %% slideshow={"slide_type": "-"} tags=["slide-output-only"]
W2 = net.mix.weight.detach()[:, :, 0, 0]       # W⁽²⁾: (4, 8, 1, 1) -> (4, 8)
lim2 = W2.abs().max().item()
fig, ax = plt.subplots(figsize=(8.5, 3.4))
im = ax.imshow(W2.numpy(), cmap=DIVERGING, vmin=-lim2, vmax=lim2)
ax.set_yticks(range(4), CLASSES)
ax.set_xticks(range(8), [f"$j = {j}$\n" + label[j].replace(" ", "\n") for j in range(8)], fontsize=8)
ax.set_xlabel(tr(r"first-layer detector $j$ (what it responds to)"))
ax.set_title(tr(r"$1 \times 1$ layer: weight $W^{(2)}_{o,j}$ of detector $j$ in class $o$"))
fig.colorbar(im, ax=ax, label=tr("weight") + r" $W^{(2)}_{o,j}$")
fig.tight_layout()
plt.show()

# %% slideshow={"slide_type": "notes"}
for o, name in enumerate(CLASSES):
    votes = sorted(((W2[o, j].item(), j) for j in range(8) if active[j]), reverse=True)
    print(pad(name, 16) + ": " + ", ".join(tr("detector {j} ({label}) {w:+.2f}", j=j, label=label[j], w=w)
                                           for w, j in votes))

# %% [markdown] slideshow={"slide_type": "subslide"}
# $1 \times 1$层只混合通道，别的什么也不做：每个类别的得分图都是同一像素上各活跃检测器特征图的加权和（上面按投票从大到小列出）。

# %% [markdown] slideshow={"slide_type": "notes"}
# 没有哪个类别只依赖一个检测器：每个类别都加上一些检测器、减去另一些，而且一个类别可能把另一种颜色的检测器，或同色但方向不同的检测器，当作*反对*自己的证据：能激活这个检测器的短条，是支持另一个类别的证据。这正是$1 \times 1$层在网络中的作用：把下层的通道重新组合成下一阶段需要的通道，这里是每个类别一个通道。
#
# **在你自己的代码中用chanconv训练**：凡是要用`torch.nn.Conv2d`的地方都可以换成`chanconv.nn.Conv2d`（或在需要梯度的张量上调用`chanconv.conv2d`）；`method=`选择前向传播的方法，而那些写入缓冲区的方法通过本笔记本中从零实现的反向传播来训练。
