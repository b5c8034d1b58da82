"""Architecture table for models/synth.py: per family, the config.json fields exactly as transformers
writes them, the HF tensor names and shapes a checkpoint of that config holds, and named small test
shapes (including awkward ones). Pure data and shape arithmetic: no randomness, no file writing.
"""

COMMON = {
    "attention_dropout": 0.0, "bos_token_id": 2045, "eos_token_id": 2045, "hidden_act": "silu",
    "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 128, "max_position_embeddings": 2048,
    "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_scaling": None, "rope_theta": 10000.0, "tie_word_embeddings": False, "transformers_version": "4.57.1",
    "use_cache": True, "vocab_size": 2048,
}
QWEN = {"max_window_layers": 2, "sliding_window": None, "use_sliding_window": False}
QWEN_MOE = {"decoder_sparse_step": 1, "mlp_only_layers": [], "moe_intermediate_size": 64, "num_experts": 8,
            "num_experts_per_tok": 2, "output_router_logits": False, "router_aux_loss_coef": 0.001}
DEEPSEEK = {
    "attention_bias": False, "first_k_dense_replace": 1, "kv_lora_rank": 32, "moe_intermediate_size": 48,
    "n_group": 2, "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2,
    "num_attention_heads": 4, "num_hidden_layers": 3, "num_key_value_heads": 4, "q_lora_rank": 48,
    "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "topk_group": 1, "v_head_dim": 16,
}

# short name -> (HF architecture, model_type, base config)
ARCHS = {
    "llama": ("LlamaForCausalLM", "llama", {
        "attention_bias": False, "head_dim": 16, "mlp_bias": False, "pretraining_tp": 1, "rms_norm_eps": 1e-05}),
    "qwen2": ("Qwen2ForCausalLM", "qwen2", dict(QWEN)),
    "qwen3": ("Qwen3ForCausalLM", "qwen3", dict(QWEN, attention_bias=False, head_dim=16)),
    "mixtral": ("MixtralForCausalLM", "mixtral", {
        "head_dim": 16, "num_experts_per_tok": 2, "num_local_experts": 4, "output_router_logits": False,
        "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001, "router_jitter_noise": 0.0,
        "sliding_window": None, "rms_norm_eps": 1e-05}),
    "qwen3_moe": ("Qwen3MoeForCausalLM", "qwen3_moe", dict(QWEN, **QWEN_MOE, attention_bias=False, head_dim=16,
                                                          norm_topk_prob=True)),
    "qwen2_moe": ("Qwen2MoeForCausalLM", "qwen2_moe", dict(QWEN, **dict(QWEN_MOE, num_experts=4),
                                                          norm_topk_prob=False, shared_expert_intermediate_size=128)),
    # DeepSeek-V2 checkpoints are published with DeepSeek's remote code; the config mirrors DeepSeek-V2-Lite's.
    "deepseek_v2": ("DeepseekV2ForCausalLM", "deepseek_v2", dict(DEEPSEEK, **{
        "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekV2Config",
                     "AutoModel": "modeling_deepseek.DeepseekV2Model",
                     "AutoModelForCausalLM": "modeling_deepseek.DeepseekV2ForCausalLM"},
        "aux_loss_alpha": 0.001, "ep_size": 1, "moe_layer_freq": 1, "n_group": 1, "n_routed_experts": 6,
        "n_shared_experts": 2, "norm_topk_prob": False, "pretraining_tp": 1, "q_lora_rank": None,
        "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": True, "topk_method": "greedy"})),
    "deepseek_v3": ("DeepseekV3ForCausalLM", "deepseek_v3", dict(DEEPSEEK, **{
        "norm_topk_prob": True, "rope_interleave": True, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid",
        "topk_method": "noaux_tc"})),
}
ALIASES = {hf: short for short, (hf, _, _) in ARCHS.items()}


def _yarn(factor, orig, mscale, mscale_all_dim):
    # max_position_embeddings = factor * original, as in the published DeepSeek configs, so that HF's
    # derived factor (max_position_embeddings / original) and DeepSeek's rope_scaling["factor"] agree.
    return {"max_position_embeddings": int(factor * orig),
            "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": factor, "mscale": mscale,
                             "mscale_all_dim": mscale_all_dim, "original_max_position_embeddings": orig,
                             "type": "yarn"}}


