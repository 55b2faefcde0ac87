"""Build a tiny, randomly initialised Llama and its tokenizer in a folder, offline.

Run by the interop suite with the `transformers` virtualenv's Python (this file imports
torch and transformers, which rtchat's own virtualenv does not have):

    python tiny_model.py OUT_DIR [HEAD_DIM]

HEAD_DIM (default 8) is the attention head size: vLLM's CPU attention takes 32 and up.

Nothing is downloaded: the tokenizer is a word-level `tokenizers` model built from the
sentences below, and the weights come from a seeded `torch.manual_seed`. Generation is
greedy (`do_sample=False`), so the same request always gives the same text, and never ends
early (the end token cannot win), so an answer is long enough to interrupt."""

import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SENTENCES = (
    "hello there how are you today",
    "the quick brown fox jumps over the lazy dog",
    "rtchat speaks to real servers over server sent events",
    "tiny models say random things but they say them the same way every time",
    "one two three four five six seven eight nine ten",
)
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>", "<|user|>", "<|assistant|>", "<|system|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def build(out: str, head_dim: int = 8) -> None:
    words = sorted({word for sentence in SENTENCES for word in sentence.split()})
    vocab = {token: index for index, token in enumerate(SPECIAL + words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces, as the word level needs
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab), hidden_size=4 * head_dim, intermediate_size=8 * head_dim, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"],
        pad_token_id=vocab["<pad>"], tie_word_embeddings=True, initializer_range=0.5,  # wide weights: varied words
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # </s> gets a zero (tied) embedding: its logit is 0, below the greedy winner, so every
        model.get_input_embeddings().weight[config.eos_token_id].zero_()  # answer runs to the server's token limit
    model.generation_config = GenerationConfig(
        do_sample=False, max_new_tokens=24, bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
    )
    model.save_pretrained(out)


if __name__ == "__main__":
    build(sys.argv[1], *(int(arg) for arg in sys.argv[2:3]))
