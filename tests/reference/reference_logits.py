#!/usr/bin/python3
"""Float64 reference logits of a Hugging Face checkpoint folder, in the format of `hearth logits`.

  /usr/bin/python3 tests/reference/reference_logits.py --model DIR --ids 1,2,3 [--positions all|last] [--start-pos N]

prints one JSON object {"ids": [...], "logits": [[...], ...]}: one row of vocab_size logits per requested
position ("all": every prompt position, "last": the last one only).

--start-pos N: the tokens get position ids N .. N+len(ids)-1 (RoPE angles, YaRN) while attention still
sees only these tokens: nothing precedes them in the cache. It tests long-position numerics cheaply.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import numpy  # noqa: E402,F401  (imported here only to report a missing package clearly)
    import torch  # noqa: E402
except ImportError as e:
    raise SystemExit(f"tests/reference needs PyTorch and NumPy ({e}): run Debian's /usr/bin/python3 with "
                     "apt packages python3-torch python3-numpy installed")

import ref_deepseek  # noqa: E402
import ref_llama  # noqa: E402
import ref_moe  # noqa: E402
from common import Model  # noqa: E402

# HF "architectures" entry -> forward(model, ids, start_pos, stats) -> logits [T, vocab] (float64)
FORWARD = {
    "LlamaForCausalLM": ref_llama.forward,
    "Qwen2ForCausalLM": ref_llama.forward,
    "Qwen3ForCausalLM": ref_llama.forward,
    "MixtralForCausalLM": ref_moe.forward,
    "Qwen3MoeForCausalLM": ref_moe.forward,
    "Qwen2MoeForCausalLM": ref_moe.forward,
    "DeepseekV2ForCausalLM": ref_deepseek.forward,
    "DeepseekV3ForCausalLM": ref_deepseek.forward,
}


def load(model_dir):
    m = Model(model_dir)
    if m.arch not in FORWARD:
        raise SystemExit(f"{model_dir}: architecture {m.arch} has no reference (expected one of {sorted(FORWARD)})")
    return m


def logits(m, ids, start_pos=0, stats=None):
    """Reference logits [len(ids), vocab] (float64 tensor) for ids at positions start_pos..."""
    vocab = m.config["vocab_size"]
    bad = [i for i in ids if not 0 <= i < vocab]
    if bad:
        raise ValueError(f"token ids {bad} outside the vocabulary [0, {vocab})")
    with torch.no_grad():
        return FORWARD[m.arch](m, ids, start_pos, stats)


def to_json(ids, rows):
    return json.dumps({"ids": list(ids), "logits": [[float(v) for v in row] for row in rows.tolist()]})


def parse_ids(text):
    return [int(t) for t in text.replace(" ", "").split(",") if t]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="Hugging Face checkpoint folder")
    ap.add_argument("--ids", required=True, help="comma-separated token ids")
    ap.add_argument("--positions", choices=["all", "last"], default="last")
    ap.add_argument("--start-pos", type=int, default=0, help="position id of the first token (default 0)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ids = parse_ids(args.ids)
    if not ids:
        raise SystemExit("--ids: expected at least one token id")
    out = logits(load(args.model), ids, args.start_pos)
    print(to_json(ids, out if args.positions == "all" else out[-1:]))


if __name__ == "__main__":
    main()
