"""Shared building blocks of the independent PyTorch references (tests only).

Everything here follows the Hugging Face transformers modeling code (cited per function) and is
computed in float64 from the weights exactly as stored (bf16/f16 widened exactly). Deliberately
plain and slow: one sequence, full causal attention over the whole prompt, no KV cache, loops
over experts; it is the definition the C++ runtime is compared against, not a second runtime.
"""
import json
import math
import os

import torch

from safetensors_io import read_safetensors

DTYPE = torch.float64


class Model:
    """A checkpoint folder: config dict + {HF tensor name: float64 tensor}."""

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        index = os.path.join(model_dir, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                files = sorted(set(json.load(f)["weight_map"].values()))
        else:
            files = ["model.safetensors"]
        self.tensors = {}
        for name in files:
            arrays, _ = read_safetensors(os.path.join(model_dir, name))
            self.tensors.update({k: torch.from_numpy(v) for k, v in arrays.items()})
        self.arch = self.config["architectures"][0]

    def w(self, name):
        if name not in self.tensors:
            raise KeyError(f"tensor {name!r} missing from checkpoint ({self.arch})")
        return self.tensors[name]

    def opt(self, name):
        return self.tensors.get(name)

    def lm_head(self):
        # tie_word_embeddings defaults to False for every family here except when the config says so.
        if self.config.get("tie_word_embeddings", False) and "lm_head.weight" not in self.tensors:
            return self.w("model.embed_tokens.weight")
        return self.w("lm_head.weight")


def linear(x, weight, bias=None):
    """nn.Linear: x [T, in] @ weight[out, in]^T (+ bias[out])."""
    y = x @ weight.T
    return y + bias if bias is not None else y


def rms_norm(x, weight, eps):
    """LlamaRMSNorm / Qwen3RMSNorm / DeepseekV3RMSNorm: x * rsqrt(mean(x^2) + eps) * weight
    (HF upcasts to float32; here everything is already float64)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def swiglu(x, gate_w, up_w, down_w):
    """LlamaMLP: down(silu(gate(x)) * up(x)); Mixtral's w1 = gate, w3 = up, w2 = down."""
    return linear(torch.nn.functional.silu(linear(x, gate_w)) * linear(x, up_w), down_w)


# ---------------------------------------------------------------- RoPE

def _rope_type(rope_scaling):
    if not rope_scaling:
        return "default"
    return rope_scaling.get("rope_type", rope_scaling.get("type", "default"))


def yarn_get_mscale(scale=1.0, mscale=1.0):
    """DeepSeek modeling_deepseek.py / HF modeling_deepseek_v3.yarn_get_mscale."""
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def rope_inv_freq(dim, base, rope_scaling):
    """Inverse frequencies [dim/2] and the cos/sin attention factor, following HF modeling_rope_utils
    (_compute_default/_linear/_llama3/_yarn_parameters) and DeepSeek's DeepseekV2YarnRotaryEmbedding.

    YaRN note: DeepSeek's own code uses rope_scaling["factor"]; recent HF versions instead derive the
    factor as max_position_embeddings / original_max_position_embeddings. The synthetic configs keep
    the two equal (as the published DeepSeek configs do), so both readings agree.

    The frequencies are computed in float32, exactly as HF (and DeepSeek's code) do, then widened: the
    golden reference.jsonl files were made that way (float64 frequencies move their logits by ~2e-8).
    Angles position * inv_freq are then formed in float64.
    """
    inv_freq, attn_factor = _inv_freq_f32(dim, base, rope_scaling)
    return inv_freq.to(DTYPE), attn_factor


def _inv_freq_f32(dim, base, rope_scaling):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    kind = _rope_type(rope_scaling)
    if kind == "default":
        return inv_freq, 1.0
    factor = float(rope_scaling["factor"])
    if kind == "linear":
        return inv_freq / factor, 1.0
    if kind == "llama3":
        low_ff = rope_scaling["low_freq_factor"]
        high_ff = rope_scaling["high_freq_factor"]
        old_ctx = rope_scaling["original_max_position_embeddings"]
        low_wavelen = old_ctx / low_ff
        high_wavelen = old_ctx / high_ff
        wavelen = 2 * math.pi / inv_freq
        out = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_ctx / wavelen - low_ff) / (high_ff - low_ff)
        smoothed = (1 - smooth) * out / factor + smooth * out
        is_medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
        return torch.where(is_medium, smoothed, out), 1.0
    if kind == "yarn":
        orig = rope_scaling["original_max_position_embeddings"]
        beta_fast = rope_scaling.get("beta_fast") or 32
        beta_slow = rope_scaling.get("beta_slow") or 1
        mscale = rope_scaling.get("mscale") or 1.0
        mscale_all_dim = rope_scaling.get("mscale_all_dim") or 0.0

        def correction_dim(n_rot):
            return (dim * math.log(orig / (n_rot * 2 * math.pi))) / (2 * math.log(base))

        low = max(math.floor(correction_dim(beta_fast)), 0)
        high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
        extrapolation = 1.0 - ramp  # 1: keep the original frequency, 0: interpolate (divide by factor)
        inv_freq = (inv_freq / factor) * (1 - extrapolation) + inv_freq * extrapolation
        attn_factor = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all_dim)
        return inv_freq, attn_factor
    raise ValueError(f"unsupported rope_scaling type {kind!r}")


def rope_cos_sin(positions, dim, base, rope_scaling):
    """cos, sin [T, dim] in HF's half layout: emb = cat(freqs, freqs), times the attention factor."""
    inv_freq, attn_factor = rope_inv_freq(dim, base, rope_scaling)
    freqs = positions.to(DTYPE)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attn_factor, emb.sin() * attn_factor


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):
    """HF apply_rotary_pos_emb (rotate-half layout): x [..., T, d]."""
    return x * cos + rotate_half(x) * sin


def deinterleave(x):
    """HF apply_rotary_pos_emb_interleave's permutation: pairs (x0,x1),(x2,x3).. -> (x0,x2,..,x1,x3,..)."""
    d = x.shape[-1]
    return x.reshape(*x.shape[:-1], d // 2, 2).transpose(-1, -2).reshape(*x.shape)


def causal_attention(q, k, v, scale):
    """q [n_head, T, d], k [n_head_kv, T, d], v [n_head_kv, T, dv] -> [T, n_head * dv].
    GQA: query head h uses kv head h // (n_head / n_head_kv) (HF repeat_kv)."""
    n_head, n_tok = q.shape[0], q.shape[1]
    rep = n_head // k.shape[0]
    k = k.repeat_interleave(rep, dim=0)
    v = v.repeat_interleave(rep, dim=0)
    scores = (q @ k.transpose(-1, -2)) * scale
    mask = torch.ones(n_tok, n_tok, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(mask, float("-inf"))
    out = torch.softmax(scores, dim=-1) @ v  # [n_head, T, dv]
    return out.transpose(0, 1).reshape(n_tok, -1)


class RoutingStats:
    """Smallest gap seen between the last selected and the first rejected candidate of any routing
    decision (experts, or expert groups). A runtime computing in float32 can only be expected to pick
    the same experts when this gap is well above float32 rounding of the router scores."""

    def __init__(self):
        self.min_margin = float("inf")
        self.where = None

    def note(self, scores, k, what):
        """scores [T, n] (higher is better), k chosen per row."""
        if k >= scores.shape[-1]:
            return
        top = scores.topk(k + 1, dim=-1).values
        gap = (top[:, k - 1] - top[:, k]).min().item()
        if gap < self.min_margin:
            self.min_margin, self.where = gap, what