LLAMA3 = {"rope_theta": 500000.0, "max_position_embeddings": 8192,
          "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                           "original_max_position_embeddings": 64, "rope_type": "llama3"}}

# Named test shapes: overrides of the base config. Each runs in a few ms in the float64 reference.
SHAPES = {
    "llama": {
        "base": {},
        "odd_heads": {"num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 20, "intermediate_size": 100,
                      "attention_bias": True},
        "mlp_bias": {"mlp_bias": True, "intermediate_size": 72},
        "llama3_tied": dict(LLAMA3, tie_word_embeddings=True),
        "llama3_long": LLAMA3,  # positions from START_POS: the scaled low frequencies matter there
    },
    "qwen2": {
        "base": {},
        "odd": {"hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2, "intermediate_size": 72,
                "vocab_size": 2050, "tie_word_embeddings": True, "num_hidden_layers": 3},
    },
    "qwen3": {
        "base": {},
        "odd_heads": {"num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 24, "intermediate_size": 100},
        # HF-style YaRN (Qwen3 long context): cos/sin scaled by 0.1 ln(factor) + 1, softmax scale unchanged
        "yarn": {"max_position_embeddings": 8192, "rope_scaling": {
            "factor": 4.0, "original_max_position_embeddings": 2048, "rope_type": "yarn"}},
    },
    "mixtral": {
        "base": {},
        "odd": {"hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 16,
                "num_local_experts": 5, "num_experts_per_tok": 3, "intermediate_size": 72},
    },
    "qwen3_moe": {
        "base": {},
        "odd": {"num_hidden_layers": 3, "num_attention_heads": 6, "num_key_value_heads": 2, "head_dim": 24,
                "num_experts": 6, "num_experts_per_tok": 3, "norm_topk_prob": False, "moe_intermediate_size": 72,
                "intermediate_size": 100, "mlp_only_layers": [0]},
        "sparse_step": {"num_hidden_layers": 3, "num_experts": 5, "decoder_sparse_step": 2, "intermediate_size": 72},
    },
    "qwen2_moe": {
        "base": {},
        "odd": {"num_hidden_layers": 3, "hidden_size": 96, "num_attention_heads": 6, "num_key_value_heads": 2,
                "num_experts": 6, "num_experts_per_tok": 3, "norm_topk_prob": True, "moe_intermediate_size": 72,
                "shared_expert_intermediate_size": 100, "intermediate_size": 100, "mlp_only_layers": [1]},
    },
    "deepseek_v2": {
        "lite": {},
        "group": {"q_lora_rank": 48, "n_routed_experts": 6, "n_group": 3, "topk_group": 2, "num_experts_per_tok": 3,
                  "topk_method": "group_limited_greedy", "routed_scaling_factor": 2.0, "n_shared_experts": 1,
                  "moe_intermediate_size": 72, "intermediate_size": 100},
        "yarn": _yarn(32.0, 256, 0.707, 0.707),
    },
    "deepseek_v3": {
        "base": {},
        "odd": {"num_attention_heads": 6, "num_key_value_heads": 6, "q_lora_rank": None, "n_routed_experts": 6,
                "n_group": 3, "topk_group": 2, "num_experts_per_tok": 3, "norm_topk_prob": False,
                "moe_intermediate_size": 72, "intermediate_size": 100, "qk_nope_head_dim": 24, "v_head_dim": 20,
                "rope_interleave": False, "n_shared_experts": 2},
        "yarn": _yarn(32.0, 256, 1.0, 1.0),
        "yarn_mscale": _yarn(32.0, 256, 1.0, 0.8),
        # as published: an extra multi-token-prediction layer the forward pass must ignore
        "mtp": {"num_nextn_predict_layers": 1},
    },
}

# Position id of the first test token for shapes that exercise long-context RoPE (see --start-pos).
START_POS = {("llama", "llama3_long"): 3000, ("qwen3", "yarn"): 5000, ("deepseek_v2", "yarn"): 5000,
             ("deepseek_v3", "yarn"): 5000, ("deepseek_v3", "yarn_mscale"): 5000}


def make_config(arch, shape=None, overrides=None, dtype="bf16"):
    short = ALIASES.get(arch, arch)
    if short not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r} (expected one of {sorted(ARCHS)} or {sorted(ALIASES)})")
    hf, model_type, base = ARCHS[short]
    cfg = dict(COMMON, **base)
    if shape is not None:
        if shape not in SHAPES[short]:
            raise ValueError(f"unknown shape {shape!r} for {short} (expected one of {sorted(SHAPES[short])})")
        cfg.update(SHAPES[short][shape])
    cfg.update(overrides or {})
    cfg.update(architectures=[hf], model_type=model_type,
               torch_dtype={"bf16": "bfloat16", "f16": "float16", "f32": "float32"}[dtype])
    check_config(short, cfg)
    return short, cfg


def check_config(short, cfg):
    def need(cond, what):
        if not cond:
            raise ValueError(f"{short} config: {what}")
    need(cfg["vocab_size"] >= 2048, f"vocab_size {cfg['vocab_size']} < 2048 (the bundled tokenizer's size)")
    need(cfg["num_attention_heads"] % cfg["num_key_value_heads"] == 0,
         "num_attention_heads must be a multiple of num_key_value_heads")
    if short.startswith("deepseek"):
        need(cfg["num_key_value_heads"] == cfg["num_attention_heads"], "MLA has num_key_value_heads == heads")
        need(cfg["qk_rope_head_dim"] % 2 == 0, "qk_rope_head_dim must be even")
        need(cfg["n_routed_experts"] % cfg["n_group"] == 0, "n_routed_experts must be a multiple of n_group")
        need(cfg["topk_group"] <= cfg["n_group"], "topk_group <= n_group")
        per_group = cfg["n_routed_experts"] // cfg["n_group"]
        need(cfg["num_experts_per_tok"] <= cfg["topk_group"] * per_group, "top-k exceeds the allowed experts")
        if cfg.get("topk_method") == "noaux_tc":
            need(per_group >= 2, "noaux_tc sums the top-2 scores of a group: groups need >= 2 experts")
    else:
        need((cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]) % 2 == 0, "head_dim even")


