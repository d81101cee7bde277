#!/usr/bin/env python3
"""Trains the small tokenizer fixtures of tests/fixtures/tokenizers/ with Hugging Face
`tokenizers` (run with the project's venv Python). Each fixture reproduces the pipeline of a model
family on a vocabulary of a few thousand tokens, trained on the parity corpus.

Deterministic: one thread (RAYON_NUM_THREADS=1), fixed inputs; rerunning gives identical files.
"""
import json
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests/tokenizer/corpus.txt")
OUT = os.path.join(ROOT, "tests/fixtures/tokenizers")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = LLAMA3_PATTERN.replace(r"\p{N}{1,3}", r"\p{N}")


def corpus():
    with open(CORPUS, encoding="utf-8", newline="") as f:
        return f.read().split("\n")


def save(name, tokenizer, config):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def byte_level_bpe(pre_tokenizer, specials, vocab_size, ignore_merges=False, normalizer=None):
    tokenizer = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(corpus(), trainer)
    return tokenizer


def gpt2():
    tokenizer = byte_level_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
                               ["<|endoftext|>"], 2000)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    save("gpt2-bpe", tokenizer, {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                                 "unk_token": "<|endoftext|>", "add_bos_token": False})


def llama3():
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tokenizer = byte_level_bpe(pre, specials, 2500, ignore_merges=True)
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                      special_tokens=[("<|begin_of_text|>", tokenizer.token_to_id("<|begin_of_text|>"))])])
    save("llama3-bpe", tokenizer, {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "add_bos_token": True})


def qwen2():
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tokenizer = byte_level_bpe(pre, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], 2500, normalizer=normalizers.NFC())
    save("qwen2-bpe", tokenizer, {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None})


def sentencepiece_style(name, metaspace):
    """Llama-2 / Mistral style: byte fallback, <0xNN> tokens, unk fused."""
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    if metaspace:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
        tokenizer.decoder = decoders.Sequence([decoders.Metaspace(replacement="▁", prepend_scheme="first"),
                                               decoders.ByteFallback(), decoders.Fuse()])
    else:
        tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                               decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    # Rare characters stay out of the alphabet, so byte fallback really runs.
    trainer = trainers.BpeTrainer(vocab_size=2200, special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens,
                                  limit_alphabet=180, show_progress=False)
    tokenizer.train_from_iterator(corpus(), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", tokenizer.token_to_id("<s>"))])
    save(name, tokenizer, {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                           "add_bos_token": True, "add_eos_token": False})


def wordlevel():
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=3000, special_tokens=["[UNK]", "[SEP]"], show_progress=False)
    tokenizer.train_from_iterator(corpus(), trainer)
    save("wordlevel", tokenizer, {"unk_token": "[UNK]"})


def kitchen_sink():
    """The other components: NFKC + regex Replace + Strip, WhitespaceSplit/Punctuation/Digits,
    subword prefix and end-of-word suffix, added tokens with every flag."""
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " "),
                                                 normalizers.Strip(left=True, right=True)])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                       pre_tokenizers.Punctuation(behavior="isolated"),
                                                       pre_tokenizers.Digits(individual_digits=True)])
    tokenizer.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["[UNK]"], continuing_subword_prefix="##",
                                  end_of_word_suffix="</w>", limit_alphabet=300, show_progress=False)
    tokenizer.train_from_iterator(corpus(), trainer)
    from tokenizers import AddedToken
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True),
                                  AddedToken("[SEP]", single_word=True, special=True),
                                  AddedToken("<s>", rstrip=True, special=True)])
    tokenizer.add_tokens([AddedToken("monitor", single_word=True, normalized=True),
                          AddedToken("Oversight", normalized=True), AddedToken("<|im_end|>", normalized=False)])
    save("kitchen-sink-bpe", tokenizer, {"unk_token": "[UNK]", "mask_token": "<mask>"})


if __name__ == "__main__":
    for make in (gpt2, llama3, qwen2, wordlevel, kitchen_sink):
        make()
    sentencepiece_style("llama2-sp-bpe", metaspace=False)
    sentencepiece_style("mistral-metaspace-bpe", metaspace=True)
    for name in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, name, "tokenizer.json")
        if os.path.exists(path):
            size = os.path.getsize(path)
            vocab = Tokenizer.from_file(path).get_vocab_size()
            print(f"{name}: vocab {vocab}, {size} bytes")
