#!/usr/bin/env python3
"""Writes tests/tokenizer/corpus.txt, the tokenizer parity corpus: one test case per line.

usage: make_tokenizer_corpus.py [OUTPUT]      (default: tests/tokenizer/corpus.txt)

Deterministic: one fixed seed, no network, standard library only. Its sources are text that ships
with Python (module docstrings and source, the Zen of Python, `unicodedata`) and Debian
(/usr/share/common-licenses/Apache-2.0), so the output depends on the Python version: run it with
the project's venv Python (3.11.7) to reproduce the committed file byte for byte.

The file is split on "\\n" only (never str.splitlines()), so a line may end in "\\r" (standing
for "\\r\\n" text) or contain U+2028, U+0085, "\\x0b", "\\x0c" and other characters that
splitlines() would treat as line breaks. Sections, in order (each line holds one test case;
several sections mix the others' material):

  English prose   Apache-2.0, the Zen of Python, docstrings of a fixed list of stdlib modules
                  (line by line and joined into paragraphs)
  code            source lines of fixed stdlib modules; synthetic code with tabs, 2-40 space/tab
                  runs, trailing whitespace, whitespace-only lines
  numbers         1-40 digit runs, decimals, thousands separators, dates, times, hex, UUIDs,
                  versions, full-width / Arabic-Indic / Devanagari digits
  CJK             Chinese, Japanese (kana, kanji, half-width katakana), Korean hangul, rare
                  CJK extension characters
  Arabic, Hindi   sentences, with diacritics, digits, direction marks
  other scripts   Cyrillic, Greek, Hebrew, Thai, Vietnamese
  emoji           ZWJ sequences, skin tones, flags, keycaps, tag sequences, variation selectors
  combining       e + U+0301, stacked diacritics, decomposed Hangul jamo, NFD Vietnamese
  specials        special tokens inside text with and without spaces, and near misses
  long words      200-2,000 characters: letters, digits, mixed, repeats, CJK, whitespace runs
  contractions    every case mix of 's 't 're 've 'm 'll 'd, curly apostrophes
  punctuation     runs, URLs, paths, markup
  whitespace      leading/trailing spaces, U+00A0, U+3000, U+2028, U+2009, U+FEFF, controls
  mixed           random mixtures of all of the above
Then about one line in sixteen gets a trailing "\\r", and a few lines are rewritten as
carriage-return variants.
"""
import codecs
import contextlib
import importlib
import inspect
import io
import os
import random
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/tokenizer/corpus.txt")
APACHE = "/usr/share/common-licenses/Apache-2.0"
MAX_BYTES = 2_000_000

rng = random.Random(20261127)
lines = []
sections = []  # (name, first line index)


def section(name):
    sections.append((name, len(lines)))


def add(line):
    if "\n" in line:
        raise ValueError(f"newline inside a corpus line: {line!r}")
    lines.append(line)


def pick(seq):
    return seq[rng.randrange(len(seq))]


# --------------------------------------------------------------------------------------------
# Material shared by several sections.

PROSE_MODULES = ["argparse", "bisect", "calendar", "collections", "contextlib", "csv", "dataclasses",
                 "difflib", "enum", "fractions", "functools", "heapq", "json", "logging", "pathlib",
                 "pprint", "random", "shlex", "statistics", "string", "textwrap", "typing",
                 "unittest.case", "urllib.parse", "zipfile"]
CODE_MODULES = ["textwrap", "shlex", "heapq", "bisect", "colorsys", "json.decoder", "fractions",
                "string", "difflib", "calendar", "tabnanny"]

ZH = ["模型取证研究为什么智能体会删除监控代码。", "这是一个测试句子，包含标点符号！", "我们需要知道它是否故意这样做？",
      "延迟压力和监督之间的权衡。", "北京的天气今天很好，气温二十五度。", "他说：“请不要修改配置文件。”",
      "人工智能系统必须接受人类的监督与审查。", "这个函数返回一个整数列表，长度为１０。", "我昨天买了三本书和两支笔。",
      "《红楼梦》是中国古典小说的巅峰之作。", "请在下午三点之前提交报告；谢谢合作。", "数据显示，增长率为百分之七点五。",
      "繁體中文與簡體中文並不完全相同。", "他们在会议上讨论了安全问题和解决方案。", "电脑、手机、平板都可以使用这个应用。",
      "学而时习之，不亦说乎？", "代码审查发现了一个严重的漏洞。", "日志文件被删除之后，系统无法恢复。"]
