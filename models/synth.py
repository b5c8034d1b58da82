#!/usr/bin/python3
"""Write a synthetic Hugging Face checkpoint folder of any supported architecture and shape, for tests
and benchmarks: config.json, model.safetensors (or --shards N files plus model.safetensors.index.json),
tokenizer.json + tokenizer_config.json (the bundled tiny model's), generation_config.json.

  /usr/bin/python3 models/synth.py --arch qwen3_moe --shape odd -o /tmp/m
  /usr/bin/python3 models/synth.py --arch DeepseekV3ForCausalLM --config-json '{"num_hidden_layers": 4}' -o /tmp/m
  /usr/bin/python3 models/synth.py --list

Weights are random but scaled so activations stay O(1) and logits and routers are far from ties: linear
layers N(0, 1/fan_in), embeddings N(0, 1) (tied ones as lm_head), norms 1 + N(0, 0.1^2), routers and
lm_head N(0, 4/fan_in).
Deterministic for a given (config, --seed). Not a model of anything: it exists to be compared against the
independent reference in tests/reference/.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
sys.path.insert(0, HERE)

from safetensors_io import encode, write_safetensors  # noqa: E402
from synth_archs import ARCHS, SHAPES, make_config, tensor_shapes  # noqa: E402

TOKENIZER_DIR = os.path.join(HERE, "tiny-qwen3-moe")


def init_tensor(rng, shape, kind):
    """float32 values for one tensor; kind from synth_archs.tensor_shapes."""
    if kind == "embed":
        return rng.standard_normal(shape)
    if kind == "norm":
        return 1.0 + 0.1 * rng.standard_normal(shape)
    if kind == "bias":
        return 0.1 * rng.standard_normal(shape)
    if kind == "score_bias":
        # DeepSeek-V3 e_score_correction_bias: positive, large enough to change some selections. Positive
        # keeps every biased score > 0, where HF (masked experts = 0.0) and DeepSeek (-inf) agree.
        return rng.uniform(0.0, 0.15, shape)
    fan_in = shape[-1]
    gain = {"linear": 1.0, "router": 2.0, "head": 2.0}[kind]
    return gain / np.sqrt(fan_in) * rng.standard_normal(shape)


def build_tensors(short, cfg, seed, dtype):
    """[(name, shape, safetensors dtype, bytes)]. e_score_correction_bias stays float32 whatever the
    dtype, as in the published DeepSeek-V3 checkpoints."""
    rng = np.random.default_rng(seed)
    out = []
    for name, shape, kind in tensor_shapes(short, cfg):
        values = init_tensor(rng, shape, kind).astype(np.float32)
        dt, data = encode(values, "f32" if kind == "score_bias" else dtype)
        out.append((name, shape, dt, data))
    return out


def split_shards(tensors, n):
    """Contiguous groups of roughly equal bytes, in state-dict order (as HF's size-based sharding)."""
    total = sum(len(t[3]) for t in tensors)
    shards, cur, acc = [], [], 0
    for t in tensors:
        if cur and acc + len(t[3]) > total * (len(shards) + 1) / n and len(shards) < n - 1:
            shards.append(cur)
            cur = []
        cur.append(t)
        acc += len(t[3])
    shards.append(cur)
    if len(shards) != n:
        raise ValueError(f"cannot split {len(tensors)} tensors into {n} shards")
    return shards


def write_json(path, obj):
    with open(path, "w") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_checkpoint(out_dir, short, cfg, seed=0, dtype="bf16", shards=1):
    os.makedirs(out_dir, exist_ok=True)
    tensors = build_tensors(short, cfg, seed, dtype)
    meta = {"format": "pt"}
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, meta)
    else:
        weight_map, total = {}, 0
        for k, group in enumerate(split_shards(tensors, shards)):
            fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            total += write_safetensors(os.path.join(out_dir, fname), group, meta)
            weight_map.update({t[0]: fname for t in group})
        n_params = sum(int(np.prod(t[1])) for t in tensors)
        write_json(os.path.join(out_dir, "model.safetensors.index.json"),
                   {"metadata": {"total_parameters": n_params, "total_size": total},
                    "weight_map": dict(sorted(weight_map.items()))})
    write_json(os.path.join(out_dir, "config.json"), cfg)
    write_json(os.path.join(out_dir, "generation_config.json"), {
        "bos_token_id": cfg["bos_token_id"], "do_sample": False, "eos_token_id": [2045, 2047],
        "pad_token_id": 2045, "transformers_version": cfg["transformers_version"]})
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(out_dir, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", help="short name (e.g. qwen3_moe) or HF class (e.g. Qwen3MoeForCausalLM)")
    ap.add_argument("--shape", help="named test shape (see --list); default: the family's base config")
    ap.add_argument("--config-json", help="JSON object of config.json overrides, applied after --shape")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["bf16", "f16", "f32"], default="bf16")
    ap.add_argument("--shards", type=int, default=1, help="write N model-0000k-of-0000N.safetensors + index")
    ap.add_argument("-o", "--out", help="output folder (created)")
    ap.add_argument("--list", action="store_true", help="list architectures and shapes")
    args = ap.parse_args()
    if args.list:
        for short, (hf, _, _) in ARCHS.items():
            print(f"{short:12s} {hf:24s} shapes: {', '.join(SHAPES[short])}")
        return 0
    if not args.arch or not args.out:
        ap.error("--arch and -o are required")
    overrides = json.loads(args.config_json) if args.config_json else None
    try:
        short, cfg = make_config(args.arch, args.shape, overrides, args.dtype)
    except ValueError as e:
        print(f"synth.py: {e}", file=sys.stderr)
        return 2
    write_checkpoint(args.out, short, cfg, args.seed, args.dtype, args.shards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
