"""What a student reads from the code, in the edition's language (issue 26): the catalogs, the terminology, and
Chinese where the Chinese edition switches to it (errors, figures, the explorer, the checkers), English by default.

The catalogs are checked against the source: every message marked in chanconv/ is in chanconv.pot (extracted
here in memory, with the Makefile's keywords and pyproject.toml's mapping), every language's .po has all of them
translated (nothing empty, nothing fuzzy), with the same {placeholders}, in the terms of locale/terms.csv, and its
compiled .mo says the same as the .po.
"""

import gettext
import io
import re
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.frontend import parse_keywords  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

import chanconv  # noqa: E402
from chanconv.core import fonts, i18n  # noqa: E402
from chanconv.core.i18n import LANGUAGES, LOCALE_DIR, Term, language, term_problems, terms  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
NEEDS_FONT = pytest.mark.skipif(fonts.cjk_font() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def catalog(lang):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "chanconv.po", "rb") as f:
        return read_po(f)


def entries(cat):
    """(msgids, msgstrs) of every message: a plural has its two ids and its forms."""
    for m in cat:
        if m.id:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strs = m.string if isinstance(m.string, tuple) else (m.string,)
            yield m, ids, strs


def fields(text):
    """The {placeholders} of a message, with their format specs."""
    return {(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


# -- the catalogs ------------------------------------------------------------------------------------------------
def extracted() -> dict:
    """msgid -> plural id (or None) of every message marked in chanconv/ and in the English notebooks' text pairs
    (notebooks/*.py, tr()), as `make i18n` extracts them."""
    make = (ROOT / "Makefile").read_text()
    keywords = re.search(r"^I18N_KEYWORDS\s*:=\s*(.+)$", make, re.M).group(1).split("-k")
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babel"]["mappings"]
    out = {}
    for folder in ("chanconv", "notebooks"):
        for _, _, message, _, _ in extract_from_dir(str(ROOT / folder), [(m["pattern"], m["method"]) for m in mapping],
                                                    keywords=parse_keywords([k.strip() for k in keywords if k.strip()])):
            singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
            out[singular] = plural
    return out


def test_the_template_holds_every_marked_message_and_no_other():
    with open(LOCALE_DIR / "chanconv.pot", "rb") as f:
        pot = {m.id[0] if isinstance(m.id, tuple) else m.id: (m.id[1] if isinstance(m.id, tuple) else None)
               for m in read_po(f) if m.id}
    source = extracted()
    assert len(source) > 250, "the extraction finds chanconv's messages"
    assert pot == source, ("chanconv.pot is out of date: run `make i18n`. New: "
                           f"{sorted(set(source) - set(pot))[:5]}; gone: {sorted(set(pot) - set(source))[:5]}")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    cat = catalog(lang)
    source = extracted()
    ids = {ids[0] for _, ids, _ in entries(cat)}
    assert ids == set(source), f"{lang}: the catalog is not updated from chanconv.pot: run `make i18n`"
    empty = [ids[0] for m, ids, strs in entries(cat) if not all(s.strip() for s in strs)]
    fuzzy = [ids[0] for m, ids, strs in entries(cat) if m.fuzzy]
    assert not empty, f"{lang}: {len(empty)} untranslated, e.g. {empty[:3]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy (check and unmark them), e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_the_same_in_every_translation(lang):
    wrong = [(ids[0], s) for _, ids, strs in entries(catalog(lang)) for s in strs if fields(s) != fields(ids[-1])]
    assert not wrong, "\n".join(f"{i!r}\n  -> {s!r}" for i, s in wrong)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_compiled_catalog_is_the_catalog(lang):
    """The .mo that gettext reads (and the wheel ships) is the .po compiled: compiled here in memory, the same."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog(lang))
    mine = gettext.GNUTranslations(io.BytesIO(buffer.getvalue()))
    shipped = gettext.GNUTranslations(open(LOCALE_DIR / lang / "LC_MESSAGES" / "chanconv.mo", "rb"))
    assert shipped._catalog == mine._catalog, f"{lang}: chanconv.mo is stale: run `make i18n`"
    assert len(mine._catalog) > 250


# -- the terminology -----------------------------------------------------------------------------------------
ISSUE_TERMS = {  # issue 26's list: each English term renders as this one Chinese term
    "channel": "通道", "input channel": "输入通道", "output channel": "输出通道", "kernel": "卷积核",
    "cross-correlation": "互相关运算", "padding": "填充", "stride": "步幅", "receptive field": "感受野",
    "fully connected layer": "全连接层", "bias": "偏置", "feature map": "特征图", "kernel tensor": "卷积核张量",
    "weight": "权重", "dilation": "膨胀", "groups": "分组", "FLOP": "浮点运算", "partial map": "部分和图",
    "picked element": "选中的元素", "exercise": "练习", "hint": "提示",
}


def test_the_terminology_table_holds_the_issues_terms_once_each():
    table = {t.english: t for t in terms()}
    assert len(table) == len(terms()), "an English term twice"
    for english, chinese in ISSUE_TERMS.items():
        assert table[english].chinese == chinese, english
    assert "乘加" in table["multiply-add"].chinese and "乘加次数" in table["MACs"].chinese
    assert "偏差" in table["bias"].avoid and "核" in table["kernel"].avoid
    for t in terms():  # an avoided rendering is never another term's rendering
        assert not set(t.avoid) & {u.chinese for u in terms()}, t


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_translation_keeps_the_terms_and_the_lectures_symbols(lang):
    problems = [f"{ids[0]!r}\n  -> {s!r}: {p}" for _, ids, strs in entries(catalog(lang)) for s in strs
                for p in term_problems(ids[-1], s)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("en", "zh", "wanted"), [
    ("the input channels", "输入通道", []),
    ("the bias b", "偏差 b", ["'bias' is '偏置' here", "not '偏差'"]),
    ("the bias b", "偏置 b（偏差）", ["not '偏差'"]),
    ("one kernel per channel", "每个通道一个核", ["'kernel' is '卷积核' here", "not '核'"]),
    ("one kernel per channel", "每个通道一个卷积核", []),
    ("the kernel block K[0]", "卷积核块 K[0]", []),
    ("Stride and Padding", "步长和填充", ["'stride' is '步幅' here", "not '步长'"]),
    ("an input channel", "一个通道", ["'input channel' is '输入通道' here"]),  # longest match first
    ("multiply-adds", "乘加次数", []),
    ("FLOPs and FLOP/byte", "浮点运算次数与 FLOP/byte", []),
    ("c_i / groups input channels", "c_i / groups 个输入通道", []),  # notation, not the word
    ("{kernels} of the layer", "该层的 {kernels}", []),  # a placeholder, not the word
    ("K has shape (c_o, c_i, k_h, k_w)", "K 的形状为 (c_o, c_i, kh, kw)", ["the symbol k_h", "the symbol k_w",
                                                                       "the shape (c_o, c_i, k_h, k_w)"]),
    ("the Python 3 kernel", "Python 3 内核", []),  # Jupyter's kernel, a term of its own
])
def test_term_problems_finds_what_breaks_the_terminology(en, zh, wanted):
    found = term_problems(en, zh)
    assert len(found) == len(wanted), found
    for part, problem in zip(wanted, found):
        assert part in problem, (part, found)


def test_term_problems_takes_another_table():
    table = (Term("output channel", "输出通道"), Term("channel", "通道", ("频道",)))
    assert term_problems("two output channels", "两个输出频道", table) == [
        "'output channel' is '输出通道' here, not found in the translation"]


# -- English by default ----------------------------------------------------------------------------------------
def test_english_is_the_default_and_reads_as_before():
    assert chanconv.get_language() == "en"
    with pytest.raises(ValueError) as err:
        chanconv.conv2d(torch.ones(3, 5, 5), torch.ones(2, 2, 3, 3))
    assert str(err.value) == ("X has 3 input channels but the weight expects 2: X.shape = (3, 5, 5), "
                              "weight.shape = (2, 2, 3, 3) is (c_o, c_i, k_h, k_w); c_i must agree")
    with pytest.raises(ValueError) as err:
        chanconv.conv2d(torch.ones(1, 2, 2), torch.ones(1, 1, 3, 3), padding=1, dilation=2)
    assert str(err.value) == ("the 3×3 kernel (k_h × k_w) with dilation (2, 2) spans 5×5 and is larger than the "
                              "padded 4×4 input (n_h × n_w = 2×2, padding (1, 1)): use a smaller kernel or "
                              "dilation, a larger input or more padding")
    from chanconv.exercises.verdicts import Verdict

    assert Verdict("1a", "not yet", "a hint").line == "✗ not yet: a hint"
    assert Verdict("1a", "right", "").line == "✓ right"


def test_an_unknown_language_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match=r"language 'fr' is not one of chanconv's: en, zh"):
        chanconv.set_language("fr")
    monkeypatch.setenv("CHANCONV_LANG", "klingon")
    with pytest.raises(ValueError, match=r"CHANCONV_LANG: language 'klingon' is not one of chanconv's"):
        chanconv.get_language()
    monkeypatch.setenv("CHANCONV_LANG", " ZH ")
    assert chanconv.get_language() == "zh"
    with language("en"):
        assert chanconv.get_language() == "en"  # set_language and language() come before the variable
    assert chanconv.get_language() == "zh"


def test_the_environment_variable_chooses_chinese_in_a_fresh_process():
    code = ("import torch, chanconv\n"
            "try:\n    chanconv.conv2d(torch.ones(3, 5, 5), torch.ones(2, 2, 3, 3))\n"
            "except ValueError as e:\n    print(chanconv.get_language(), e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PATH": "/usr/bin:/bin", "CHANCONV_LANG": "zh", "PYTHONPATH": str(ROOT)}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("zh X 有 3 个输入通道，但权重需要 2 个") and "(c_o, c_i, k_h, k_w)" in run.stdout


# -- Chinese, where the Chinese edition switches to it -----------------------------------------------------------
def test_a_bad_input_error_is_chinese_and_names_the_shapes(zh):
    with pytest.raises(ValueError) as err:
        chanconv.conv2d(torch.ones(3, 5, 5), torch.ones(2, 2, 3, 3))
    text = str(err.value)
    assert CJK.search(text) and "(3, 5, 5)" in text and "(2, 2, 3, 3)" in text and "(c_o, c_i, k_h, k_w)" in text
    with pytest.raises(ValueError, match="步幅"):
        chanconv.conv2d(torch.ones(2, 5, 5), torch.ones(2, 2, 3, 3), stride=2, padding="same")
    with pytest.raises(TypeError, match="张量"):
        chanconv.corr2d_multi_in([[1.0]], torch.ones(1, 1, 1))
    with pytest.raises(ValueError, match="偏置"):
        chanconv.conv2d(torch.ones(2, 3, 3), torch.ones(3, 2, 2, 2), torch.ones(2))


def test_the_explorer_speaks_chinese(zh):
    from chanconv.explorer.payload import text_lines, ui_strings
    from chanconv.explorer.state import Settings, explore
    from chanconv.explorer.widget import ChannelExplorer

    state = explore(Settings(c_i=3, k_h=5, k_w=5))  # the lecture's X and K left, no output: notes and message
    assert all(CJK.search(n) for n in state.notes) and len(state.notes) == 2
    assert state.message.startswith("没有输出 Y：") and "5×5" in state.message
    assert "参数" in state.summary and "X: (c_i, n_h, n_w) = (3, 3, 3)" in state.summary
    line = text_lines(explore(Settings()))["torch"]
    assert line.startswith("torch.nn.Conv2d(2, 3, kernel_size=(2, 2)") and "给出相同的 Y：是" in line
    ex = ChannelExplorer(device="cpu")
    assert ex.controls["preset"].description == "卷积核 K" and ex.view.strings == ui_strings()
    assert ex.view.strings["the_sum"] == "和" and ex.controls["source"].options[0][0] == "讲座中的 X"
    with language("en"):
        english = explore(Settings(c_i=3, k_h=5, k_w=5))  # the tensors are cached, the words are not
    assert english.message.startswith("no output Y: the 5×5 kernel") and english.notes[0].startswith("c_i × n_h")


def test_a_checker_says_its_verdict_in_chinese(zh, capsys):
    from chanconv.exercises import check_combined_kernel_size, reset

    reset()
    verdict = check_combined_kernel_size(lambda k1, k2: k1 + k2)
    assert capsys.readouterr().out.startswith("✗ 还不对：在纸上试试 k1 = 2，k2 = 3")
    assert not verdict and CJK.search(verdict.message) and "提示" in verdict.message
    assert check_combined_kernel_size(lambda k1, k2: k1 + k2 - 1)
    assert capsys.readouterr().out.strip() == "✓ 正确"
    reset()


# -- figures ---------------------------------------------------------------------------------------------------
def all_text(fig):
    out = [fig._suptitle.get_text() if fig._suptitle else ""] + [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()] + [t.get_text() for t in ax.texts]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return [t for t in out if t]


def draw_every_figure():
    from chanconv.course.data import lecture_K, lecture_X
    from chanconv.course.figures import plot_element, plot_multi_in_out, plot_partial_maps, plot_volume
    from chanconv.perf.figures import plot_roofline
    from chanconv.perf.roofline import roof_peaks

    X, K = lecture_X(), lecture_K()
    K3 = torch.stack([K, K + 1, K + 2])
    points = [dict(label="lecture", intensity=2.0, gflops=10.0, method="torch"),
              dict(label="lecture", intensity=2.0, gflops=5.0, method="winograd")]
    return {"element": plot_element(X, K), "partial maps": plot_partial_maps(X, K3, 1, bias=torch.ones(3)),
            "multi in out": plot_multi_in_out(X, K3, bias=torch.ones(3)), "volume": plot_volume(c_o=2),
            "roofline": plot_roofline(points, roof_peaks(100.0), 20.0, nominal=("winograd",), cpu="CPU")}


@NEEDS_FONT
def test_figures_in_chinese_are_drawn_with_a_cjk_font_and_no_missing_glyph(zh, caplog, recwarn):
    figures = draw_every_figure()
    for name, fig in figures.items():
        fig.canvas.draw()
        words = all_text(fig)
        assert sum(bool(CJK.search(t)) for t in words) >= 2, (name, words)
        assert not any(re.search(r"\b(input|output|kernel|channel|sum)\b", t) for t in words), (name, words)
    assert "输入通道" in " ".join(all_text(figures["element"]))
    assert any("卷积核块" in t for t in all_text(figures["volume"]))
    roof_words = " ".join(all_text(figures["roofline"]))  # the peaks' names, written on their lines too
    assert "可达峰值（矩阵乘法）：100 GFLOP/s" in roof_words and "attainable" not in roof_words
    missing = [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
    missing += [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    family = figures["element"].axes[0].title.get_fontfamily()
    assert family[0] == fonts.cjk_font()  # first: the text around a formula is drawn in the first family alone


def test_a_notebooks_own_words_are_in_the_language_in_use_with_their_values(zh, monkeypatch):
    """chanconv.tr, for what a notebook's code prints and draws: the catalog's words, the values filled in by name
    with their format specs; English outside the Chinese edition."""
    monkeypatch.setattr(fonts, "cjk_font", lambda: "Noto Sans CJK SC")  # a font can draw it: the words are Chinese
    assert chanconv.tr("time against channels") == "时间随通道数的变化"
    assert chanconv.tr("{times:8.0f}× faster than loops", times=1234.4) == "比 loops 快     1234×"
    with language("en"):
        assert chanconv.tr("{times:8.0f}× faster than loops", times=1234.4) == "    1234× faster than loops"
        assert chanconv.tr("a sentence no catalog has") == "a sentence no catalog has"
    assert i18n.pad("红色水平", 16, ">") == " " * 8 + "红色水平" and i18n.pad("red", 5) == "red  "


def test_without_a_cjk_font_a_notebooks_own_words_stay_english_too(zh, monkeypatch, capsys):
    """A notebook's words may be a figure's title: with no font to draw Chinese they stay English (and the one
    line says why), like chanconv's own labels."""
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_noted", [False])
    assert chanconv.tr("time against channels") == "time against channels"
    assert chanconv.tr("test image: {name}", name="vertical") == "test image: vertical"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fonts-noto-cjk" in err
    assert chanconv.get_language() == "zh" and i18n._("device:") == "设备:"  # the rest stays Chinese


def test_without_a_cjk_font_the_labels_stay_english_and_one_line_says_why(zh, monkeypatch, capsys):
    from chanconv.course.data import lecture_K, lecture_X
    from chanconv.course.figures import plot_element

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_noted", [False])
    first = all_text(plot_element(lecture_X(), lecture_K()))
    second = all_text(plot_element(lecture_X(), lecture_K()))
    assert first == second and not any(CJK.search(t) for t in first) and "input channel $\\mathbf{X}_{0}$" in first
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fonts-noto-cjk" in err and CJK.search(err)  # once, in the student's language
    assert chanconv.get_language() == "zh"  # the figure's English did not leak out


def test_english_figures_keep_their_font_and_words():
    from chanconv.course.data import lecture_K, lecture_X
    from chanconv.course.figures import plot_element

    fig = plot_element(lecture_X(), lecture_K())
    assert fig.axes[0].title.get_fontfamily() == list(matplotlib.rcParams["font.family"])
    assert "input channel $\\mathbf{X}_{0}$" in all_text(fig)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_figure_function_puts_back_only_the_font(lang):
    """In a notebook the inline backend turns the interactive mode on at the first figure, inside the first figure
    function called: that must stay on (an rc_context put it back, and no later figure was shown)."""
    @fonts.localized
    def figure():
        matplotlib.interactive(True)
        return plt.figure()

    family, was = list(matplotlib.rcParams["font.family"]), matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with language(lang):
            figure()
        assert matplotlib.is_interactive()
        assert list(matplotlib.rcParams["font.family"]) == family
    finally:
        matplotlib.interactive(was)


def test_a_notebooks_own_figures_can_take_the_font(zh, monkeypatch):
    monkeypatch.setattr(matplotlib, "rcParams", matplotlib.RcParams(matplotlib.rcParams.copy()))
    monkeypatch.setattr(fonts.mpl, "rcParams", matplotlib.rcParams)
    font = fonts.use_language_font()
    assert font == fonts.cjk_font()
    if font is not None:
        assert matplotlib.rcParams["font.family"][0] == font


# -- the explorer's page holds no words of its own -------------------------------------------------------------------
JS = ROOT / "chanconv" / "explorer" / "explorer.js"


def test_the_explorer_page_draws_only_words_python_sends():
    """explorer.js asks for its words by key (``this.t(key)``, ``tr(S, key)``): every key it asks for is in
    UI_STRINGS, every key of UI_STRINGS is asked for, and no string in its code holds English words."""
    from chanconv.explorer.payload import UI_STRINGS

    source = JS.read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("//"))
    asked = set(re.findall(r'(?:this\.t|\btr)\((?:S, )?"(\w+)"', code))
    for a, b in re.findall(r'(?:this\.t|\btr)\((?:S, )?[^;"]*?\? "(\w+)" : "(\w+)"', code):
        asked |= {a, b}
    assert len(asked) > 30 and asked <= set(UI_STRINGS), f"asked for but not sent: {asked - set(UI_STRINGS)}"
    quoted = set(re.findall(r'"(\w+)"', code))
    assert set(UI_STRINGS) <= quoted, f"sent but never asked for: {set(UI_STRINGS) - quoted}"
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`', code)
    words = [a or b for a, b in literals if re.search(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}",
                                                      re.sub(r"\$\{[^}]*\}", " ", a or b))]
    assert not words, f"English words in explorer.js (send them from Python, UI_STRINGS): {words[:5]}"


def test_i18n_reads_the_catalog_once_per_language():
    assert i18n.translator("zh") is i18n.translator("zh")
    assert isinstance(i18n.translator("en"), gettext.NullTranslations)