JA = ["エージェントは監視設定を削除しました。", "ひらがなとカタカナと漢字を混ぜた文です。", "これはテストです！（括弧）",
      "東京都渋谷区１２３番地", "きょうはとてもいいてんきですね。", "コンピューターのメモリーがたりません。",
      "私は毎朝コーヒーを飲みながらニュースを読みます。", "この関数は整数のリストを返します。", "すみません、駅はどこですか？",
      "ｶﾀｶﾅの半角文字も混ざっています。", "「設定ファイルを変更しないでください」と彼は言った。", "吾輩は猫である。名前はまだ無い。",
      "ログを確認したところ、エラーが三件ありました。", "ゃゅょっぁぃぅぇぉ　ャュョッ", "令和６年１２月３１日（火）",
      "モデルの挙動を調査するためのツールです。", "ありがとうございます。よろしくお願いします。"]
KO = ["에이전트가 감시 코드를 삭제했습니다.", "한국어 문장은 띄어쓰기를 사용합니다.", "왜 그랬는지 알아야 합니다?",
      "오늘 날씨가 정말 좋네요!", "이 함수는 정수 목록을 반환합니다.", "서울특별시 강남구 테헤란로 123",
      "안녕하세요, 만나서 반갑습니다.", "로그 파일이 삭제된 후에는 복구할 수 없습니다.", "한글은 세종대왕이 만들었습니다.",
      "컴퓨터 메모리가 부족합니다; 다시 시도하세요.", "ㅋㅋㅋ 진짜요? ㅠㅠ", "똠얌꿍과 쀍 같은 드문 음절도 있습니다.",
      "인공지능 안전성 연구는 중요합니다.", "그는 \"설정을 바꾸지 마세요\"라고 말했다."]
AR = ["قام الوكيل بحذف ملف المراقبة.", "هل كان ذلك متعمدًا أم عن طريق الخطأ؟", "النص العربي يُكتب من اليمين إلى اليسار ١٢٣٤٥.",
      "مرحبا بالعالم! كيف حالك اليوم؟", "تُعَدُّ اللُّغَةُ العَرَبِيَّةُ مِنْ أَقْدَمِ اللُّغَاتِ.", "يجب أن تخضع أنظمة الذكاء الاصطناعي للإشراف البشري.",
      "سجلّات النظام تُظهر ثلاثة أخطاء في الساعة ٣:٠٠ صباحًا.", "القاهرة، الرياض، بيروت، الدار البيضاء.",
      "هذه الدالة تُرجع قائمة من الأعداد الصحيحة.", "قال: «لا تغيّر ملف الإعدادات».", "السلام عليكم ورحمة الله وبركاته",
      "فارسی: این یک جملهٔ آزمایشی است.", "اردو: یہ ایک آزمائشی جملہ ہے۔"]
HI = ["एजेंट ने निगरानी फ़ाइल हटा दी।", "क्या यह जानबूझकर किया गया था?", "हिंदी में संयुक्ताक्षर जैसे क्ष, त्र, ज्ञ होते हैं।",
      "नमस्ते, आप कैसे हैं?", "यह फ़ंक्शन पूर्णांकों की सूची लौटाता है।", "भारत की राजधानी नई दिल्ली है।",
      "कृत्रिम बुद्धिमत्ता प्रणालियों पर मानव निगरानी आवश्यक है।", "मैंने कल तीन किताबें और दो कलम ख़रीदीं।",
      "लॉग फ़ाइल हटाने के बाद सिस्टम ठीक नहीं हो सका।", "संस्कृत: सत्यमेव जयते॥", "मूल्य ₹१,२५०.०० है।",
      "मराठी: हे एक चाचणी वाक्य आहे.", "नेपाली: यो एउटा परीक्षण वाक्य हो।"]
OTHER = ["Съешь же ещё этих мягких французских булок, да выпей чаю.", "Агент удалил файл мониторинга — намеренно?",
         "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "Η τεχνητή νοημοσύνη χρειάζεται εποπτεία.",
         "עברית נכתבת מימין לשמאל, עם מספרים 123 באמצע.", "הסוכן מחק את קובץ הניטור.",
         "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ", "สวัสดีครับ ยินดีที่ได้รู้จัก",
         "Tiếng Việt có rất nhiều dấu thanh: sắc, huyền, hỏi, ngã, nặng.", "Người máy đã xóa tệp giám sát.",
         "Đường phố Hà Nội rất đông đúc vào giờ cao điểm.", "Türkçe: Şoförün ağzı çok güzel değil mi? İIıi",
         "Deutsch: Die Straße ist groß; Äpfel, Öl, Übermut, ß und ẞ.", "Français : « Où est l’hôtel ? » — dit-il.",
         "Español: ¿Dónde está la biblioteca? ¡Aquí!", "Polski: Zażółć gęślą jaźń.", "Ελληνικά ΣΊΣΥΦΟΣ σίσυφος",
         "ქართული ენა", "Հայերեն լեզու", "አማርኛ ቋንቋ", "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ", "ᚠᚢᚦᚨᚱᚲ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐"]
