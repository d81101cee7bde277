#!/usr/bin/env python3
"""Trains the small tokenizer fixtures of tests/fixtures/tokenizers/ with Hugging Face
`tokenizers` on the parity corpus. Each fixture reproduces the pipeline of one model family
(normalizer, pre-tokenizer, model options, post-processor, decoder, added tokens) on a vocabulary
of 2,000-3,000 tokens, and gets a tokenizer_config.json in that family's style.

usage: make_tokenizer_fixtures.py [--out DIR] [--corpus FILE]
       (run with the project's venv Python: ~/.cache/forensics/venv/bin/python)

Deterministic: rerunning gives byte-identical files. The library's trainers are not
deterministic on their own in two places, both worked around here:
  * `limit_alphabet` sorts characters by count with an unstable sort over a hash map, so which
    of several equally rare characters is dropped changes from run to run. No fixture uses it:
    where an alphabet must leave characters out (so that byte fallback or [UNK] really happens),
    the script picks the alphabet itself (characters seen at least N times in the corpus, ties
    impossible by construction) and trains on the corpus lines made only of those characters.
  * with `continuing_subword_prefix` / `end_of_word_suffix`, the trainer gives ids to "##c" and
    "c</w>" symbols in hash-map order, and ids break ties between equally frequent merges. The
    kitchen-sink fixture registers those symbols up front (as trainer special tokens, in sorted
    order) and removes them from the added tokens afterwards, so they are plain vocabulary.
Training also runs on one thread (RAYON_NUM_THREADS=1).
"""
import argparse
import collections
import json
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,  # noqa: E402
                        pre_tokenizers, processors, trainers)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]

args = None


def corpus():
    with open(args.corpus, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return lines


def lines_within_alphabet(lines, min_count, always=""):
    """The characters seen at least `min_count` times, and the lines made only of them."""
    counts = collections.Counter("".join(lines))
    alphabet = {c for c, n in counts.items() if n >= min_count} | set(always)
    return alphabet, [line for line in lines if set(line) <= alphabet]


def edit_json(tokenizer, edit):
    """Round-trips the tokenizer through its JSON, for what the Python API cannot set."""
    data = json.loads(tokenizer.to_str())
    edit(data)
    return Tokenizer.from_str(json.dumps(data, ensure_ascii=False))


def save(name, tokenizer, config, rewrite=None):
    """Writes the fixture; `rewrite` edits the JSON for what Tokenizer.save cannot write."""
    folder = os.path.join(args.out, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "tokenizer.json")
    if rewrite is None:
        tokenizer.save(path, pretty=True)  # pretty-printed like the hub's files
    else:
        data = json.loads(tokenizer.to_str())
        rewrite(data)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        Tokenizer.from_file(path)  # it still loads
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")


def special(content, **flags):
    return AddedToken(content, special=True, normalized=False, **flags)


# ---------------------------------------------------------------------------------------------
# Byte-level BPE (GPT-2, Llama-3, Qwen2). The 256-character byte alphabet is the initial alphabet,
# so every input is covered and the trainer needs no alphabet limit. Special tokens are added
# after training, so they get the last ids, as in the real models.

def byte_level_bpe(pre_tokenizer, vocab_size, ignore_merges=False, normalizer=None):
    tokenizer = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(corpus(), trainer)
    return tokenizer


def gpt2():
    tokenizer = byte_level_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True), 2000)
    tokenizer.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=True)])
    # trim_offsets=True here (GPT-2 itself has False) so that offset trimming is tested too.
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)

    def legacy_merges(data):
        # GPT-2's own tokenizer.json writes merges as "a b" strings (the format before
        # tokenizers 0.20); the other fixtures have [a, b] pairs. Byte-level symbols never
        # contain a space, so the two mean the same.
        data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
    save("gpt2-bpe", tokenizer, {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False, "eos_token": "<|endoftext|>", "errors": "replace",
        "model_max_length": 1024, "pad_token": None, "tokenizer_class": "GPT2Tokenizer",
        "unk_token": "<|endoftext|>"}, rewrite=legacy_merges)


def vocab_only_words(tokenizer, count):
    """Frequent pre-tokenized words that the merges split into several tokens. Added to the
    vocabulary without merges, they encode as one token only because of `ignore_merges`."""
    words = collections.Counter()
    for line in corpus():
        words.update(word for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(line))
    vocab = tokenizer.get_vocab()
    chosen = []
    for word, _ in sorted(words.items(), key=lambda item: (-item[1], item[0])):
        if len(word) >= 4 and word not in vocab and len(tokenizer.model.tokenize(word)) > 1:
            chosen.append(word)
            if len(chosen) == count:
                break
    return chosen