def tensor_shapes(short, cfg):
    """[(HF name, shape, kind)] in HF state-dict order; kind picks the initialiser in synth.py."""
    H, V, L = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    # Tied embeddings double as lm_head: keep their rows ~2/sqrt(H) long like an untied head's.
    out = [("model.embed_tokens.weight", (V, H), "head" if cfg.get("tie_word_embeddings") else "embed")]
    for i in range(L):
        p = f"model.layers.{i}."
        out += _mla(cfg, p) if short.startswith("deepseek") else _gqa(short, cfg, p)
        out += _ffn(short, cfg, i, p + "mlp." if short != "mixtral" else p + "block_sparse_moe.")
        out += [(p + "input_layernorm.weight", (H,), "norm"), (p + "post_attention_layernorm.weight", (H,), "norm")]
    for i in range(L, L + cfg.get("num_nextn_predict_layers", 0)):
        out += _mtp_layer(short, cfg, i)
    out.append(("model.norm.weight", (H,), "norm"))
    if not cfg.get("tie_word_embeddings"):
        out.append(("lm_head.weight", (V, H), "head"))
    return out


def _mtp_layer(short, cfg, i):
    """DeepSeek-V3 multi-token-prediction module, stored as model.layers.{num_hidden_layers + j} in the
    published checkpoints; inference (HF and ours) ignores it, a loader must tolerate it."""
    H, V, p = cfg["hidden_size"], cfg["vocab_size"], f"model.layers.{i}."
    return (_mla(cfg, p) + _ffn(short, cfg, i, p + "mlp.") + [
        (p + "input_layernorm.weight", (H,), "norm"), (p + "post_attention_layernorm.weight", (H,), "norm"),
        (p + "enorm.weight", (H,), "norm"), (p + "hnorm.weight", (H,), "norm"),
        (p + "eh_proj.weight", (H, 2 * H), "linear"), (p + "embed_tokens.weight", (V, H), "embed"),
        (p + "shared_head.norm.weight", (H,), "norm"), (p + "shared_head.head.weight", (V, H), "head")])