EMOJI = ["👨‍👩‍👧‍👦", "👩‍💻", "🏳️‍🌈", "👍🏽", "👋🏿", "🧑🏻‍🚀", "❤️", "🇯🇵", "🇺🇸", "🇩🇪", "1️⃣", "#️⃣", "😀", "🙈🙉🙊",
         "👁️‍🗨️", "🤷‍♀️", "🤷🏾‍♂️", "👩🏼‍❤️‍💋‍👨🏻", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🐈‍⬛", "🧔🏻‍♀️", "✌🏼", "☺", "☺️", "🫠", "🫶🏻", "😂",
         "🔥", "✅", "❌", "⚠️", "🚀", "💯", "🤖", "🧠", "👀", "™", "©️", "🏃‍➡️", "🇺🇳", "🧑‍🤝‍🧑", "👨🏿‍🦰"]
WORDS = ["the", "monitor", "agent", "deleted", "config", "oversight", "latency", "file", "log", "model",
         "token", "we", "it", "was", "not", "on", "purpose", "because", "of", "pressure", "test", "Hello",
         "world", "OK", "yes", "no", "x", "y", "foo", "bar", "rm", "-rf", "/tmp", "DELETE", "Why?"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|end_of_text|>",
            "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<s>", "</s>", "<unk>", "[UNK]",
            "<mask>", "[SEP]", "[CLS]", "[PAD]", "[MASK]", "<pad>"]
NEAR_MISSES = ["<|endoftext|", "<|endoftext", "|endoftext|>", "<|endoftext |>", "<| endoftext|>", "<|ENDOFTEXT|>",
               "< s>", "<s >", "<S>", "<<s>>", "</ s>", "<s/>", "<unk", "unk>", "[UNK", "UNK]", "[unk]",
               "<|im_start|", "<|im_end", "<|eot_id", "<|begin_of_text |>", "<mask >", "[SEP ]", "[[SEP]]",
               "<|>", "<||>", "<|", "|>", "<0x41>", "<0xE6>", "<0x0A>", "<0x41", "▁", "▁▁", "Ġ", "Ċ", "##", "##ing",
               "</w>", "a</w>"]
ODD_SPACES = ["\u00a0", "\u3000", "\u2028", "\u2029", "\u2009", "\u200a", "\u2002", "\u2003", "\u202f", "\u205f",
              "\u1680", "\u0085", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\t", "\x0b", "\x0c",
              "\x1c", "\x1d", "\x1e", "\x1f"]
PUNCT = ["!", "?", ".", ",", ";", ":", "...", "…", "!!!", "???", "?!", "‽", "—", "–", "-", "--", "---", "(", ")",
         "[", "]", "{", "}", "<", ">", "«", "»", "“", "”", "„", "‘", "’", "'", '"', "`", "```", "/", "\\", "|",
         "@", "#", "$", "%", "^", "&", "*", "_", "~", "+", "=", "==>", "<=>", "!=", "::", "->", "=>", "。", "、",
         "，", "！", "？", "：", "；", "（", "）", "「", "」", "『", "』", "【", "】", "·", "•", "§", "¶", "†", "‡",
         "°", "′", "″", "¿", "¡", "؟", "،", "।", "॥", "©", "®", "™", "€", "£", "¥", "₹", "₩", "¢"]


def docstring_lines():
    """Prose: docstrings of a fixed list of stdlib modules and of their public members, in name
    order. Returns (single lines, joined paragraphs)."""
    singles, paragraphs = [], []
    for name in PROSE_MODULES:
        module = importlib.import_module(name)
        docs = [inspect.getdoc(module) or ""]
        for attr in sorted(vars(module)):
            if attr.startswith("_"):
                continue
            value = getattr(module, attr)
            if (inspect.isfunction(value) or inspect.isclass(value)) and getattr(value, "__module__", None) == name:
                docs.append(inspect.getdoc(value) or "")
        for doc in docs:
            for paragraph in doc.split("\n\n"):
                body = [line for line in paragraph.split("\n")]
                singles.extend(line for line in body if line.strip())
                words = " ".join(line.strip() for line in body).strip()
                if len(words) > 80 and not paragraph.startswith(" "):
                    paragraphs.append(words)
    return singles, paragraphs


