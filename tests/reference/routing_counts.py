#!/usr/bin/python3
"""Expert-routing counts of the float64 PyTorch reference, and the check of `hearth profile` against them.

  /usr/bin/python3 tests/reference/routing_counts.py --model DIR --ids 1,2,3 [--ctx N]   # prints the reference
  /usr/bin/python3 tests/reference/routing_counts.py --model DIR --hearth BIN --text FILE [--tokens N] [--ctx N]

The reference forward (ref_moe / ref_deepseek, unchanged) is observed through a hook: the router functions
(ref_moe.softmax_topk, ref_deepseek.route_v3 / route_v2) are wrapped to record every token's chosen experts
and weights, and, row by row through common.RoutingStats, the margin of each decision (gap between the last
chosen and the first rejected candidate). Windows of --ctx tokens each start at position 0, as
`hearth profile` runs them.

With --hearth: runs `hearth profile --text FILE --max-tokens N --ctx C --trace --json X`, takes the token ids
hearth used, and checks: per MoE layer the counts sum to tokens x experts_per_token; every token's expert set
equals the reference's, except where the reference margin is below --min-margin (a float32 runtime may
legitimately flip such near-ties; they are reported); the per-layer counts equal the reference counts up to
those tolerated flips; weights of matching tokens agree to --tol.
Exit 0: match; 1: mismatch; 2: usage or hearth failed; 77 (ctest SKIP): no model, or hearth cannot load
its architecture yet (the message says so).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reference_logits  # noqa: E402

import torch  # noqa: E402
import ref_deepseek  # noqa: E402
import ref_moe  # noqa: E402
from common import RoutingStats  # noqa: E402

SKIP = 77


def reference_routing(m, ids, ctx):
    """{layer: [(sorted expert ids, weights by expert, margin) per token]} over windows of ctx tokens."""
    out = {}
    originals = {(ref_moe, "softmax_topk"): ref_moe.softmax_topk, (ref_deepseek, "route_v3"): ref_deepseek.route_v3,
                 (ref_deepseek, "route_v2"): ref_deepseek.route_v2}

    def record(layer, e_ids, weights, margins):
        rows = out.setdefault(layer, [])
        for r in range(e_ids.shape[0]):
            w = {int(e): float(x) for e, x in zip(e_ids[r].tolist(), weights[r].tolist())}
            rows.append((sorted(w), w, margins[r]))

    def per_row_margins(fn, n_rows):
        margins = []
        for r in range(n_rows):
            stats = RoutingStats()
            fn(r, stats)
            margins.append(stats.min_margin)
        return margins

    def softmax_topk(router_logits, k, renormalize, stats, what):
        layer = int(what.split()[1])
        e_ids, weights = originals[(ref_moe, "softmax_topk")](router_logits, k, renormalize, stats, what)
        margins = per_row_margins(lambda r, s: originals[(ref_moe, "softmax_topk")](
            router_logits[r:r + 1], k, renormalize, s, what), router_logits.shape[0])
        record(layer, e_ids, weights, margins)
        return e_ids, weights

    def route(name):
        def wrapper(mm, layer, logits, stats):
            e_ids, weights = originals[(ref_deepseek, name)](mm, layer, logits, stats)
            margins = per_row_margins(lambda r, s: originals[(ref_deepseek, name)](mm, layer, logits[r:r + 1], s),
                                      logits.shape[0])
            record(layer, e_ids, weights, margins)
            return e_ids, weights
        return wrapper

    try:
        ref_moe.softmax_topk = softmax_topk
        ref_deepseek.route_v3 = route("route_v3")
        ref_deepseek.route_v2 = route("route_v2")
        for begin in range(0, len(ids), ctx):
            reference_logits.logits(m, ids[begin:begin + ctx])
    finally:
        for (mod, name), fn in originals.items():
            setattr(mod, name, fn)
    return out


def run_hearth(args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "profile.json")
        cmd = [args.hearth, "profile", "--model", args.model, "--text", args.text, "--max-tokens", str(args.tokens),
               "--ctx", str(args.ctx), "--trace", "--json", out, "--quiet"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1")))
        if proc.returncode != 0:
            return None, proc.stderr.strip()
        with open(out) as f:
            return json.load(f), None


def check(got, ref, min_margin, tol):
    ids_by_layer = [entry["layer"] for entry in got["layers"]]
    if sorted(ref) != ids_by_layer:
        return [f"MoE layers: hearth {ids_by_layer}, reference {sorted(ref)}"], 0
    errors, flips = [], 0
    for rank, entry in enumerate(got["layers"]):
        layer, k, n_tok = entry["layer"], entry["experts_per_token"], entry["tokens"]
        if sum(entry["count"]) != n_tok * k:
            errors.append(f"layer {layer}: counts sum to {sum(entry['count'])}, expected {n_tok} x {k}")
        ref_counts = [0] * entry["n_expert"]
        tolerated = [0] * entry["n_expert"]
        for t, (experts, weights, margin) in enumerate(ref[layer]):
            for e in experts:
                ref_counts[e] += 1
            mine = got["trace"][t]["experts"][rank]
            if sorted(mine) != experts:
                if margin < min_margin:
                    flips += 1
                    for e in set(mine) ^ set(experts):
                        tolerated[e] += 1
                    print(f"  note: layer {layer} token {t}: hearth {sorted(mine)} vs reference {experts}, "
                          f"reference margin {margin:.2e} < {min_margin:g} (near-tie, tolerated)")
                else:
                    errors.append(f"layer {layer} token {t}: hearth chose {sorted(mine)}, reference {experts} "
                                  f"(margin {margin:.2e})")
                continue
            for e, w in zip(mine, got["trace"][t]["weights"][rank]):
                if abs(w - weights[e]) > tol:
                    errors.append(f"layer {layer} token {t} expert {e}: weight {w} vs reference {weights[e]}")
        for e, (a, b) in enumerate(zip(entry["count"], ref_counts)):
            if abs(a - b) > tolerated[e]:
                errors.append(f"layer {layer} expert {e}: count {a}, reference {b}")
    return errors, flips


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", help="comma-separated ids: print the reference counts as JSON")
    ap.add_argument("--hearth")
    ap.add_argument("--text", help="text file for --hearth")
    ap.add_argument("--tokens", type=int, default=160)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--min-margin", type=float, default=1e-5)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not os.path.isfile(os.path.join(args.model, "config.json")):
        print(f"SKIP: no checkpoint at {args.model}")
        return SKIP
    m = reference_logits.load(args.model)
    if args.ids:
        ref = reference_routing(m, reference_logits.parse_ids(args.ids), args.ctx)
        cfg = m.config
        n_expert = cfg.get("num_experts") or cfg.get("n_routed_experts") or cfg.get("num_local_experts")
        print(json.dumps({"counts": {str(layer): [sum(e in experts for experts, _, _ in rows) for e in range(n_expert)]
                                     for layer, rows in ref.items()}}))
        return 0
    if not (args.hearth and args.text):
        ap.error("give --ids, or --hearth and --text")
    got, err = run_hearth(args)
    if got is None:
        low = err.lower()
        if "architecture" in low and ("not supported" in low or "unsupported" in low or "unknown" in low):
            print(f"SKIP: hearth cannot load {m.arch} yet, so there is no routing to check:\n  {err}")
            return SKIP
        print(f"hearth profile failed:\n{err}")
        return 2
    ids = [t["token"] for t in got["trace"]]
    ref = reference_routing(m, ids, args.ctx)
    errors, flips = check(got, ref, args.min_margin, args.tol)
    print(f"{m.arch}: {len(ids)} tokens in windows of {args.ctx}, MoE layers {sorted(ref)}; "
          f"{flips} tolerated near-tie flips, {len(errors)} errors")
    for e in errors[:20]:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
