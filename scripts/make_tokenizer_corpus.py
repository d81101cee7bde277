#!/usr/bin/env python3
"""Writes tests/tokenizer/corpus.txt, the tokenizer parity corpus: one test case per line.

Deterministic (fixed seed, sources that ship with Python and Debian). Lines are split on "\\n"
only, so lines ending in "\\r" stand for "\\r\\n" text. Covers: English prose, code with tabs and
long whitespace runs, numbers and digit runs, CJK, Arabic, Hindi, emoji (ZWJ sequences, skin
tones), combining marks, leading/trailing spaces, special tokens inside text, very long words,
contractions, unusual whitespace.
"""
import inspect
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests/tokenizer/corpus.txt")
rng = random.Random(20261127)
lines = []


def add(line):
    assert "\n" not in line
    lines.append(line)


# English prose: the Apache license and the Zen of Python.
with open("/usr/share/common-licenses/Apache-2.0", encoding="utf-8") as f:
    for line in f.read().split("\n"):
        add(line)
import codecs  # noqa: E402
import this  # noqa: E402,F401  (prints the Zen once; harmless)
for line in codecs.decode(this.s, "rot13").split("\n"):
    add(line)

# Code: source of a fixed list of stdlib modules, as written (tabs are rare there, so add some).
import json, textwrap, string, shlex, fractions, heapq, bisect, colorsys  # noqa: E401,E402
for module in (json.decoder, textwrap, string, shlex, fractions, heapq, bisect, colorsys):
    for line in inspect.getsource(module).split("\n"):
        add(line)
for i in range(300):
    indent = rng.choice(["\t", "\t\t", "    ", " " * rng.randint(1, 40), "\t" * rng.randint(1, 6)])
    code = rng.choice(["if (x == y) {", "return a[i] + b[j];", "for i in range(10):", "}", "x := <-ch",
                       "#include <vector>", "def f(*args, **kw):", "SELECT * FROM t WHERE id = 42;"])
    trail = rng.choice(["", " ", "  ", "\t", " " * rng.randint(2, 30)])
    add(indent + code + trail)

# Numbers and digit runs.
for i in range(400):
    kind = i % 8
    if kind == 0:
        add(str(rng.randint(0, 10 ** rng.randint(1, 40))))
    elif kind == 1:
        add(f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 9)}f}")
    elif kind == 2:
        add(f"{rng.randint(1, 10**9):,} items at ${rng.randint(1, 999)}.{rng.randint(0, 99):02d}")
    elif kind == 3:
        add(f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}")
    elif kind == 4:
        add(f"0x{rng.getrandbits(rng.randint(4, 128)):x} and 0b{rng.getrandbits(12):b}")
    elif kind == 5:
        add("".join(rng.choice("0123456789") for _ in range(rng.randint(50, 300))))
    elif kind == 6:
        add(f"The 258 type errors became {rng.randint(0, 999)} after {rng.randint(1, 99)}ms (p95: {rng.randint(100, 900)} ms).")
    else:
        add(" ".join(str(rng.randint(0, 99999)) for _ in range(rng.randint(2, 12))))

# Scripts: CJK, Japanese kana, Korean, Arabic, Hindi, mixed.
scripts = {
    "zh": ["模型取证研究为什么智能体会删除监控代码。", "这是一个测试句子，包含标点符号！", "我们需要知道它是否故意这样做？", "延迟压力和监督之间的权衡。"],
    "ja": ["エージェントは監視設定を削除しました。", "ひらがなとカタカナと漢字を混ぜた文です。", "これはテストです！（括弧）", "東京都渋谷区１２３番地"],
    "ko": ["에이전트가 감시 코드를 삭제했습니다.", "한국어 문장은 띄어쓰기를 사용합니다.", "왜 그랬는지 알아야 합니다?"],
    "ar": ["قام الوكيل بحذف ملف المراقبة.", "هل كان ذلك متعمدًا أم عن طريق الخطأ؟", "النص العربي يُكتب من اليمين إلى اليسار ١٢٣٤٥."],
    "hi": ["एजेंट ने निगरानी फ़ाइल हटा दी।", "क्या यह जानबूझकर किया गया था?", "हिंदी में संयुक्ताक्षर जैसे क्ष, त्र, ज्ञ होते हैं।"],
}
for i in range(900):
    language = rng.choice(sorted(scripts))
    parts = [rng.choice(scripts[language]) for _ in range(rng.randint(1, 3))]
    if i % 5 == 0:
        parts.insert(rng.randint(0, len(parts)), rng.choice(["latency", "rm -f config/oversight.yaml", "2026", "OK!"]))
    add(rng.choice([" ", "", "  "]).join(parts))

# Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
emoji = ["👨‍👩‍👧‍👦", "👩‍💻", "🏳️‍🌈", "👍🏽", "👋🏿", "🧑🏻‍🚀", "❤️", "🇯🇵", "🇺🇸", "1️⃣", "😀", "🙈🙉🙊", "👁️‍🗨️", "🤷‍♀️"]
for i in range(400):
    words = []
    for _ in range(rng.randint(1, 8)):
        words.append(rng.choice(emoji) if rng.random() < 0.5 else rng.choice(["ok", "done", "deleted", "the monitor", "wow"]))
    add(rng.choice([" ", "", "  "]).join(words))

# Combining marks, decomposed text, Vietnamese, stacked diacritics, decomposed Hangul jamo.
combining = ["e\u0301", "a\u0308", "n\u0303", "o\u0302\u0301", "Z\u0351\u0352\u0353\u0354", "\u1100\u1161\u11a8",
             "\u1112\u1161\u11ab\u1100\u1173\u11af", "Tiếng Việt có dấu", "cafe\u0301", "A\u030a", "\u0915\u094d\u0937"]
for i in range(300):
    add(" ".join(rng.choice(combining) + rng.choice(["", "s", " ok", "!"]) for _ in range(rng.randint(1, 6))))

# Special tokens inside text, near misses.
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>", "<s>", "</s>",
            "<unk>", "[UNK]", "<|endoftext|", "< s>", "<|im_start|>assistant", "<mask>", "[SEP]"]
for i in range(500):
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(specials) if rng.random() < 0.5 else rng.choice(["Hello", "world", " user", "\n".strip(), "x", "rm -f a.yaml"]))
    add(rng.choice(["", " ", "  "]).join(parts))

# Very long words.
for i in range(60):
    length = rng.randint(200, 2000)
    alphabet = rng.choice(["abcdefghijklmnopqrstuvwxyz", "0123456789", "abc123XYZ_", "é日a"])
    add("".join(rng.choice(alphabet) for _ in range(length)))

# Contractions and case.
for i in range(300):
    add(rng.choice(["DON'T", "don't", "It's", "it'S", "We'Ll", "they're", "I'M", "you've", "she'd", "O'Neil's"]) + " " +
        rng.choice(["do it", "STOP", "delete the file", "go", "'quoted'", "''"]) + rng.choice(["", ".", "!!", "?!"]))

# Leading/trailing spaces, punctuation runs, unusual whitespace.
odd_spaces = ["\u00a0", "\u3000", "\u2028", "\u2009", "\u200b", "\u202f", "\t", "\x0b", "\x0c"]
for i in range(400):
    core = rng.choice(["word", "two words", "...", "!!!???", "a,b;c:d", "--==>>", "(x)[y]{z}", "‘quotes’ “double”", "—dash–"])
    add(" " * rng.randint(0, 5) + rng.choice(odd_spaces) * rng.randint(0, 3) + core + rng.choice(odd_spaces) * rng.randint(0, 2) + " " * rng.randint(0, 5))

# "\r\n" text: lines ending in "\r".
base = len(lines)
for i in range(0, base, 17):
    lines[i] = lines[i] + "\r"
for i in range(50):
    add("carriage\rreturn inside" + "\r" * rng.randint(1, 3))

with open(OUT, "w", encoding="utf-8", newline="") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {OUT}: {len(lines)} lines, {os.path.getsize(OUT)} bytes")
