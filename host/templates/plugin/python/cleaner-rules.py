"""Pure title-cleaning rules: a port of js-cleaner's clean.js, tested natively
(tests/test_rules.py) before componentizing; app.py wraps them with the host's `log` and
`settings` imports.

clean_title(raw, extra_labels) -> the bare title, or "" when nothing usable remains.
parse_labels(text) -> the labels of the `extra_labels` setting.

Only `re` and builtins: the module runs inside componentize-py (CPython compiled to wasm),
where anything that needs the OS traps, including a lazy import (str.encode with a codec
other than UTF-8 imports one, hence _utf16_length).

Python's `re` and JavaScript's RegExp disagree in a few places. To give the same answers as
the JS cleaner, this module spells out JavaScript's meaning wherever they differ:

  whitespace   JS `\\s` and `trim()` take WhiteSpace and LineTerminator (`_WS` below);
               Python's `\\s` and `str.strip()` also take U+001C..U+001F and U+0085 but not
               U+FEFF. So patterns use `[{_WS}]` and strings are trimmed with `_trim`.
  `$`          JS `$` (no `m` flag) is the end of the text; Python's also matches before a
               final "\\n". Patterns use `\\Z`.
  `\\d`, `\\b`   ASCII in JS, Unicode in Python. Patterns use `[0-9]` and `_END_OF_WORD`.
  `/i`         JS compares simple case foldings; Python's IGNORECASE also equates "i" with
               "ı" and "İ". The case-insensitive patterns are therefore written in folded
               (lower) case and matched, without IGNORECASE, against `_fold(text)`: the text
               folded one code point for one code point, so positions found in the folded
               text are positions in the original.
  line ends    JS splits lines at \\r\\n, \\r, \\n, U+2028 and U+2029 only; Python's
               `str.splitlines()` splits at more (\\v, \\f, U+001C..U+001E, U+0085).
"""

import re

# Label prefixes an LLM puts before the title ("Translation:", "Here is the translation:").
# Lower case: they are matched against folded text (see _fold).
DEFAULT_LABELS = (
    "here is the translation",
    "here's the translation",
    "here is the translated title",
    "here's the translated title",
    "here is the english title",
    "the title translates to",
    "the translation is",
    "translated title",
    "english title",
    "title translation",
    "translation",
    "translated",
    "title",
    "answer",
    "result",
    "output",
    "english",
    # Chinese, simplified and traditional: "翻译结果：", "译文：", "好的，翻译如下：".
    "这是翻译后的标题",
    "這是翻譯後的標題",
    "以下是翻译",
    "以下是翻譯",
    "翻译结果是",
    "翻譯結果是",
    "翻译结果",
    "翻譯結果",
    "翻译如下",
    "翻譯如下",
    "翻译",
    "翻譯",
    "译文",
    "譯文",
    "译名",
    "譯名",
    "标题",
    "標題",
    # Japanese.
    "以下が翻訳です",
    "翻訳結果",
    "翻訳",
    "訳文",
    "訳",
    "タイトル",
)

# Courtesy an LLM opens its answer with ("好的！", "Sure,"): skipped before a label on the
# same line, and a line of nothing else (or of courtesy and "这是翻译后的标题。") is a lead-in.
# Lower case, as the labels.
COURTESY = (
    "sure",
    "okay",
    "ok",
    "certainly",
    "of course",
    "好的",
    "当然",
    "當然",
    "没问题",
    "沒問題",
    "はい",
    "もちろん",
    "かしこまりました",
    "承知しました",
)

# Opening quote -> closing quote.
QUOTES = {
    '"': '"',
    "'": "'",
    "“": "”",
    "‘": "’",
    "「": "」",
    "『": "』",
    "«": "»",
    "„": "“",
    "《": "》",
    "〈": "〉",
}

# Opening bracket -> closing bracket, for trailing notes.
BRACKETS = {
    "(": ")",
    "（": "）",
    "[": "]",
    "【": "】",
    "〔": "〕",
    "［": "］",
}
# Closing bracket -> opening bracket: a trailing note is found from its end.
_OPENERS = {close: open_ for open_, close in BRACKETS.items()}

