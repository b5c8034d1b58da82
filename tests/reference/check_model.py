#!/usr/bin/python3
"""Compare `hearth logits` against the float64 PyTorch reference on a synthetic (or given) checkpoint.

  /usr/bin/python3 tests/reference/check_model.py --hearth build/tools/hearth --arch qwen3_moe --shape odd
  /usr/bin/python3 tests/reference/check_model.py --hearth build/tools/hearth --model models/tiny-qwen3-moe

1. writes the checkpoint with models/synth.py into a temporary folder (removed afterwards; --keep keeps it),
2. picks a deterministic id sequence whose every MoE routing decision has a margin >= --min-margin in the
   reference (so a float32 runtime is expected to choose the same experts; see RoutingStats),
3. computes reference logits at every position (position ids start at --start-pos; default from the
   shape table, e.g. 5000 for the YaRN shapes),
4. runs `hearth logits --model DIR --ids ... --positions all [--start-pos N]` (whole prompt through
   prefill) and the same with `--prefill K` (K tokens through prefill, the rest one by one through the
   KV cache), and compares every position.

Tolerance: position p passes when max_v |hearth - ref| <= max(--atol, --rtol * max_v |ref_p|). The C++
side computes in float32; the golden files record float32-vs-float64 last-logit differences of 3.5e-6
(tiny-qwen3-moe) and 6.7e-6 (tiny-deepseek-v3) on logits of magnitude ~10, i.e. ~5e-7 relative, and
the synthetic models have logits of the same magnitude. rtol 1e-4 leaves ~100x headroom for other
summation orders and kernels, while real mistakes (rope layout, a missing bias, a wrong expert or norm)
move logits by 1e-2 relative or more. atol 2e-4 covers rows whose logits are all small.

Exit 0: all positions match in both runs; 1: mismatch (with a per-position report); 2: usage or the
binary failed; 77: --model folder absent (ctest SKIP_RETURN_CODE), with a message saying so.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))

import reference_logits  # noqa: E402  (first: says clearly when torch is missing)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import RoutingStats  # noqa: E402

SKIP = 77
FIRST_SPECIAL_ID = 2045  # ids 2045..2047 are the tokenizer's special tokens; test ids stay below


def pick_ids(m, key, n_tokens, start_pos, min_margin, tries=64):
    """Deterministic candidates from crc32(key); the first whose routing margins are all >= min_margin,
    else the best seen (with a warning). Returns ids, reference logits, margin."""
    best = None
    for attempt in range(tries):
        rng = np.random.default_rng(zlib.crc32(f"{key}/{attempt}".encode()))
        ids = [int(i) for i in rng.integers(0, FIRST_SPECIAL_ID, n_tokens)]
        stats = RoutingStats()
        ref = reference_logits.logits(m, ids, start_pos, stats)
        if best is None or stats.min_margin > best[2]:
            best = (ids, ref, stats.min_margin, stats.where)
        if stats.min_margin >= min_margin:
            break
    else:
        print(f"warning: no candidate of {tries} has routing margin >= {min_margin:g}; using the best "
              f"({best[2]:.2e} at {best[3]}): an expert mismatch there is not necessarily a bug")
    return best[0], best[1], best[2]


def run_hearth(hearth, model_dir, ids, start_pos, prefill):
    cmd = [hearth, "logits", "--model", model_dir, "--ids", ",".join(map(str, ids)), "--positions", "all"]
    if start_pos:
        cmd += ["--start-pos", str(start_pos)]
    if prefill is not None:
        cmd += ["--prefill", str(prefill)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` exited {proc.returncode}\nstderr:\n{proc.stderr[-4000:]}")
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"`{' '.join(cmd)}` did not print one JSON object ({e}); stdout starts "
                           f"{proc.stdout[:300]!r}") from e
    if out.get("ids") != ids:
        raise RuntimeError(f"hearth echoed ids {out.get('ids')} for {ids}")
    return torch.tensor(out["logits"], dtype=torch.float64)


def compare(label, got, ref, rtol, atol):
    """Per-position report; returns True when every position is within tolerance."""
    if got.shape != ref.shape:
        print(f"{label}: FAIL: got logits of shape {tuple(got.shape)}, expected {tuple(ref.shape)} "
              "(positions x vocab_size)")
        return False
    ok = True
    lines = []
    for p in range(ref.shape[0]):
        scale = ref[p].abs().max().item()
        tol = max(atol, rtol * scale)
        diff = (got[p] - ref[p]).abs()
        worst = diff.max().item()
        same_top = int(got[p].argmax()) == int(ref[p].argmax())
        bad = worst > tol
        ok &= not bad
        lines.append(f"  pos {p:3d}: max|diff| {worst:.3e} at id {int(diff.argmax()):5d}  tol {tol:.2e}  "
                     f"max|ref| {scale:7.3f}  argmax {'same' if same_top else 'DIFFERS'}{'  <-- FAIL' if bad else ''}")
    worst_rel = max(((got[p] - ref[p]).abs().max() / max(atol, rtol * ref[p].abs().max())).item()
                    for p in range(ref.shape[0]))
    print(f"{label}: {'ok' if ok else 'FAIL'} (worst diff/tol {worst_rel:.3f})")
    if not ok:
        print("\n".join(lines))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hearth", required=True, help="path to the hearth binary")
    ap.add_argument("--arch", help="synth.py architecture (short name or HF class)")
    ap.add_argument("--shape", help="synth.py named shape")
    ap.add_argument("--model", help="use this checkpoint folder instead of synthesising one")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--n-tokens", type=int, default=16)
    ap.add_argument("--prefill", type=int, default=5, help="K of the prefill-then-decode run")
    ap.add_argument("--start-pos", type=int, default=None, help="position id of the first token")
    ap.add_argument("--tol", "--rtol", dest="rtol", type=float, default=1e-4)
    ap.add_argument("--atol", type=float, default=2e-4)
    ap.add_argument("--min-margin", type=float, default=5e-4, help="required routing margin of the ids")
    ap.add_argument("--keep", action="store_true", help="keep the synthetic checkpoint and print its path")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not os.access(args.hearth, os.X_OK):
        print(f"check_model: --hearth {args.hearth} is not an executable file")
        return 2

    tmp = None
    try:
        if args.model:
            if not os.path.exists(os.path.join(args.model, "config.json")):
                print(f"SKIP: checkpoint {args.model} is not present (no config.json); copy it there to run this test")
                return SKIP
            model_dir, key, start_pos = args.model, os.path.basename(os.path.normpath(args.model)), args.start_pos or 0
        else:
            if not (args.arch and args.shape):
                ap.error("give --arch and --shape, or --model")
            from synth import write_checkpoint
            from synth_archs import START_POS, make_config
            short, cfg = make_config(args.arch, args.shape, None, args.dtype)
            tmp = tempfile.mkdtemp(prefix=f"hearth-ref-{short}-{args.shape}-")
            model_dir = tmp
            write_checkpoint(model_dir, short, cfg, args.seed, args.dtype, args.shards)
            key = f"{short}/{args.shape}"
            start_pos = args.start_pos if args.start_pos is not None else START_POS.get((short, args.shape), 0)

        m = reference_logits.load(model_dir)
        ids, ref, margin = pick_ids(m, key, args.n_tokens, start_pos, args.min_margin)
        print(f"{key}: {m.arch}, {len(ids)} tokens at positions {start_pos}..{start_pos + len(ids) - 1}, "
              f"routing margin {margin:.2e}, ids {','.join(map(str, ids))}")
        ok, ran = True, True
        for label, prefill in (("prefill all", None), (f"prefill {args.prefill} + decode", args.prefill)):
            try:
                got = run_hearth(args.hearth, model_dir, ids, start_pos, prefill)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"{label}: FAIL: {e}")
                ran = False
                continue
            ok &= compare(label, got, ref, args.rtol, args.atol)
        if args.keep and tmp:
            print(f"checkpoint kept at {tmp}")
            tmp = None
        return 2 if not ran else 0 if ok else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
