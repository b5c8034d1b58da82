#!/usr/bin/python3
"""Validate the float64 reference itself against a golden reference.jsonl (prompt, input_ids,
last_logits, greedy_ids computed by an independent implementation shipped with the checkpoint).

  /usr/bin/python3 tests/reference/check_golden.py --model DIR --golden reference.jsonl [--tol 1e-9] [--greedy 32]

Passes when every prompt's last-position logits match to --tol (max abs difference) and the greedy
continuation (argmax, full recomputation each step, no EOS stop) matches for --greedy tokens.
Exit 77 (ctest SKIP_RETURN_CODE) with a message when the checkpoint folder is absent.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import reference_logits  # noqa: E402

SKIP = 77


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--greedy", type=int, default=32, help="greedy tokens to compare (0: none)")
    ap.add_argument("--max-prompts", type=int, default=0, help="0: all")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not os.path.exists(os.path.join(args.model, "config.json")):
        print(f"SKIP: checkpoint {args.model} is not present (no config.json); copy it there to run this test")
        return SKIP
    m = reference_logits.load(args.model)
    with open(args.golden) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    if args.max_prompts:
        cases = cases[: args.max_prompts]
    worst, failures = 0.0, []
    for n, case in enumerate(cases):
        ids = list(case["input_ids"])
        got = reference_logits.logits(m, ids)[-1]
        diff = (got - torch.tensor(case["last_logits"], dtype=torch.float64)).abs().max().item()
        worst = max(worst, diff)
        if diff > args.tol:
            failures.append(f"prompt {n} {case['prompt']!r}: last logits max abs diff {diff:.3e} > {args.tol:g}")
        want = case["greedy_ids"][: args.greedy]
        seq = list(ids)
        for _ in range(len(want)):
            seq.append(int(reference_logits.logits(m, seq)[-1].argmax()))
        greedy = seq[len(ids):]
        if greedy != want:
            first = next(i for i, (a, b) in enumerate(zip(greedy, want)) if a != b)
            failures.append(f"prompt {n} {case['prompt']!r}: greedy differs at step {first}: {greedy} vs {want}")
        verdict = "match" if greedy == want else "DIFFER"
        print(f"prompt {n}: max|dlogit| {diff:.3e}, greedy {len(want)} tokens {verdict}")
    print(f"{len(cases)} prompts, worst max|dlogit| {worst:.3e} (tolerance {args.tol:g})")
    for line in failures:
        print("FAIL:", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