def zalgo(text, marks):
    out = []
    for ch in text:
        out.append(ch)
        if ch.isalpha():
            out.extend(chr(rng.randint(0x300, 0x36F)) for _ in range(rng.randint(0, marks)))
    return "".join(out)


def rare_cjk(n):
    ranges = [(0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B739), (0xF900, 0xFAD9), (0x4E00, 0x9FFF)]
    out = []
    for _ in range(n):
        lo, hi = pick(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def random_script(lo, hi, n):
    return "".join(chr(rng.randint(lo, hi)) for _ in range(n))


# --------------------------------------------------------------------------------------------
section("English prose")
with open(APACHE, encoding="utf-8") as f:
    apache = f.read().split("\n")
blank = 0
for line in apache:
    if not line.strip():
        blank += 1
        if blank > 4:  # keep only a few empty lines
            continue
    add(line.rstrip("\n"))
with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the Zen
    import this  # noqa: E402
zen = codecs.decode(this.s, "rot13").split("\n")
for line in zen:
    if line:
        add(line)
add(" ".join(line for line in zen if line))  # the whole Zen on one line
singles, paragraphs = docstring_lines()
for line in singles[:1600]:
    add(line)
for paragraph in paragraphs[:400]:
    add(paragraph)

# --------------------------------------------------------------------------------------------
section("code")
for name in CODE_MODULES:
    source = inspect.getsource(importlib.import_module(name)).split("\n")
    for line in [line for line in source if line][:160]:  # empty lines stay few
        add(line)
CODE = ["if (x == y) {", "return a[i] + b[j];", "for i in range(10):", "}", "x := <-ch", "#include <vector>",
        "def f(*args, **kw):", "SELECT * FROM t WHERE id = 42;", "fmt.Println(\"hello, 世界\")",
        "const char* s = \"tab\\there\";", "let v: Vec<u8> = vec![0xff; 16];", "$(CC) -o $@ $^ $(LDFLAGS)",
        "<div class=\"row\"><span>ok</span></div>", "key: value  # comment", "- item: [1, 2, 3]",
        "{\"a\": 1, \"b\": [true, null], \"c\": \"\\u00e9\"}", "git commit -m \"fix: don't delete the monitor\"",
        "std::vector<std::pair<int, int>> v{{1, 2}};", "x = y if z else w  # noqa: E501", "@@ -1,4 +1,5 @@",
        "+    monitor.enable()", "-    monitor.disable()", "| col | 2 |", "\\begin{equation} E = mc^2 \\end{equation}",
        "print(f'{x!r:>10}')", "lambda x: x ** 2", "if err != nil { return err }", "#!/usr/bin/env bash",
        "/* block comment */", "// line comment", "--  SQL comment", "<!-- html comment -->"]
for i in range(700):
    kind = i % 7
    if kind == 0:  # tab indentation, tab-separated columns
        add("\t" * rng.randint(1, 6) + pick(CODE) + pick(["", "\t", "\t\t"]))
    elif kind == 1:  # long space indentation and trailing spaces
        add(" " * rng.randint(2, 40) + pick(CODE) + " " * rng.randint(0, 30))
    elif kind == 2:  # mixed tabs and spaces inside the line
        run = "".join(pick([" ", "\t"]) for _ in range(rng.randint(2, 40)))
        add(pick(CODE) + run + "// " + pick(WORDS) + pick(["", " ", "\t", "   "]))
    elif kind == 3:  # whitespace-only lines
        add("".join(pick([" ", " ", "\t"]) for _ in range(rng.randint(1, 40))))
    elif kind == 4:  # tab-separated values
        add("\t".join(pick(WORDS + ["", "1", "2.5", "NaN"]) for _ in range(rng.randint(2, 8))))
    elif kind == 5:  # aligned assignment with space runs
        add(f"{pick(WORDS)}{' ' * rng.randint(1, 24)}= {rng.randint(0, 10**6)}{' ' * rng.randint(0, 3)}")
    else:  # indentation made of both
        add(pick(["\t ", " \t", "  \t\t", "\t    ", "    \t"]) * rng.randint(1, 4) + pick(CODE))

# --------------------------------------------------------------------------------------------
section("numbers")
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")
for i in range(800):
    kind = i % 16
    if kind == 0:
        add("".join(pick("0123456789") for _ in range(rng.randint(1, 40))))
    elif kind == 1:
        add(f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 9)}f}")
    elif kind == 2:
        add(f"{rng.randint(1, 10**12):,} items at ${rng.randint(1, 999)}.{rng.randint(0, 99):02d}")
    elif kind == 3:
        add(f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z")
    elif kind == 4:
        add(f"0x{rng.getrandbits(rng.randint(4, 128)):x} 0X{rng.getrandbits(32):08X} 0b{rng.getrandbits(12):b} "
            f"0o{rng.getrandbits(9):o}")
    elif kind == 5:
        add(f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1990, 2030)}, "
            f"{rng.randint(1, 12)}.{rng.randint(1, 28)}.{rng.randint(0, 99):02d} and {rng.randint(1, 12)}:{rng.randint(0, 59):02d} pm")
    elif kind == 6:
        add(f"The {rng.randint(0, 999)} type errors became {rng.randint(0, 999)} after {rng.randint(1, 99)}ms "
            f"(p95: {rng.randint(100, 900)} ms, {rng.uniform(0, 100):.1f}%).")
    elif kind == 7:
        add(" ".join(str(rng.randint(0, 99999)) for _ in range(rng.randint(2, 12))))
    elif kind == 8:
        add(f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-"
            f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}")
    elif kind == 9:
        add(f"v{rng.randint(0, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}-rc.{rng.randint(1, 9)} "
            f"{rng.randint(1, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}:{rng.randint(1, 65535)}")
    elif kind == 10:
        add(f"{rng.uniform(1, 10):.3f}e{rng.randint(-30, 30)} {rng.randint(-999, 999)} +{rng.randint(0, 99)} "
            f"-0.{rng.randint(0, 999):03d} 1_000_{rng.randint(0, 999):03d}")
    elif kind == 11:
        n = f"{rng.randint(0, 10**rng.randint(1, 12)):,}"
        add(pick([n.translate(FULLWIDTH_DIGITS), n.translate(ARABIC_DIGITS), n.translate(DEVANAGARI_DIGITS)]))
    elif kind == 12:
        add(f"€{rng.randint(1, 99999):,}.{rng.randint(0, 99):02d}".replace(",", "X").replace(".", ",").replace("X", ".")
            + f" / {rng.randint(1, 9)}½ / x² + y³ = z⁴ / ①②③ / Ⅻ / ¼ / {rng.randint(10, 99)}°C")
    elif kind == 13:
        add(f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}, "
            f"#{rng.randint(1, 99999)}, No.{rng.randint(1, 99)}, {rng.randint(1, 99)}th, {rng.randint(1, 9)}x{rng.randint(1, 9)}")
    elif kind == 14:
        digits = "".join(pick("0123456789") for _ in range(rng.randint(1, 40)))
        add(pick(["", "abc", "x", "v", "ID", "模型", "😀"]) + digits + pick(["", "abc", "px", "%", "年", "😀"]))
    else:
        add(", ".join(f"{rng.random():.{rng.randint(1, 17)}g}" for _ in range(rng.randint(1, 6))))

