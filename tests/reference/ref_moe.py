"""Independent float64 reference for the softmax-routed MoE families: MixtralForCausalLM,
Qwen3MoeForCausalLM, Qwen2MoeForCausalLM (HF modeling_mixtral / modeling_qwen3_moe / modeling_qwen2_moe).
Attention and the decoder skeleton come from ref_llama. Not a runtime: experts loop over all tokens.
"""
import torch

from common import linear, swiglu
from ref_llama import attention_gqa, decoder, dense_mlp


def softmax_topk(router_logits, k, renormalize, stats, what):
    """softmax over all experts (float32 in HF, float64 here), top-k, optional renormalisation.
    router_logits [T, n_expert] -> (ids [T, k], weights [T, k])."""
    probs = torch.softmax(router_logits, dim=-1)
    if stats is not None:
        stats.note(probs, k, what)
    weights, ids = probs.topk(k, dim=-1)
    if renormalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return ids, weights


def combine_experts(x, ids, weights, expert_fn):
    """sum_j weights[t, j] * expert_{ids[t, j]}(x[t]); expert_fn(e, x_rows) -> rows."""
    out = torch.zeros_like(x)
    for e in ids.unique().tolist():
        tok, slot = torch.where(ids == e)
        out.index_add_(0, tok, expert_fn(e, x[tok]) * weights[tok, slot, None])
    return out


def mixtral_moe(m, layer, x, stats):
    """MixtralSparseMoeBlock: gate -> softmax -> top-k -> always renormalised; experts w2(silu(w1 x) * w3 x)."""
    cfg = m.config
    p = f"model.layers.{layer}.block_sparse_moe."
    ids, weights = softmax_topk(linear(x, m.w(p + "gate.weight")), cfg["num_experts_per_tok"], True,
                                stats, f"layer {layer} experts")
    return combine_experts(x, ids, weights, lambda e, xs: swiglu(
        xs, m.w(f"{p}experts.{e}.w1.weight"), m.w(f"{p}experts.{e}.w3.weight"), m.w(f"{p}experts.{e}.w2.weight")))


def is_sparse_layer(cfg, layer):
    """Qwen3MoeDecoderLayer / Qwen2MoeDecoderLayer: sparse unless listed in mlp_only_layers, and only every
    decoder_sparse_step-th layer ((layer + 1) % step == 0)."""
    return (layer not in (cfg.get("mlp_only_layers") or []) and cfg["num_experts"] > 0
            and (layer + 1) % cfg.get("decoder_sparse_step", 1) == 0)


def qwen_moe(m, layer, x, stats):
    """Qwen3MoeSparseMoeBlock / Qwen2MoeSparseMoeBlock (dense Qwen*MoeMLP on non-sparse layers);
    Qwen2-MoE adds sigmoid(shared_expert_gate(x)) * shared_expert(x)."""
    cfg = m.config
    p = f"model.layers.{layer}.mlp."
    if not is_sparse_layer(cfg, layer):
        return dense_mlp(m, p, x)  # intermediate_size
    renorm = bool(cfg.get("norm_topk_prob", False))  # Qwen3MoeConfig and Qwen2MoeConfig both default to False
    ids, weights = softmax_topk(linear(x, m.w(p + "gate.weight")), cfg["num_experts_per_tok"], renorm,
                                stats, f"layer {layer} experts")
    out = combine_experts(x, ids, weights, lambda e, xs: swiglu(
        xs, m.w(f"{p}experts.{e}.gate_proj.weight"), m.w(f"{p}experts.{e}.up_proj.weight"),
        m.w(f"{p}experts.{e}.down_proj.weight")))
    if m.arch == "Qwen2MoeForCausalLM":
        shared = dense_mlp(m, p + "shared_expert.", x)
        out = out + torch.sigmoid(linear(x, m.w(p + "shared_expert_gate.weight"))) * shared
    return out


def forward(m, ids, start_pos=0, stats=None):
    ffn = mixtral_moe if m.arch == "MixtralForCausalLM" else qwen_moe
    return decoder(m, ids, start_pos, attention_gqa, lambda m, layer, x: ffn(m, layer, x, stats))
