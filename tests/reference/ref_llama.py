"""Independent float64 reference for the dense GQA families: LlamaForCausalLM, Qwen2ForCausalLM,
Qwen3ForCausalLM (HF modeling_llama / modeling_qwen2 / modeling_qwen3). The decoder skeleton and the
GQA attention here are reused by ref_moe.py. Not a runtime: no KV cache, no sliding window.
"""
import torch

from common import apply_rope, causal_attention, linear, rms_norm, rope_cos_sin

# Per family: (q/k/v bias, o bias, per-head q_norm/k_norm). "cfg" means config["attention_bias"].
ATTENTION_VARIANTS = {
    "LlamaForCausalLM": ("cfg", "cfg", False),      # modeling_llama: all four use attention_bias
    "MixtralForCausalLM": (False, False, False),    # modeling_mixtral: no biases
    "Qwen2ForCausalLM": (True, False, False),       # modeling_qwen2: q/k/v bias=True, o_proj bias=False
    "Qwen2MoeForCausalLM": ("qkv", False, False),   # modeling_qwen2_moe: q/k/v bias (config qkv_bias, default True)
    "Qwen3ForCausalLM": ("cfg", "cfg", True),       # modeling_qwen3: attention_bias, q_norm/k_norm before RoPE
    "Qwen3MoeForCausalLM": ("cfg", "cfg", True),
}


def _flag(value, cfg):
    if value == "cfg":
        return bool(cfg.get("attention_bias", False))
    if value == "qkv":
        return bool(cfg.get("qkv_bias", True))
    return value


def head_dim_of(cfg):
    # HF: getattr(config, "head_dim", None) or hidden_size // num_attention_heads
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def _bias(m, name, present):
    """Biases exist exactly when the config says so; a stray one would otherwise be silently ignored."""
    if present:
        return m.w(name)
    if m.opt(name) is not None:
        raise ValueError(f"checkpoint has {name} but the {m.arch} config says there is no such bias")
    return None


def attention_gqa(m, layer, x, positions):
    """Grouped-query attention with RoPE (rotate-half layout). x [T, n_embd] -> [T, n_embd]."""
    cfg = m.config
    qkv_b, o_b, qk_norm = ATTENTION_VARIANTS[m.arch]
    qkv_b, o_b = _flag(qkv_b, cfg), _flag(o_b, cfg)
    n_head, n_head_kv, head_dim = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    n_tok = x.shape[0]
    p = f"model.layers.{layer}.self_attn."
    q = linear(x, m.w(p + "q_proj.weight"), _bias(m, p + "q_proj.bias", qkv_b))  # [T, n_head*head_dim]
    k = linear(x, m.w(p + "k_proj.weight"), _bias(m, p + "k_proj.bias", qkv_b))  # [T, n_head_kv*head_dim]
    v = linear(x, m.w(p + "v_proj.weight"), _bias(m, p + "v_proj.bias", qkv_b))
    q = q.view(n_tok, n_head, head_dim).transpose(0, 1)      # [n_head, T, head_dim]
    k = k.view(n_tok, n_head_kv, head_dim).transpose(0, 1)   # [n_head_kv, T, head_dim]
    v = v.view(n_tok, n_head_kv, head_dim).transpose(0, 1)
    if qk_norm:  # Qwen3: RMSNorm over head_dim of every head, before RoPE
        q = rms_norm(q, m.w(p + "q_norm.weight"), cfg["rms_norm_eps"])
        k = rms_norm(k, m.w(p + "k_norm.weight"), cfg["rms_norm_eps"])
    cos, sin = rope_cos_sin(positions, head_dim, cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"))
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    attn = causal_attention(q, k, v, head_dim ** -0.5)       # [T, n_head*head_dim]
    return linear(attn, m.w(p + "o_proj.weight"), _bias(m, p + "o_proj.bias", o_b))


def dense_mlp(m, prefix, x):
    """SwiGLU MLP at prefix (e.g. model.layers.0.mlp.); Llama's mlp_bias adds biases to all three."""
    b = bool(m.config.get("mlp_bias", False))
    gate = linear(x, m.w(prefix + "gate_proj.weight"), _bias(m, prefix + "gate_proj.bias", b))
    up = linear(x, m.w(prefix + "up_proj.weight"), _bias(m, prefix + "up_proj.bias", b))
    return linear(torch.nn.functional.silu(gate) * up, m.w(prefix + "down_proj.weight"),
                  _bias(m, prefix + "down_proj.bias", b))


def decoder(m, ids, start_pos, attention, ffn):
    """Pre-norm decoder (HF *DecoderLayer): h += attn(input_layernorm(h)); h += ffn(post_attention_layernorm(h)).
    positions = start_pos .. start_pos+T-1; attention sees only these T tokens (nothing cached before).
    Returns logits [T, vocab]."""
    cfg = m.config
    eps = cfg["rms_norm_eps"]
    ids = torch.tensor(ids, dtype=torch.long)
    positions = torch.arange(start_pos, start_pos + len(ids))
    h = m.w("model.embed_tokens.weight")[ids]  # [T, n_embd]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = h + attention(m, layer, rms_norm(h, m.w(p + "input_layernorm.weight"), eps), positions)
        h = h + ffn(m, layer, rms_norm(h, m.w(p + "post_attention_layernorm.weight"), eps))
    h = rms_norm(h, m.w("model.norm.weight"), eps)
    return linear(h, m.lm_head())


def forward(m, ids, start_pos=0, stats=None):
    return decoder(m, ids, start_pos, attention_gqa,
                   lambda m, layer, x: dense_mlp(m, f"model.layers.{layer}.mlp.", x))