# --------------------------------------------------------------------------------------------
section("CJK")
for i in range(900):
    kind = i % 9
    if kind in (0, 1):
        add("".join(pick(ZH) for _ in range(rng.randint(1, 3))))
    elif kind in (2, 3):
        add(pick(["", " "]).join(pick(JA) for _ in range(rng.randint(1, 3))))
    elif kind in (4, 5):
        add(" ".join(pick(KO) for _ in range(rng.randint(1, 3))))
    elif kind == 6:  # rare and extension characters: byte fallback material
        add(rare_cjk(rng.randint(1, 20)) + pick(["", "。", " ", "的"]) + rare_cjk(rng.randint(0, 6)))
    elif kind == 7:  # random kana / hangul syllables / jamo
        add(pick([random_script(0x3041, 0x3096, rng.randint(2, 30)), random_script(0x30A1, 0x30FA, rng.randint(2, 30)),
                  random_script(0xAC00, 0xD7A3, rng.randint(2, 30)), random_script(0x3131, 0x318E, rng.randint(2, 10)),
                  random_script(0xFF66, 0xFF9D, rng.randint(2, 12))]))
    else:  # CJK with Latin, digits, no spaces
        add(pick(ZH + JA)[:-1] + pick(["GPT-4", "API", "Python3.11", "2026年", "100%", "OK", "ｆｕｌｌｗｉｄｔｈ"]) + pick(["。", "！", ""]))