def _gqa(short, cfg, p):
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    if short in ("qwen2", "qwen2_moe"):
        qkv_bias, o_bias = cfg.get("qkv_bias", True), False
    else:
        qkv_bias = o_bias = bool(cfg.get("attention_bias", False))
    out = []
    for name, rows in (("q_proj", nh * hd), ("k_proj", nkv * hd), ("v_proj", nkv * hd)):
        out.append((f"{p}self_attn.{name}.weight", (rows, H), "linear"))
        if qkv_bias:
            out.append((f"{p}self_attn.{name}.bias", (rows,), "bias"))
    out.append((f"{p}self_attn.o_proj.weight", (H, nh * hd), "linear"))
    if o_bias:
        out.append((f"{p}self_attn.o_proj.bias", (H,), "bias"))
    if short in ("qwen3", "qwen3_moe"):
        out += [(f"{p}self_attn.q_norm.weight", (hd,), "norm"), (f"{p}self_attn.k_norm.weight", (hd,), "norm")]
    return out


def _mla(cfg, p):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    d_qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    a = p + "self_attn."
    if cfg.get("q_lora_rank") is None:
        out = [(a + "q_proj.weight", (nh * d_qk, H), "linear")]
    else:
        r = cfg["q_lora_rank"]
        out = [(a + "q_a_proj.weight", (r, H), "linear"), (a + "q_a_layernorm.weight", (r,), "norm"),
               (a + "q_b_proj.weight", (nh * d_qk, r), "linear")]
    r = cfg["kv_lora_rank"]
    return out + [
        (a + "kv_a_proj_with_mqa.weight", (r + cfg["qk_rope_head_dim"], H), "linear"),
        (a + "kv_a_layernorm.weight", (r,), "norm"),
        (a + "kv_b_proj.weight", (nh * (cfg["qk_nope_head_dim"] + cfg["v_head_dim"]), r), "linear"),
        (a + "o_proj.weight", (H, nh * cfg["v_head_dim"]), "linear")]


def _swiglu(p, H, n_ff, names=("gate_proj", "up_proj", "down_proj"), bias=False):
    g, u, d = names
    out = [(f"{p}{g}.weight", (n_ff, H), "linear"), (f"{p}{u}.weight", (n_ff, H), "linear"),
           (f"{p}{d}.weight", (H, n_ff), "linear")]
    if bias:
        out += [(f"{p}{g}.bias", (n_ff,), "bias"), (f"{p}{u}.bias", (n_ff,), "bias"), (f"{p}{d}.bias", (H,), "bias")]
    return out


def _ffn(short, cfg, i, p):
    H = cfg["hidden_size"]
    if short in ("llama", "qwen2", "qwen3"):
        return _swiglu(p, H, cfg["intermediate_size"], bias=short == "llama" and cfg.get("mlp_bias", False))
    if short == "mixtral":
        out = [(p + "gate.weight", (cfg["num_local_experts"], H), "router")]
        for e in range(cfg["num_local_experts"]):
            out += _swiglu(f"{p}experts.{e}.", H, cfg["intermediate_size"], ("w1", "w3", "w2"))
        return out
    if short in ("qwen3_moe", "qwen2_moe"):
        sparse = (i not in cfg["mlp_only_layers"] and cfg["num_experts"] > 0
                  and (i + 1) % cfg["decoder_sparse_step"] == 0)
        if not sparse:
            return _swiglu(p, H, cfg["intermediate_size"])
        out = [(p + "gate.weight", (cfg["num_experts"], H), "router")]
        for e in range(cfg["num_experts"]):
            out += _swiglu(f"{p}experts.{e}.", H, cfg["moe_intermediate_size"])
        if short == "qwen2_moe":
            out += _swiglu(p + "shared_expert.", H, cfg["shared_expert_intermediate_size"])
            out.append((p + "shared_expert_gate.weight", (1, H), "linear"))
        return out
    # DeepSeek V2 / V3
    if not (i >= cfg["first_k_dense_replace"] and i % cfg.get("moe_layer_freq", 1) == 0):
        return _swiglu(p, H, cfg["intermediate_size"])
    out = [(p + "gate.weight", (cfg["n_routed_experts"], H), "router")]
    if short == "deepseek_v3":
        out.append((p + "gate.e_score_correction_bias", (cfg["n_routed_experts"],), "score_bias"))
    for e in range(cfg["n_routed_experts"]):
        out += _swiglu(f"{p}experts.{e}.", H, cfg["moe_intermediate_size"])
    if cfg.get("n_shared_experts"):
        out += _swiglu(p + "shared_experts.", H, cfg["moe_intermediate_size"] * cfg["n_shared_experts"])
    return out
