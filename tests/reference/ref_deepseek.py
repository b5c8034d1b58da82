"""Independent float64 reference for DeepseekV2ForCausalLM and DeepseekV3ForCausalLM: Multi-head Latent
Attention in its plain (non-absorbed) form and the DeepSeek MoE routers.

Sources: HF modeling_deepseek_v3.py (DeepseekV3Attention, DeepseekV3TopkRouter, DeepseekV3MoE) and
DeepSeek-V2's modeling_deepseek.py (trust_remote_code: MoEGate, DeepseekV2Attention). Where HF's native
deepseek_v2 port differs from DeepSeek's own V2 code (it drops the YaRN mscale^2 softmax correction and
norm_topk_prob), DeepSeek's code is followed, as DESIGN asks; the synthetic V2 shapes keep
norm_topk_prob false so both agree on routing.
"""
import torch

from common import (apply_rope, causal_attention, deinterleave, linear, rms_norm, rope_cos_sin, swiglu,
                    yarn_get_mscale)
from ref_llama import decoder
from ref_moe import combine_experts


def _opt_bias(m, name):
    return m.w(name) if m.config.get("attention_bias", False) else None


def attention_mla(m, layer, x, positions):
    """x [T, n_embd] -> [T, n_embd]."""
    cfg = m.config
    eps = cfg["rms_norm_eps"]
    n_head = cfg["num_attention_heads"]
    d_nope, d_rope, d_v = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    kv_lora_rank = cfg["kv_lora_rank"]
    n_tok = x.shape[0]
    p = f"model.layers.{layer}.self_attn."

    if cfg.get("q_lora_rank") is None:
        q = linear(x, m.w(p + "q_proj.weight"))                                  # [T, n_head*(d_nope+d_rope)]
    else:
        q_lat = linear(x, m.w(p + "q_a_proj.weight"), _opt_bias(m, p + "q_a_proj.bias"))  # [T, q_lora_rank]
        q = linear(rms_norm(q_lat, m.w(p + "q_a_layernorm.weight"), eps), m.w(p + "q_b_proj.weight"))
    q = q.view(n_tok, n_head, d_nope + d_rope).transpose(0, 1)                   # [n_head, T, d_nope+d_rope]
    q_nope, q_pe = q.split([d_nope, d_rope], dim=-1)

    ckv = linear(x, m.w(p + "kv_a_proj_with_mqa.weight"), _opt_bias(m, p + "kv_a_proj_with_mqa.bias"))
    kv_lat, k_pe = ckv.split([kv_lora_rank, d_rope], dim=-1)                     # [T, kv_lora_rank], [T, d_rope]
    kv = linear(rms_norm(kv_lat, m.w(p + "kv_a_layernorm.weight"), eps), m.w(p + "kv_b_proj.weight"))
    kv = kv.view(n_tok, n_head, d_nope + d_v).transpose(0, 1)                    # [n_head, T, d_nope+d_v]
    k_nope, v = kv.split([d_nope, d_v], dim=-1)
    k_pe = k_pe[None]                                                            # [1, T, d_rope], shared by all heads

    # V2 always stores the rope dims as interleaved pairs; V3 says so with rope_interleave (default True).
    # HF de-interleaves (apply_rotary_pos_emb_interleave) and then rotates halves; the dot products equal
    # those of rotating the original pairs.
    if m.arch == "DeepseekV2ForCausalLM" or cfg.get("rope_interleave", True):
        q_pe, k_pe = deinterleave(q_pe), deinterleave(k_pe)
    rope_scaling = cfg.get("rope_scaling")
    cos, sin = rope_cos_sin(positions, d_rope, cfg.get("rope_theta", 10000.0), rope_scaling)
    q_pe, k_pe = apply_rope(q_pe, cos, sin), apply_rope(k_pe, cos, sin)

    q = torch.cat((q_nope, q_pe), dim=-1)
    k = torch.cat((k_nope, k_pe.expand(n_head, -1, -1)), dim=-1)
    scale = (d_nope + d_rope) ** -0.5
    if rope_scaling is not None and rope_scaling.get("mscale_all_dim"):
        # DeepseekV3Attention.__init__ / DeepSeek-V2 softmax_scale: YaRN attention-scale correction
        ms = yarn_get_mscale(rope_scaling["factor"], rope_scaling["mscale_all_dim"])
        scale = scale * ms * ms
    attn = causal_attention(q, k, v, scale)                                      # [T, n_head*d_v]
    return linear(attn, m.w(p + "o_proj.weight"), _opt_bias(m, p + "o_proj.bias"))