# JavaScript's whitespace (`\s`, `trim()`): WhiteSpace (tab, VT, FF, space, NBSP, ZWNBSP
# and the Zs category) and LineTerminator. None of them is special inside a character class.
_WS = (
    "\t\n\v\f\r \xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_S = f"[{_WS}]"  # JS `\s`
_NOT_S = f"[^{_WS}]"  # JS `\S`
# JS `\b` right after a letter of the pattern: the next character is not an ASCII word
# character. (With /iu, JS also counts "ſ" and "K" (Kelvin sign) as word characters; they fold
# to "s" and "k", so on folded text this class covers them too.)
_END_OF_WORD = "(?![0-9A-Za-z_])"

# Kana, CJK ideographs and Hangul.
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]"
)
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")

# A bracketed part in a script the title does not use is the original, not part of the title:
# any CJK after a title without CJK ("Summer Festival (夏祭り)"), Japanese kana or Korean
# after a Chinese title ("夏日祭典（夏祭り）"). Ideographs after a Chinese or Japanese title
# may be part of it ("海边的夏天（第2部）").
_ORIGINAL_SCRIPTS = (_CJK, _KANA, _HANGUL)

# A letter or digit of the common scripts: the same ranges as the JS cleaner (which cannot
# use `\p{L}` inside its component), so both accept the same titles. Python's `re` has no
# `\p{...}`, and str.isalnum() would accept more scripts than the JS cleaner does.
_LETTER_OR_DIGIT = re.compile(
    r"[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u03ff"
    r"\u0400-\u052f\u0531-\u0587\u05d0-\u05ea\u0620-\u064a\u0660-\u0669\u0900-\u0dff"
    r"\u0e01-\u0e5b\u1e00-\u1fff\u3005-\u3007\u3041-\u3096\u30a1-\u30fa\u30fc-\u30ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff10-\uff19\uff21-\uff3a"
    r"\uff41-\uff5a\uff66-\uff9d]"
)

# Words that open a note inside brackets. Case-insensitive: match against _fold(text).
_NOTE_START = re.compile(
    rf"(?:translator'?s?{_S}+note|translation{_S}+note|notes?|n\.b\.|t/n|tn|lit\.|literally"
    rf"|literal(?:{_S}+translation)?|i\.e\.|e\.g\.|meaning|means|original(?:{_S}+title)?"
    r"|orig\.|romaji|romani[sz]ed|japanese|chinese|korean|or|aka"
    r"|注|註|訳注|原題|原文|直訳|意訳|備考|译注|譯註|譯注|备注|備註|注释|註釋|说明|說明"
    r"|原标题|原標題|原名|直译|直譯|意译|意譯)"
    rf"(?=\Z|[{_WS}:：,.;)\]）】])"
)

# What follows a title and starts an explanation: " - which means", ", meaning", ...
# Case-sensitive, as in the JS cleaner.
_TRAILING_EXPLANATION = re.compile(
    rf"{_S}*[-–—:,;]{_S}+(?:(?:which{_S}+(?:means|is|translates|refers|can)|meaning|means"
    rf"|literally|that{_S}+is|translated{_S}+as|translates{_S}+(?:to|as)"
    rf"|or{_S}+more{_S}+literally|in{_S}+english|roughly){_END_OF_WORD}|lit\.|i\.e\.).*\Z",
    re.DOTALL,
)

# Chinese and Japanese words that start an explanation after the title and its punctuation:
# "夏日祭典——意为…", "夏日祭典，意思是…", "夏日祭典。这个标题…", "夏日祭典。このタイトルは…".
CJK_EXPLANATION_WORDS = (
    # Chinese, simplified and traditional.
    "意为",
    "意為",
    "意思是",
    "意即",
    "直译",
    "直譯",
    "意译",
    "意譯",
    "字面意思",
    "译为",
    "譯為",
    "指的是",
    "这个标题",
    "這個標題",
    "该标题",
    "該標題",
    "这个翻译",
    "這個翻譯",
    "这个译名",
    "這個譯名",
    # Japanese.
    "このタイトル",
    "この翻訳",
    "この訳",
    "直訳",
    "意訳",
    "意味は",
    "つまり",
)

# A sentence after the title that explains it: "Blue Lantern Night. This title refers to ...".
# Case-sensitive, as in the JS cleaner.
_EXPLANATION_SENTENCE = re.compile(
    rf"(.+?[^{_WS}.])[.!。]{_S}+(?:This|These|That|It|Its|Here|Note|Literally"
    rf"|In{_S}+English|The{_S}+(?:title|word|words|phrase|original|name|translation|term"
    rf"|kanji|Japanese)){_END_OF_WORD}.*\Z",
    re.DOTALL,
)

