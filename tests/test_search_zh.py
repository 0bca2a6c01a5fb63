"""The Chinese site's search (scripts/search_zh.py): the index cuts Chinese into characters and pairs of
characters, the search page cuts a query into the same pieces, so every piece of a query is a term of the
index wherever the page holds the query's text. The page's splitter is run in Node (test_site runs it in
the built site, in Chromium)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import search_zh  # noqa: E402

NODE = shutil.which("node")


def indexed(text: str) -> set[str]:
    lang = search_zh.SearchChineseCharacters({})
    return {lang.stem(w) for w in lang.split(text) if lang.word_filter(lang.stem(w))}


def test_chinese_is_indexed_by_characters_and_pairs_latin_words_as_english():
    terms = indexed("卷积核的输出通道：im2col 和 Conv2d channels")
    assert {"卷", "积", "核", "卷积", "积核", "输出", "出通", "通道", "核的"} <= terms
    assert {"im2col", "conv2d", "channel"} <= terms  # Sphinx's Chinese search stems Latin words as English
    assert "：" not in "".join(terms) and "和" in terms


def split_in_node(queries):
    script = search_zh.JS_SPLITTER + f"\nconsole.log(JSON.stringify({json.dumps(queries)}.map(splitQuery)));"
    run = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.skipif(NODE is None, reason="no Node.js here (apt-get install nodejs)")
def test_the_page_cuts_a_query_into_pieces_the_index_holds():
    text = "每个输出通道把各输入通道上的一次互相关运算结果相加，再加上偏置（im2col 也一样）。"
    queries = ["输出通道", "互相关运算", "偏置", "核", "im2col", "输出通道 偏置", "一次互相关"]
    pieces = split_in_node(queries)
    assert pieces[0] == ["输出", "出通", "通道"] and pieces[3] == ["核"] and pieces[4] == ["im2col"]
    assert pieces[5] == ["输出", "出通", "通道", "偏置"]
    terms = indexed(text)
    for query, parts in zip(queries, pieces):
        if query != "核":
            assert set(parts) <= terms, (query, set(parts) - terms)
    assert not set(split_in_node(["天气预报"])[0]) <= terms, "a phrase the text does not hold is not found"
