#!/usr/bin/python3
"""Attention probabilities of the float64 PyTorch reference, and the check of `hearth attention` against them.

  /usr/bin/python3 tests/reference/attention_probs.py --model DIR --ids 1,2,3          # prints the reference
  /usr/bin/python3 tests/reference/attention_probs.py --model DIR --hearth BIN [--prompt TEXT] [--hearth-arg=ARG ...]

The reference forward (ref_llama / ref_moe / ref_deepseek, unchanged) is observed through a hook: the
`causal_attention` those modules imported from common.py is wrapped so every call also records
softmax(q k^T * scale) with the causal mask (the same formula as common.causal_attention); decoder layers
call it once each, in order. MLA (DeepSeek) goes through the same function with its real q/k, so its
probabilities are the ones the model uses.

With --hearth: runs `hearth attention --model DIR --prompt TEXT --out X.json` (every layer and head), takes
the token ids hearth used, computes the reference on them and compares every probability (|diff| <= --tol,
default 1e-4) and the attention rollout (recomputed here in float64 from the reference probabilities,
Abnar & Zuidema 2020: mean over heads, + identity, row-normalise, product through the layers).
Exit 0: match; 1: mismatch; 2: usage or hearth failed; 77 (ctest SKIP): the model folder is missing or
hearth cannot load its architecture yet, with a message saying which.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reference_logits  # noqa: E402  (says clearly when torch is missing)

import torch  # noqa: E402
import ref_deepseek  # noqa: E402
import ref_llama  # noqa: E402

SKIP = 77
DEFAULT_PROMPT = "And the LORD spake unto Moses, saying, Speak unto the children of Israel"


def reference_probs(m, ids):
    """[n_layer][n_head][T][T] float64 attention probabilities of the reference forward on ids."""
    captured = []
    originals = {mod: mod.causal_attention for mod in (ref_llama, ref_deepseek)}

    def recording(orig):
        def wrapper(q, k, v, scale):
            rep = q.shape[0] // k.shape[0]
            kk = k.repeat_interleave(rep, dim=0)
            scores = (q @ kk.transpose(-1, -2)) * scale
            n = q.shape[1]
            scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
            captured.append(torch.softmax(scores, dim=-1))
            return orig(q, k, v, scale)
        return wrapper

    try:
        for mod, orig in originals.items():
            mod.causal_attention = recording(orig)
        reference_logits.logits(m, ids)
    finally:
        for mod, orig in originals.items():
            mod.causal_attention = orig
    if len(captured) != m.config["num_hidden_layers"]:
        raise RuntimeError(f"captured {len(captured)} attention calls for {m.config['num_hidden_layers']} layers")
    return torch.stack(captured)  # [L, H, T, T]


def rollout(probs):
    """Attention rollout: R = A'_{L-1} ... A'_0, A'_l = rownorm(mean_h(A_l) + I)."""
    n = probs.shape[-1]
    r = torch.eye(n, dtype=probs.dtype)
    for layer in probs:
        a = layer.mean(0) + torch.eye(n, dtype=probs.dtype)
        a = a / a.sum(-1, keepdim=True)
        r = a @ r
    return r


def run_hearth(hearth, model_dir, prompt, extra_args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "attention.json")
        cmd = [hearth, "attention", "--model", model_dir, "--prompt", prompt, "--layer", "all", "--out", out]
        cmd += extra_args
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
        if proc.returncode != 0:
            return None, proc.stderr.strip()
        with open(out) as f:
            return json.load(f), None


def compare(got, ref_probs, tol):
    worst, where, bad = 0.0, None, 0
    for entry in got["layers"]:
        layer = entry["layer"]
        for h, rows in enumerate(entry["probs"]):
            for q, row in enumerate(rows):
                for k, value in enumerate(row):
                    d = abs(value - ref_probs[layer, h, q, k].item())
                    if d > worst:
                        worst, where = d, f"layer {layer} head {h} query {q} key {k}"
                    bad += d > tol
    return worst, where, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", help="comma-separated ids: print the reference probabilities as JSON")
    ap.add_argument("--hearth", help="hearth binary: compare `hearth attention` with the reference")
    ap.add_argument("--prompt", default=DEFAULT_PROMPT)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--hearth-arg", action="append", default=[],
                    help="extra argument for `hearth attention` (repeatable), e.g. --hearth-arg=--mla=plain")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not os.path.isfile(os.path.join(args.model, "config.json")):
        print(f"SKIP: no checkpoint at {args.model}")
        return SKIP
    m = reference_logits.load(args.model)
    if args.ids:
        ids = reference_logits.parse_ids(args.ids)
        print(json.dumps({"ids": ids, "probs": reference_probs(m, ids).tolist()}))
        return 0
    if not args.hearth:
        ap.error("give --ids or --hearth")
    got, err = run_hearth(args.hearth, args.model, args.prompt, args.hearth_arg)
    if got is None:
        if "architecture" in err.lower() and ("unsupported" in err.lower() or "not supported" in err.lower()
                                              or "unknown" in err.lower()):
            print(f"SKIP: hearth cannot load {m.arch} yet, so there are no attention maps to check:\n  {err}")
            return SKIP
        print(f"hearth attention failed:\n{err}")
        return 2
    ids = got["token_ids"]
    ref = reference_probs(m, ids)
    if got["n_layer"] != ref.shape[0] or got["n_head"] != ref.shape[1] or len(got["layers"]) != ref.shape[0]:
        print(f"shape mismatch: hearth {got['n_layer']} layers x {got['n_head']} heads, reference {tuple(ref.shape[:2])}")
        return 1
    worst, where, bad = compare(got, ref, args.tol)
    ref_roll = rollout(ref)
    roll_worst = max(abs(v - ref_roll[q, k].item()) for q, row in enumerate(got["rollout"]) for k, v in enumerate(row))
    print(f"{m.arch}: {len(ids)} tokens, {ref.shape[0]} layers x {ref.shape[1]} heads; max |hearth - reference| "
          f"{worst:.2e} ({where}); rollout max diff {roll_worst:.2e}; tolerance {args.tol:g}")
    if bad or roll_worst > args.tol:
        print(f"FAIL: {bad} probabilities differ by more than {args.tol:g}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