# A quoted title followed by talk about it: '"Summer Festival" is the English translation',
# "“夏日祭典”是这个日文标题的中文翻译。". A Chinese or Japanese copula also joins a quoted
# word to the rest of a title ("“我”是谁"), so it counts only before a whole sentence.
# Case-insensitive: match against _fold(text). (`.` is JS's here: the text is one line.)
_AFTER_QUOTE = re.compile(
    rf"{_S}*(?:[-–—:,;(（，；：]|is{_END_OF_WORD}|was{_END_OF_WORD}|means{_END_OF_WORD}"
    rf"|which{_END_OF_WORD}|meaning{_END_OF_WORD}|translates{_END_OF_WORD}"
    rf"|would{_END_OF_WORD}|could{_END_OF_WORD}|can{_END_OF_WORD}|as{_S}+a{_END_OF_WORD}"
    rf"|[.。]{_S}*{_NOT_S}|(?:是|意为|意為|意思是|とは|という|は).*[.。!！]\Z)"
)

# A list marker at the start of a line: "1. ", "2) ", "1、", "- ", "• ", "# ", "> ". No space
# need follow "、", but a digit may not: "1、2、3木头人" is a title.
_LIST_MARKER = re.compile(
    rf"(?:[0-9]{{1,2}}[.)]{_S}+|[0-9]{{1,2}}、(?!{_S}*[0-9]){_S}*|[-•*·]{_S}+|#{{1,6}}{_S}+"
    rf"|>{_S}+)"
)

# Markdown emphasis around the whole text, tried in this order: **x**, __x__, *x*, _x_, `x`.
_EMPHASIS = tuple(
    re.compile(pattern, re.DOTALL)
    for pattern in (
        r"\*\*(.+)\*\*",
        r"__(.+)__",
        r"\*([^*].*[^*]|[^*])\*",
        r"_([^_].*[^_]|[^_])_",
        r"`([^`]+)`",
    )
)

# A single quote that opens or closes a word: "'A' and 'B'" is two quoted parts.
_LONE_APOSTROPHE = re.compile(rf"(?:^|{_S})'|'(?:{_S}|\Z)")

# JS line ends (see the module docstring), and runs of whitespace (U+3000 is among _WS).
_LINE_END = re.compile("\r\n|\r|\n|\u2028|\u2029")
_WHITESPACE_RUN = re.compile(f"{_S}+")


def _trim(text: str) -> str:
    """JavaScript's `trim()`: strips JS whitespace, which str.strip() does not quite match."""
    return text.strip(_WS)


def _fold_char(char: str) -> str:
    """The simple case folding of one character, as JS /iu compares them.

    str.casefold() is the full folding ("ß" -> "ss"); where that is longer than one
    character, the simple folding is the single-character lower case ("ẞ" -> "ß"), if any,
    else the character itself ("İ" stays "İ", so it does not match "i", as in JS).
    """
    folded = char.casefold()
    if len(folded) == 1:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char


