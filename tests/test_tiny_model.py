"""The tiny test model is well-formed in both layouts (GGUF for llama.cpp, HF for exllamav2/v3)."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer


def test_gguf_metadata_and_tensors(tiny_gguf: Path) -> None:
    reader = gguf.GGUFReader(tiny_gguf)
    fields = {name: field.contents() for name, field in reader.fields.items()}
    assert fields["general.architecture"] == "llama"
    assert fields["llama.context_length"] == 2048
    assert fields["llama.block_count"] == 2
    assert fields["llama.embedding_length"] == 256
    assert fields["llama.attention.head_count"] == 4
    assert fields["tokenizer.ggml.model"] == "gpt2"
    tokens = fields["tokenizer.ggml.tokens"]
    assert len(tokens) == 768
    assert tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert fields["tokenizer.ggml.token_type"][:4] == [3, 3, 3, 1]
    assert fields["tokenizer.ggml.eos_token_id"] == 2
    assert fields["tokenizer.ggml.eot_token_id"] == 2
    assert fields["tokenizer.ggml.bos_token_id"] == 0
    assert "<|im_start|>" in fields["tokenizer.chat_template"]
    shapes = {t.name: [int(d) for d in t.shape] for t in reader.tensors}
    assert len(shapes) == 3 + 2 * 9
    assert shapes["token_embd.weight"] == [256, 768]
    assert shapes["output.weight"] == [256, 768]
    assert shapes["blk.1.ffn_down.weight"] == [512, 256]
    assert shapes["blk.1.attn_norm.weight"] == [256]
    assert {int(t.tensor_type) for t in reader.tensors} == {int(gguf.GGMLQuantizationType.F32)}


def test_hf_directory(tiny_hf_dir: Path, tiny_gguf: Path) -> None:
    config = json.loads((tiny_hf_dir / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["LlamaForCausalLM"]
    assert (config["hidden_size"], config["num_attention_heads"], config["head_dim"]) == (
        256,
        4,
        64,
    )
    assert config["num_hidden_layers"] == 2
    assert config["rope_theta"] == 10000.0
    tokenizer = Tokenizer.from_file(str(tiny_hf_dir / "tokenizer.json"))
    assert tokenizer.get_vocab_size() == config["vocab_size"] == 768
    assert config["vocab_size"] % 32 == 0
    assert tokenizer.token_to_id("<|im_end|>") == config["eos_token_id"] == 2
    tok_config = json.loads((tiny_hf_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert tok_config["eos_token"] == "<|im_end|>"
    weights = load_file(str(tiny_hf_dir / "model.safetensors"))
    assert len(weights) == 3 + 2 * 9
    assert weights["model.embed_tokens.weight"].shape == (768, 256)
    assert weights["model.layers.0.mlp.gate_proj.weight"].shape == (512, 256)
    assert {w.dtype for w in weights.values()} == {np.dtype(np.float16)}
    # the same weights as the GGUF (v_proj is not permuted between the layouts)
    reader = gguf.GGUFReader(tiny_gguf)
    attn_v = next(t for t in reader.tensors if t.name == "blk.0.attn_v.weight")
    hf_v = weights["model.layers.0.self_attn.v_proj.weight"].astype(np.float32)
    assert np.array_equal(np.asarray(attn_v.data).reshape(256, 256), hf_v)


def test_special_tokens_are_single_tokens(tiny_hf_dir: Path) -> None:
    tokenizer = Tokenizer.from_file(str(tiny_hf_dir / "tokenizer.json"))
    encoded = tokenizer.encode("<|im_start|>user\nhi<|im_end|>")
    assert encoded.ids[0] == 1
    assert encoded.ids[-1] == 2