def llama3():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tokenizer = byte_level_bpe(pre, 2500, ignore_merges=True)
    extra = vocab_only_words(tokenizer, 48)

    def add_vocab_only(data):
        vocab = data["model"]["vocab"]
        for word in extra:
            vocab[word] = len(vocab)
    tokenizer = edit_json(tokenizer, add_vocab_only)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tokenizer.add_special_tokens([special(token) for token in specials])
    bos = tokenizer.token_to_id("<|begin_of_text|>")
    # As Meta-Llama-3's tokenizer.json: a ByteLevel post-processor (offsets only) then the template.
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(single="<|begin_of_text|> $A:0",
                                      pair="<|begin_of_text|>:0 $A:0 <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    save("llama3-bpe", tokenizer, {
        "bos_token": "<|begin_of_text|>", "clean_up_tokenization_spaces": True, "eos_token": "<|eot_id|>",
        "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 131072,
        "tokenizer_class": "PreTrainedTokenizerFast"})


def qwen2():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    tokenizer = byte_level_bpe(pre, 2500, normalizer=normalizers.NFC())
    tokenizer.add_special_tokens([special(token) for token in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    save("qwen2-bpe", tokenizer, {
        "add_prefix_space": False, "bos_token": None, "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 32768,
        "pad_token": "<|endoftext|>", "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None})


# ---------------------------------------------------------------------------------------------
# SentencePiece-style BPE (Llama-2, Mistral v0.1): <unk> <s> </s> then the 256 <0xNN> byte
# tokens as ids 0-258, byte_fallback and fuse_unk. The alphabet keeps only characters seen at
# least 12 times, so rare CJK, most emoji, and random scripts fall back to bytes.

def sentencepiece_style(name, metaspace):
    # Spaces become "▁" in the model's eyes; count them as such.
    alphabet, training = lines_within_alphabet(corpus(), 12, always=" ")
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    if metaspace:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    else:
        tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        # Training only: pieces as SentencePiece cuts them ("▁word", or a run of "▁"), so that no
        # merge crosses a word boundary. The fixture itself has no pre-tokenizer, like Llama-2.
        tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("▁?[^▁]+"), behavior="isolated")
    trainer = trainers.BpeTrainer(vocab_size=3000, show_progress=False,
                                  special_tokens=[special(t) for t in ["<unk>", "<s>", "</s>"] + BYTE_TOKENS])
    tokenizer.train_from_iterator(training, trainer)

    def finish(data):
        # The byte tokens belong to the model's vocabulary only, as in Llama-2's tokenizer.json,
        # so that the text "<0x41>" is not matched as an added token.
        data["added_tokens"] = [t for t in data["added_tokens"] if t["content"] not in BYTE_TOKENS]
        if not metaspace:
            data["pre_tokenizer"] = None
    tokenizer = edit_json(tokenizer, finish)
    if metaspace:
        # Metaspace then ByteFallback/Fuse, so that <0xNN> runs decode to text.
        tokenizer.decoder = decoders.Sequence([decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True),
                                               decoders.ByteFallback(), decoders.Fuse()])
    else:
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                               decoders.Strip(" ", 1, 0)])
    bos = tokenizer.token_to_id("<s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A:0", pair="<s>:0 $A:0 <s>:1 $B:1", special_tokens=[("<s>", bos)])
    if metaspace:
        config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "clean_up_tokenization_spaces": False,
                  "eos_token": "</s>", "legacy": False, "model_max_length": 32768, "pad_token": None,
                  "spaces_between_special_tokens": False, "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>"}
    else:
        # Llama-2's config writes its special tokens as AddedToken objects.
        def token(content):
            return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": False,
                    "rstrip": False, "single_word": False}
        config = {"add_bos_token": True, "add_eos_token": False, "bos_token": token("<s>"),
                  "clean_up_tokenization_spaces": False, "eos_token": token("</s>"), "legacy": True,
                  "model_max_length": 4096, "pad_token": None, "sp_model_kwargs": {},
                  "tokenizer_class": "LlamaTokenizer", "unk_token": token("<unk>")}
    save(name, tokenizer, config)


# ---------------------------------------------------------------------------------------------

def wordlevel():
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=3000, show_progress=False,
                                        special_tokens=[special(t) for t in ["[UNK]", "[PAD]", "[SEP]"]])
    tokenizer.train_from_iterator(corpus(), trainer)
    save("wordlevel", tokenizer, {"do_lower_case": True, "pad_token": "[PAD]", "sep_token": "[SEP]",
                                  "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]"})