def _fold(text: str) -> str:
    """The text with each character simply case-folded: same length, same positions."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(char) for char in text)


def _utf16_length(text: str) -> int:
    """JS `length`: UTF-16 code units. Labels are sorted by it, as the JS cleaner does.

    Counted by hand: text.encode("utf-16-le") would look the codec up, and that imports a
    module from the file system, which traps inside the component (--stub-wasi).
    """
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    """The words as one alternation; a space in a word matches any whitespace. Words of a
    pattern matched against _fold(text) are given folded."""
    trimmed = [word for word in map(_trim, words) if word]
    # Longest first, so "translated title" wins over "translated". The sort is stable, as
    # JS's, so words of one length keep their order.
    trimmed.sort(key=_utf16_length, reverse=True)
    return "|".join(
        f"{_S}+".join(re.escape(part) for part in _WHITESPACE_RUN.split(word))
        for word in trimmed
    )


# Any courtesy words, each ended by punctuation, space or the end ("好的，", "Sure! ").
# Folded, as the labels: the patterns that start with it match against _fold(text).
_COURTESY_PREFIX = (
    rf"(?:(?:{_alternation([_fold(word) for word in COURTESY])})(?:[{_WS},，、.。!！]+|\Z))*"
)

# One of CJK_EXPLANATION_WORDS after a dash or any punctuation, and the rest; unlike English,
# no space need follow the punctuation. Case-sensitive, as in the JS cleaner.
_CJK_TRAILING_EXPLANATION = re.compile(
    rf"{_S}*(?:[-–—]+|[,;:.!，；：。！]){_S}*(?:{_alternation(CJK_EXPLANATION_WORDS)}).*\Z",
    re.DOTALL,
)


def _label_pattern(labels: list[str]) -> re.Pattern[str]:
    """The pattern of a label prefix ("**Title:**", "Title：", "__Translation__:",
    "好的，翻译如下：" ...).

    Matched against _fold(line); its end is where the rest of the line starts.
    """
    alternatives = _alternation([_fold(label) for label in labels])
    # The emphasis closing after the label is the one that opened before it (in JS, \1
    # matches nothing when no emphasis opened; in Python it fails, and the `?` makes that
    # nothing), so "Translation: **Title**" keeps the title's own "**".
    return re.compile(
        rf"{_COURTESY_PREFIX}"
        rf"(\*\*|__|\*|_)?{_S}*(?:{alternatives}){_S}*(?:\1)?{_S}*[:：]{_S}*(?:\1)?{_S}*"
    )


def _announcement_pattern(labels: list[str]) -> re.Pattern[str]:
    """The pattern of a line that only opens the answer: courtesy ("好的！", "Sure."),
    perhaps with a label ended as a sentence ("好的，这是翻译后的标题。",
    "Here is the translation."). Matched against _fold(line)."""
    alternatives = _alternation([_fold(label) for label in labels])
    return re.compile(rf"{_COURTESY_PREFIX}(?:(?:{alternatives}){_S}*[.。!！]+)?\Z")


def _strip_label(text: str, labels: re.Pattern[str]) -> str:
    """The text without a label prefix at its start (JS: `text.replace(labels, '')`)."""
    match = labels.match(_fold(text))
    return text[match.end():] if match else text


def _non_blank_lines(text: str) -> list[str]:
    """The trimmed lines that are not blank, with \\r\\n and a lone \\r as line ends too."""
    return [line for line in map(_trim, _LINE_END.split(text)) if line]


def _is_lead_in(line: str, announcement: re.Pattern[str]) -> bool:
    """A lead-in line: one such as "Here is the translation:" or "Explanation:" (ends with a
    colon), or an announcement (see _announcement_pattern)."""
    bare = _trim(_strip_emphasis(line))
    return bare.endswith((":", "：")) or announcement.match(_fold(bare)) is not None


def _strip_list_marker(line: str) -> str:
    """The line without a list marker at its start ("1. ", "2) ", "- ", "• ", "# ")."""
    marker = _LIST_MARKER.match(line)
    return line[marker.end():] if marker else line


def _strip_emphasis(text: str) -> str:
    """The text without Markdown emphasis around all of it, however many layers ("**`x`**")."""
    while True:
        for pattern in _EMPHASIS:
            match = pattern.fullmatch(text)
            if match:
                text = _trim(match.group(1))
                break
        else:
            return text


def _strip_wrapping_quotes(text: str) -> str:
    """The text without one pair of quotes around all of it."""
    close = QUOTES.get(text[:1])
    if close is None or len(text) < 2 or text[-1] != close:
        return text
    inner = text[1:-1]
    # '"A" and "B"' is not wrapped: the inner part must not close the quote itself.
    if close != "'" and close in inner:
        return text
    # An apostrophe inside a word ("Director's Cut") does not close a single quote.
    if close == "'" and _LONE_APOSTROPHE.search(inner):
        return text
    return _trim(inner)


def _take_leading_quote(text: str) -> str:
    """A quoted title followed by an explanation keeps only the quoted part."""
    close = QUOTES.get(text[:1])
    if close is None:
        return text
    end = text.find(close, 1)
    # No closing quote, an empty quote, or the quote wraps all: not this rule's case.
    if end <= 1 or end == len(text) - 1:
        return text
    if not _AFTER_QUOTE.match(_fold(text[end + 1:])):
        return text
    return _trim(text[1:end])


def _strip_trailing_note(text: str) -> str:
    """The text without one trailing bracketed part when it is a note, a gloss or the
    original text; "(Part 2)" or "[Director's Cut]" stay."""
    close = text[-1:]
    open_ = _OPENERS.get(close)
    if open_ is None:
        return text
    # Find the matching opening bracket, allowing nesting of the same pair.
    depth = 0
    start = -1
    for index in range(len(text) - 1, -1, -1):
        if text[index] == close:
            depth += 1
        elif text[index] == open_:
            depth -= 1
            if depth == 0:
                start = index
                break
    if start <= 0:  # the whole text is bracketed, or unbalanced: leave it
        return text
    inside = _trim(text[start + 1:-1])
    before = _trim(text[:start])
    if not before:
        return text
    # 【】 hold notes in Japanese answers; other brackets must start like one or hold the
    # original (in a script the title does not use).
    is_note = (
        open_ == "【"
        or _NOTE_START.match(_fold(inside))
        or any(
            script.search(inside) and not script.search(before) for script in _ORIGINAL_SCRIPTS
        )
    )
    return before if is_note else text


def _strip_trailing_explanation(text: str) -> str:
    """The text without an explanation after it (" - which means ...", ". This title ...")."""
    text = _trim(_TRAILING_EXPLANATION.sub("", text, count=1))
    text = _trim(_CJK_TRAILING_EXPLANATION.sub("", text, count=1))
    sentence = _EXPLANATION_SENTENCE.match(text)
    if sentence:
        text = _trim(sentence.group(1))
    return text


def _collapse_whitespace(text: str) -> str:
    """Runs of whitespace (ideographic space included) as one space, none at the ends."""
    return _trim(_WHITESPACE_RUN.sub(" ", text))


def _clean_line(line: str, labels: re.Pattern[str], steps: list[str]) -> str:
    """One pass of the single-line rules, in order; the caller repeats until nothing changes.

    A rule's result is taken only when it changed something and left something: no rule may
    empty the line (a title in quotes is not removed by the quote rule).
    """
    rules = (
        ("prefix", lambda text: _trim(_strip_label(text, labels))),
        ("list-marker", _strip_list_marker),
        ("emphasis", _strip_emphasis),
        ("quotes", _strip_wrapping_quotes),
        ("quoted-title", _take_leading_quote),
        ("note", _strip_trailing_note),
        ("explanation", _strip_trailing_explanation),
        ("whitespace", _collapse_whitespace),
    )
    for name, rule in rules:
        cleaned = rule(line)
        if cleaned != line and cleaned:
            steps.append(name)
            line = cleaned
    return line


def clean_title(raw: str, extra_labels: list[str], steps: list[str] | None = None) -> str:
    """Cleans an LLM's answer into a bare title; "" when nothing usable remains.

    extra_labels: more label prefixes to strip (from the `extra_labels` setting, see
    parse_labels). steps, when given, collects the names of the rules that changed
    something, in order and with repeats (for the debug log).
    """
    if steps is None:
        steps = []
    all_labels = [*DEFAULT_LABELS, *(extra_labels or ())]
    labels = _label_pattern(all_labels)
    announcement = _announcement_pattern(all_labels)
    lines = _non_blank_lines("" if raw is None else str(raw))
    if not lines:
        return ""

    # The title is the first line that is not a lead-in ("Here is the translation:",
    # "The title translates to:"); everything after it is explanation, notes or a list.
    title = None
    for line in lines:
        rest = _trim(_strip_label(line, labels))
        if rest and not _is_lead_in(rest, announcement):
            title = line
            break
    if title is None:
        # Only lead-ins: "Translation:" alone is nothing usable; "Re: Zero:" may be a title.
        title = lines[0] if _trim(_strip_label(lines[0], labels)) else ""
    if len(lines) > 1:
        steps.append("first-line")

    # Rules uncover each other ("**Title:** *x*" needs prefix, then emphasis, then prefix
    # again...); a few passes settle every case, and the bound keeps a bad case finite.
    for _ in range(8):
        cleaned = _clean_line(title, labels, steps)
        if cleaned == title:
            break
        title = cleaned
    title = _collapse_whitespace(title)
    # Quotes, asterisks or dots alone are not a title.
    if not _LETTER_OR_DIGIT.search(title):
        return ""
    return title


def parse_labels(text: str | None) -> list[str]:
    """The labels of the `extra_labels` setting: separated by `|` or newlines, trimmed,
    blanks dropped; [] when the setting is unset or empty."""
    if not text:
        return []
    return [label for label in map(_trim, re.split(r"[|\n]", text)) if label]