def _group_mask(group_scores, topk_group, n_expert):
    """Keep the experts of the topk_group best groups: [T, n_group] -> bool [T, n_expert]."""
    n_group = group_scores.shape[-1]
    keep = torch.zeros_like(group_scores, dtype=torch.bool)
    keep.scatter_(1, group_scores.topk(topk_group, dim=-1).indices, True)
    return keep[:, :, None].expand(-1, -1, n_expert // n_group).reshape(-1, n_expert)


def route_v3(m, layer, logits, stats):
    """DeepseekV3TopkRouter (noaux_tc): sigmoid scores; e_score_correction_bias only for the choice; group
    score = sum of the top-2 biased scores of the group; masked experts get 0.0 (HF; DeepSeek's inference
    code uses -inf, identical while every biased score is positive); weights = unbiased scores of the chosen
    experts, renormalised if norm_topk_prob, times routed_scaling_factor."""
    cfg = m.config
    n_expert, k = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    n_group, topk_group = cfg["n_group"], cfg["topk_group"]
    scores = torch.sigmoid(logits)                                               # [T, n_expert]
    choice = scores + m.w(f"model.layers.{layer}.mlp.gate.e_score_correction_bias")[None]
    group_scores = choice.view(-1, n_group, n_expert // n_group).topk(2, dim=-1).values.sum(-1)
    choice = choice.masked_fill(~_group_mask(group_scores, topk_group, n_expert), 0.0)
    if stats is not None:
        stats.note(group_scores, topk_group, f"layer {layer} groups")
        stats.note(choice, k, f"layer {layer} experts")
    ids = choice.topk(k, dim=-1).indices
    weights = scores.gather(1, ids)
    if cfg.get("norm_topk_prob", True):
        weights = weights / (weights.sum(-1, keepdim=True) + 1e-20)
    return ids, weights * cfg.get("routed_scaling_factor", 1.0)


def route_v2(m, layer, logits, stats):
    """DeepSeek-V2 MoEGate (softmax): topk_method greedy, or group_limited_greedy (group score = max of
    the group, masked experts 0.0); if top_k > 1 and norm_topk_prob: renormalise, else times
    routed_scaling_factor (DeepSeek's code applies one or the other, never both)."""
    cfg = m.config
    n_expert, k = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    scores = torch.softmax(logits, dim=-1)
    method = cfg.get("topk_method", "greedy")
    if method == "group_limited_greedy":
        n_group, topk_group = cfg["n_group"], cfg["topk_group"]
        group_scores = scores.view(-1, n_group, n_expert // n_group).max(dim=-1).values
        if stats is not None:
            stats.note(group_scores, topk_group, f"layer {layer} groups")
        scores = scores.masked_fill(~_group_mask(group_scores, topk_group, n_expert), 0.0)
    elif method != "greedy":
        raise ValueError(f"unsupported DeepSeek-V2 topk_method {method!r}")
    if stats is not None:
        stats.note(scores, k, f"layer {layer} experts")
    weights, ids = scores.topk(k, dim=-1)
    if k > 1 and cfg.get("norm_topk_prob", False):
        return ids, weights / (weights.sum(-1, keepdim=True) + 1e-20)
    return ids, weights * cfg.get("routed_scaling_factor", 1.0)


def is_moe_layer(cfg, layer):
    # DeepSeek modeling_deepseek.py DeepseekV2DecoderLayer / HF DeepseekV3DecoderLayer
    return (cfg.get("n_routed_experts") and layer >= cfg.get("first_k_dense_replace", 0)
            and layer % cfg.get("moe_layer_freq", 1) == 0)


def deepseek_ffn(m, layer, x, stats):
    cfg = m.config
    p = f"model.layers.{layer}.mlp."
    if not is_moe_layer(cfg, layer):
        return swiglu(x, m.w(p + "gate_proj.weight"), m.w(p + "up_proj.weight"), m.w(p + "down_proj.weight"))
    route = route_v3 if m.arch == "DeepseekV3ForCausalLM" else route_v2
    if m.arch == "DeepseekV3ForCausalLM" and cfg.get("scoring_func", "sigmoid") != "sigmoid":
        raise ValueError("DeepSeek-V3 reference supports scoring_func sigmoid only")
    if m.arch == "DeepseekV2ForCausalLM" and cfg.get("scoring_func", "softmax") != "softmax":
        raise ValueError("DeepSeek-V2 reference supports scoring_func softmax only")
    ids, weights = route(m, layer, linear(x, m.w(p + "gate.weight")), stats)
    out = combine_experts(x, ids, weights, lambda e, xs: swiglu(
        xs, m.w(f"{p}experts.{e}.gate_proj.weight"), m.w(f"{p}experts.{e}.up_proj.weight"),
        m.w(f"{p}experts.{e}.down_proj.weight")))
    if cfg.get("n_shared_experts"):
        out = out + swiglu(x, m.w(p + "shared_experts.gate_proj.weight"), m.w(p + "shared_experts.up_proj.weight"),
                           m.w(p + "shared_experts.down_proj.weight"))
    return out


def forward(m, ids, start_pos=0, stats=None):
    return decoder(m, ids, start_pos, attention_mla, lambda m, layer, x: deepseek_ffn(m, layer, x, stats))
