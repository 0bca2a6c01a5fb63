"""Search for the Chinese site (a Sphinx extension that ``scripts/build_site.py`` loads for ``_build/site/zh/``).

Sphinx's own Chinese search (``sphinx.search.zh``) cuts the text into words with jieba and indexes only
the Latin words when jieba is not installed: no Chinese word would be found. Instead of a dictionary,
this indexes what needs none: every Chinese character and every pair of neighbouring characters
(卷积核 → 卷, 积, 核, 卷积, 积核); the search page cuts a query the same way (``JS_SPLITTER``) and, as
Sphinx does, shows the pages that hold all of its pieces. So any Chinese word or phrase is found, a
term the dictionary lacks too (输出通道, 互相关运算), and a single character as well. Latin words
(``im2col``, ``Conv2d``, PyTorch) are indexed as Sphinx's Chinese search does: stemmed as English.
It runs offline in the page, like the rest of Sphinx's search. (Sphinx 9's Chinese search page also
fails in the browser: it names a JavaScript stemmer that does not exist; see ``language_name``.)
"""

from __future__ import annotations

import re

from sphinx.search.zh import SearchChinese

HAN_CLASS = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff"  # CJK ideographs: unified, extension A, compatibility
HAN = re.compile(f"[{HAN_CLASS}]+")
HAN_OR_OTHER = re.compile(f"[{HAN_CLASS}]+|[^{HAN_CLASS}]+")

# The page's query splitter (Sphinx's default splits on what is not a letter, digit or _; a run of Chinese
# characters is then cut into its pairs, a single character kept). Written without < > & and quotes (no =>): Sphinx
# pastes it into language_data.js through its template.
JS_SPLITTER = """
function splitQuery(query) {
  const han = /^[HAN]/;
  const parts = /[HAN]+|[^HAN]+/g;
  const terms = [];
  query.split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu).filter(Boolean).forEach(function (run) {
    (run.match(parts) || []).forEach(function (part) {
      if (!han.test(part) || part.length === 1) terms.push(part);
      else for (let i = 1; i !== part.length; i++) terms.push(part.slice(i - 1, i + 1));
    });
  });
  return terms;
}
""".replace("HAN", HAN_CLASS)


def pieces(text: str) -> list[str]:
    """What a run of Chinese characters is indexed as: each character and each pair of neighbours."""
    return list(text) + [text[i:i + 2] for i in range(len(text) - 1)]


class SearchChineseCharacters(SearchChinese):
    """Chinese by characters and pairs of characters, Latin words as English (see the module's doc)."""

    js_splitter_code = JS_SPLITTER
    # Sphinx names the page's stemmer after language_name ("window.Stemmer = ChineseStemmer", which no file
    # defines: its own Chinese search page stops there); the stemmer it loads is the English one, as for ours
    language_name = "English"

    def split(self, input: str) -> list[str]:
        terms = []
        for run in re.findall(r"\w+", input):
            for part in HAN_OR_OTHER.findall(run):
                if HAN.fullmatch(part):
                    terms += pieces(part)
                else:
                    self.latin_terms.add(part)
                    terms.append(part)
        return terms

    def word_filter(self, stemmed_word: str) -> bool:
        if HAN.fullmatch(stemmed_word):
            return True
        return len(stemmed_word) > 1 and not stemmed_word.isdigit() and stemmed_word not in self.stopwords

    def stem(self, word: str) -> str:
        return word if HAN.search(word) else super().stem(word)


def setup(app):
    app.add_search_language(SearchChineseCharacters)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