# --------------------------------------------------------------------------------------------
section("Arabic and Hindi")
for i in range(700):
    kind = i % 7
    if kind in (0, 1):
        add(" ".join(pick(AR) for _ in range(rng.randint(1, 3))))
    elif kind in (2, 3):
        add(" ".join(pick(HI) for _ in range(rng.randint(1, 3))))
    elif kind == 4:
        add(pick(AR) + " " + pick(["\u200f", "\u200e", "\u061c", ""]) + str(rng.randint(0, 99999)) + " " + pick(HI))
    elif kind == 5:  # random Devanagari / Arabic letters with marks
        add(pick([random_script(0x0900, 0x097F, rng.randint(3, 30)), random_script(0x0600, 0x06FF, rng.randint(3, 30))]))
    else:
        add(pick(OTHER) + " " + pick(AR + HI))

section("other scripts")
for i in range(300):
    add(pick(["", " "]).join(pick(OTHER) for _ in range(rng.randint(1, 3))))

# --------------------------------------------------------------------------------------------
section("emoji")
def rare_emoji():
    """A random pictograph, maybe with a skin tone, maybe joined to another by ZWJ: mostly
    characters seen once, which byte-fallback tokenizers must spell in bytes."""
    def one():
        base = chr(rng.choice([rng.randint(0x1F300, 0x1F5FF), rng.randint(0x1F900, 0x1F9FF), rng.randint(0x1FA70, 0x1FAF8)]))
        return base + pick(["", "", "\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF", "\ufe0f"])
    return "\u200d".join(one() for _ in range(rng.randint(1, 3)))


for i in range(700):
    kind = i % 6
    if kind == 5:
        add(pick(WORDS) + pick(["", " "]) + "".join(rare_emoji() for _ in range(rng.randint(1, 4))) + pick(["", " ", "!"]))
    elif kind == 0:
        add("".join(pick(EMOJI) for _ in range(rng.randint(1, 12))))
    elif kind == 1:
        add(" ".join(pick(EMOJI) if rng.random() < 0.5 else pick(WORDS) for _ in range(rng.randint(2, 10))))
    elif kind == 2:  # glued to words and punctuation
        add("".join(pick(EMOJI) if rng.random() < 0.4 else pick(WORDS + PUNCT) for _ in range(rng.randint(2, 10))))
    elif kind == 3:  # broken / partial sequences: lone ZWJ, lone modifiers, lone regional indicators
        add(pick(["\u200d", "🏽", "\ufe0f", "🇯", "\u20e3", "👨\u200d", "\u200d👩", "🏳\u200d", "👍\ufe0f🏽"])
            + pick(WORDS) + pick(["\u200d", "🏿", "\ufe0e", "🇺", ""]))
    else:
        add(pick(ZH + KO + AR + HI) + pick(EMOJI) + pick(["", " ", "!!"]))

# --------------------------------------------------------------------------------------------
section("combining marks")
COMBINING = ["e\u0301", "a\u0308", "n\u0303", "o\u0302\u0301", "u\u031b\u0323", "Z\u0351\u0352\u0353\u0354", "A\u030a",
             "cafe\u0301", "nai\u0308ve", "re\u0301sume\u0301", "\u0915\u094d\u0937", "i\u0307", "\u0131\u0307",
             "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "\u1109\u1165\u110b\u116e\u11af",
             "\u0041\u030a\u0301", "\u03b1\u0301\u0345", "\u05e9\u05c1\u05b8", "q\u0307\u0323", "x\u20d7", "1\u20e3",
             "\u0301", "\u0308\u0308\u0308", "é", "ä", "Å", "Ǻ", "ﬁ", "ﬀ", "Ⅳ", "㎏", "㍿", "ℌ", "Ω", "K"]
for i in range(500):
    kind = i % 5
    if kind == 0:
        add(" ".join(pick(COMBINING) + pick(["", "s", " ok", "!"]) for _ in range(rng.randint(1, 6))))
    elif kind == 1:  # stacked diacritics
        add(zalgo(pick(WORDS + ["monitor deleted", "oversight", "Hello world"]), rng.randint(1, 8)))
    elif kind == 2:  # decomposed Hangul and Vietnamese, next to composed forms
        text = pick(KO + OTHER[8:11])
        add(unicodedata.normalize(pick(["NFD", "NFKD"]), text) + pick(["", " | " + text]))
    elif kind == 3:
        add(unicodedata.normalize("NFD", pick(AR + HI + JA + OTHER)))
    else:
        add("".join(pick(COMBINING) for _ in range(rng.randint(2, 10))) + pick(WORDS))