def kitchen_sink():
    """The other components: NFKC + regex Replace + Strip, WhitespaceSplit/Punctuation/Digits,
    subword prefix and end-of-word suffix, [UNK], added tokens with every flag."""
    prefix, suffix = "##", "</w>"
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix=prefix, end_of_word_suffix=suffix))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " "),
                                                 normalizers.Strip(left=True, right=True)])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                       pre_tokenizers.Punctuation(behavior="isolated"),
                                                       pre_tokenizers.Digits(individual_digits=True)])
    normalized = [tokenizer.normalizer.normalize_str(line) for line in corpus()]
    alphabet, training = lines_within_alphabet(normalized, 100)  # CJK, most emoji etc. become [UNK]
    # The symbols the trainer would create with the prefix and suffix, in a fixed order (see the
    # module docstring).
    symbols = set()
    for line in training:
        for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(line):
            for i, c in enumerate(word):
                symbol = (prefix if i > 0 else "") + c + (suffix if i == len(word) - 1 else "")
                if symbol != c:
                    symbols.add(symbol)
    symbols = sorted(symbols)
    # The prefixed and suffixed symbols take much of the vocabulary: leave room for 1,200 merges.
    trainer = trainers.BpeTrainer(vocab_size=1 + len(symbols) + len(alphabet) + 1200, show_progress=False,
                                  special_tokens=[special("[UNK]")] + [special(s) for s in symbols],
                                  continuing_subword_prefix=prefix, end_of_word_suffix=suffix)
    tokenizer.train_from_iterator(training, trainer)
    tokenizer = edit_json(tokenizer, lambda data: data.update(
        added_tokens=[t for t in data["added_tokens"] if t["content"] not in symbols]))
    tokenizer.add_special_tokens([special("<mask>", lstrip=True), special("[SEP]", single_word=True),
                                  special("<s>", rstrip=True), special("</s>", lstrip=True, rstrip=True)])
    tokenizer.add_tokens([AddedToken("monitor", single_word=True, normalized=True),
                          AddedToken("Oversight", normalized=True),  # matched in NFKC-normalized text
                          AddedToken("ＯＫ", normalized=True),  # normalized to "OK" before matching
                          AddedToken("<|im_end|>", normalized=False)])
    # Tokens carry "##" (inside a word) and "</w>" (at its end): drop the first, turn the second
    # into a space.
    tokenizer.decoder = decoders.Sequence([decoders.Replace(prefix, ""), decoders.BPEDecoder(suffix=suffix)])
    save("kitchen-sink-bpe", tokenizer, {"bos_token": "<s>", "eos_token": "</s>", "mask_token": "<mask>",
                                         "sep_token": "[SEP]", "tokenizer_class": "PreTrainedTokenizerFast",
                                         "unk_token": "[UNK]"})


def main():
    global args
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests/fixtures/tokenizers"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "tests/tokenizer/corpus.txt"))
    args = parser.parse_args()
    gpt2()
    llama3()
    qwen2()
    sentencepiece_style("llama2-sp-bpe", metaspace=False)
    sentencepiece_style("mistral-metaspace-bpe", metaspace=True)
    wordlevel()
    kitchen_sink()
    summary()


def summary():
    """Loads every fixture back, encodes the whole corpus line by line (with and without special
    tokens) and decodes it, and prints what each fixture covers."""
    lines = corpus()
    print(f"{len(lines)} corpus lines")
    for name in sorted(os.listdir(args.out)):
        path = os.path.join(args.out, name, "tokenizer.json")
        if not os.path.exists(path):
            continue
        tokenizer = Tokenizer.from_file(path)
        model = json.loads(tokenizer.to_str())["model"]
        unk = model.get("unk_token")
        byte_ids = {tokenizer.token_to_id(t) for t in BYTE_TOKENS} - {None}
        unk_lines = fallback_lines = tokens = 0
        for add_special in (True, False):
            encodings = tokenizer.encode_batch(lines, add_special_tokens=add_special)
            tokenizer.decode_batch([e.ids for e in encodings], skip_special_tokens=False)
        for text, encoding in zip(lines, encodings):
            tokens += len(encoding.ids)
            # [UNK] from the model, not the text "[UNK]" matched as an added token
            unk_lines += any(token == unk and text[start:end] != unk
                             for token, (start, end) in zip(encoding.tokens, encoding.offsets))
            fallback_lines += bool(byte_ids.intersection(encoding.ids))
        added = len(json.loads(tokenizer.to_str())["added_tokens"])
        line = (f"{name}: vocab {tokenizer.get_vocab_size()} ({len(model['vocab'])} in the model, {added} added tokens), "
                f"{len(model.get('merges', []))} merges, {os.path.getsize(path)} bytes, {tokens} tokens")
        if unk is not None:
            line += f"; lines with {unk}: {unk_lines} ({unk_lines / len(lines):.1%})"
        if byte_ids:
            line += f"; lines with byte fallback: {fallback_lines} ({fallback_lines / len(lines):.1%})"
        print(line)


if __name__ == "__main__":
    main()