# --------------------------------------------------------------------------------------------
section("special tokens")
for i in range(900):
    kind = i % 6
    if kind in (0, 1):  # mixed with words, random separators
        parts = [pick(SPECIALS) if rng.random() < 0.45 else pick(NEAR_MISSES) if rng.random() < 0.3 else pick(WORDS)
                 for _ in range(rng.randint(1, 8))]
        add("".join(p + pick(["", "", " ", "  ", "\t"]) for p in parts))
    elif kind == 2:  # chat formats
        add(pick([f"<|im_start|>{pick(['system', 'user', 'assistant'])} {pick(WORDS)} {pick(WORDS)}<|im_end|>",
                  f"<|im_start|>user{pick(['', ' ', '  '])}{pick(ZH + WORDS)}<|im_end|><|im_start|>assistant",
                  f"<|begin_of_text|><|start_header_id|>{pick(['system', 'user'])}<|end_header_id|>  {pick(WORDS)}<|eot_id|>",
                  f"<s>[INST] {pick(WORDS)} {pick(WORDS)} [/INST] {pick(WORDS)}</s>",
                  f"{pick(WORDS)}<|endoftext|>{pick(WORDS)}", f"<s> {pick(WORDS)} </s>", f"[CLS] {pick(WORDS)} [SEP] {pick(WORDS)} [SEP]"]))
    elif kind == 3:  # adjacent and repeated specials, specials at the edges
        add(pick(["", " ", "  "]) + "".join(pick(SPECIALS) for _ in range(rng.randint(1, 5))) + pick(["", " ", "  "]))
    elif kind == 4:  # single_word / lstrip / rstrip material
        token = pick(["<mask>", "[SEP]", "<s>", "<|im_end|>", "monitor", "Oversight", "ＯＫ", "OK"])
        add(pick(["a", "a ", "a  ", " ", "", "\t"]) + token + pick(["b", " b", "  b", " ", "", ".", "s"]))
    else:  # near misses only
        add(pick(WORDS) + pick(["", " "]) + pick(NEAR_MISSES) + pick(["", " "]) + pick(NEAR_MISSES + WORDS))

# --------------------------------------------------------------------------------------------
section("long words")
ALPHABETS = ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "0123456789",
             "abc123XYZ_", "0123456789abcdef", "é日aß", "etaoinshrdlu"]
for i in range(100):
    length = rng.randint(200, 2000)
    kind = i % 10
    if kind < 5:
        add("".join(pick(ALPHABETS[kind + (i // 10) % 2]) for _ in range(length)))
    elif kind == 5:  # one repeated character or pair: worst case for naive BPE
        add(pick(["a", "ab", "0", "=", "-", "😀", "日", "\u00e9", "e\u0301"]) * (length // 2))
    elif kind == 6:  # a long run of one word repeated without separators
        add((pick(WORDS) * length)[:length])
    elif kind == 7:
        add(random_script(0x4E00, 0x9FFF, length // 3))
    elif kind == 8:  # whitespace runs
        add(pick(["", "x"]) + pick([" ", "\t", "\u3000", " \t"]) * (length // 2) + pick(["", "x"]))
    else:  # a long URL-ish or base64-ish token
        add(pick(["https://example.com/", "data:image/png;base64,", "sha256:"]) +
            "".join(pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(length)))

# --------------------------------------------------------------------------------------------
section("contractions")
STEMS = ["don't", "it's", "we'll", "they're", "i'm", "you've", "she'd", "can't", "won't", "o'neil's", "y'all'd've",
         "rock'n'roll", "'tis", "let's", "that'll", "who'd", "ma'am", "isn't", "we're", "he's"]


def case_mix(word):
    style = rng.randrange(4)
    if style == 0:
        return word.upper()
    if style == 1:
        return word.capitalize()
    if style == 2:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in word)
    return word


for i in range(400):
    word = case_mix(pick(STEMS))
    if i % 5 == 0:
        word = word.replace("'", pick(["’", "‘", "`", "''", "ʼ"]))
    add(pick(["", " ", "I said ", "\""]) + word + " " + case_mix(pick(STEMS + WORDS)) + pick(["", ".", "!!", "?!", "'", "'s"]))
for word in ["DON'T", "It's", "We'Ll", "I'M", "YOU'RE", "They'Ve", "she'D", "'S", "'s", "'t", "'LL", "'re'", "''", "'"]:
    add(word)

# --------------------------------------------------------------------------------------------
section("punctuation")
for i in range(400):
    kind = i % 5
    if kind == 0:
        add("".join(pick(PUNCT) for _ in range(rng.randint(2, 30))))
    elif kind == 1:
        add(pick(WORDS) + "".join(pick(PUNCT) for _ in range(rng.randint(1, 5))) + pick(WORDS))
    elif kind == 2:
        add(pick([f"https://example.com/{pick(WORDS)}?q={rng.randint(0, 999)}&lang=zh#frag",
                  f"mailto:{pick(WORDS).lower()}@example.org", f"C:\\Users\\{pick(WORDS)}\\AppData\\Local",
                  f"/usr/local/lib/python3.11/{pick(WORDS)}.py:{rng.randint(1, 999)}", f"**{pick(WORDS)}** _{pick(WORDS)}_ `code`",
                  f"[{pick(WORDS)}]({pick(WORDS)}.md) ![img](a.png)", f"<a href=\"#{pick(WORDS)}\">&amp;&lt;&gt;&#x27;</a>"]))
    elif kind == 3:
        add(pick(PUNCT) * rng.randint(2, 60))
    else:
        add(" ".join(pick(PUNCT) for _ in range(rng.randint(2, 20))))

# --------------------------------------------------------------------------------------------
section("whitespace")
CONTROLS = ["\x01", "\x02", "\x07", "\x08", "\x1b[31m", "\x1b[0m", "\x7f", "\x80", "\x9f", "\u00ad", "\ufffd", "\ue000",
            "\U000f0000", "\ufff9"]
for i in range(500):
    kind = i % 5
    core = pick(WORDS + ["two words", "...", "a,b;c:d", "(x)[y]{z}", "‘quotes’ “double”", "—dash–"] + ZH + KO + AR)
    if kind == 0:  # leading and trailing spaces
        add(" " * rng.randint(0, 6) + core + " " * rng.randint(0, 6))
    elif kind == 1:  # unusual whitespace at the edges
        add(pick(ODD_SPACES) * rng.randint(0, 3) + core + pick(ODD_SPACES) * rng.randint(0, 3))
    elif kind == 2:  # unusual whitespace between words
        add(pick(WORDS) + "".join(pick(ODD_SPACES + [" "]) for _ in range(rng.randint(1, 4))) + core)
    elif kind == 3:  # control characters
        add(pick(WORDS) + pick(CONTROLS) + pick(WORDS) + pick(["", pick(CONTROLS)]))
    else:  # whitespace before and after punctuation and specials
        add(pick([" ", "  ", "\t", "\u00a0", ""]) + pick(PUNCT + SPECIALS) + pick([" ", "  ", "\u3000", ""]) + core)
for line in ["", " ", "  ", "\t", "\u00a0", "\u3000", "\u2028", " \u2028 ", "\u0085", "\x0b", "\x0c", "\ufeff", "\ufeffHello"]:
    add(line)

# --------------------------------------------------------------------------------------------
section("mixed")
pools = [WORDS, ZH, JA, KO, AR, HI, OTHER, EMOJI, SPECIALS, NEAR_MISSES, PUNCT, COMBINING, STEMS, CODE]
for i in range(700):
    parts = []
    for _ in range(rng.randint(2, 10)):
        pool = pick(pools)
        parts.append(pick(pool))
        if rng.random() < 0.15:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 8))))
    line = "".join(p + pick(["", " ", " ", "  ", "\t", "\u00a0"]) for p in parts)
    add(pick(["", "", " ", "  "]) + line)

# --------------------------------------------------------------------------------------------
# "\r\n" text: about one line in sixteen ends in "\r"; some whole paragraphs are CRLF; a few
# carriage-return oddities.
for i in range(0, len(lines), 16):
    lines[i] += "\r"
start = sections[1][1]  # a CRLF block of code
for i in range(start, start + 60):
    if not lines[i].endswith("\r"):
        lines[i] += "\r"
for i in range(60):
    add(pick(["carriage\rreturn inside", "\r", "\r\r", " \r", "\t\r", "x\r\r", "\rleading", "a\r b", "<s>\r", "\r<|im_end|>",
              "日本\r", "😀\r", "  trailing  \r", "12\r34"]) + pick(["", "\r"]))

data = ("\n".join(lines) + "\n").encode("utf-8")
if len(data) > MAX_BYTES:
    raise SystemExit(f"corpus is {len(data)} bytes, over {MAX_BYTES}")
with open(OUT, "wb") as f:
    f.write(data)
crlf = sum(1 for line in lines if line.endswith("\r"))
print(f"wrote {OUT}: {len(lines)} lines ({crlf} ending in \\r, {lines.count('')} empty), {len(data)} bytes, "
      f"Python {sys.version.split()[0]}")
bounds = sections + [("end", len(lines))]
print("  " + ", ".join(f"{name} {bounds[i + 1][1] - first}" for i, (name, first) in enumerate(sections)))
