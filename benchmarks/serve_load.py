#!/usr/bin/env python3
"""Load generator for `hearth serve`: N concurrent streaming clients against a running server.

Usage:
  python3 benchmarks/serve_load.py --url http://127.0.0.1:8080 --clients 1,16,64,256 \
      [--requests 4] [--endpoint chat|completions] [--api-key KEY] [--out results.json]

Each client sends --requests streaming requests one after another, drawn in a fixed order from a
mix of prompt and output lengths (MIX below; the same mix every run), with temperature 0 and
ignore_eos so every request generates its full max_tokens. Per level it writes requests/s,
aggregate generated tokens/s (completion tokens from the usage chunk over the wall time), time to
first token and inter-token latency p50/p95/p99 (seconds, measured by the client at the arrival of
each SSE event that carries text), and the errors (HTTP status or exception, with a count).
The JSON goes to --out (default stdout): {"url", "endpoint", "levels": [{"clients", ...}, ...]}.

Python's standard library only (threads and http.client), so it runs wherever python3 does; with
hundreds of clients the threads share one interpreter, so run it on cores the server does not use
(taskset) when the figures matter. Not here: the server-side view (GET /metrics).
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

# (prompt words, max_tokens): short chats, a longer context, a long answer.
MIX = [(16, 64), (64, 128), (256, 64), (32, 256), (128, 128)]
WORDS = ("river mountain cloud story engine garden winter apple light window paper stone "
         "forest ocean bridge market").split()


def prompt_text(words, seed):
    return " ".join(WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words))


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Client(threading.Thread):
    def __init__(self, args, index, start_gate):
        super().__init__(daemon=True)
        self.args, self.index, self.gate = args, index, start_gate
        self.ttft, self.itl, self.tokens, self.done, self.errors = [], [], 0, 0, {}

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1

    def one(self, n):
        words, max_tokens = MIX[(self.index + n) % len(MIX)]
        text = prompt_text(words, self.index * 1000 + n)
        body = {"max_tokens": max_tokens, "temperature": 0, "ignore_eos": True, "stream": True,
                "stream_options": {"include_usage": True}}
        if self.args.endpoint == "chat":
            path = "/v1/chat/completions"
            body["messages"] = [{"role": "user", "content": text}]
        else:
            path = "/v1/completions"
            body["prompt"] = text
        url = urllib.parse.urlparse(self.args.url)
        headers = {"Content-Type": "application/json"}
        if self.args.api_key:
            headers["Authorization"] = "Bearer " + self.args.api_key
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=self.args.timeout)
        try:
            start = time.perf_counter()
            conn.request("POST", path, json.dumps(body), headers)
            resp = conn.getresponse()
            if resp.status != 200:
                resp.read()
                self.error(f"http_{resp.status}")
                return
            last = None
            usage = None
            finished = False
            for raw in resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    finished = True
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    self.error(chunk["error"].get("code") or "stream_error")
                    return
                if chunk.get("usage"):
                    usage = chunk["usage"]
                has_text = any((c.get("text") or c.get("delta", {}).get("content")
                                or c.get("delta", {}).get("reasoning_content")) for c in chunk.get("choices", []))
                if has_text:
                    now = time.perf_counter()
                    if last is None:
                        self.ttft.append(now - start)
                    else:
                        self.itl.append(now - last)
                    last = now
            if not finished or usage is None:
                self.error("incomplete_stream")
                return
            self.tokens += usage["completion_tokens"]
            self.done += 1
        except Exception as e:  # noqa: BLE001 - every failure is counted by its kind
            self.error(type(e).__name__)
        finally:
            conn.close()

    def run(self):
        self.gate.wait()
        for n in range(self.args.requests):
            self.one(n)


def level(args, clients):
    gate = threading.Barrier(clients + 1)
    threads = [Client(args, i, gate) for i in range(clients)]
    for t in threads:
        t.start()
    gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ttft = [x for t in threads for x in t.ttft]
    itl = [x for t in threads for x in t.itl]
    errors = {}
    for t in threads:
        for k, v in t.errors.items():
            errors[k] = errors.get(k, 0) + v
    done = sum(t.done for t in threads)
    tokens = sum(t.tokens for t in threads)
    out = {"clients": clients, "requests": clients * args.requests, "completed": done,
           "errors": sum(errors.values()), "error_kinds": errors, "wall_s": wall,
           "requests_per_s": done / wall, "generated_tokens": tokens,
           "generated_tokens_per_s": tokens / wall}
    for name, values in (("ttft", ttft), ("itl", itl)):
        for q in (50, 95, 99):
            out[f"{name}_p{q}_s"] = percentile(values, q / 100)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--clients", default="1,16,64", help="concurrency levels, comma-separated")
    p.add_argument("--requests", type=int, default=4, help="requests per client and level")
    p.add_argument("--endpoint", choices=("chat", "completions"), default="chat")
    p.add_argument("--api-key", default="")
    p.add_argument("--timeout", type=float, default=600, help="seconds a request may take")
    p.add_argument("--out", default="-")
    args = p.parse_args()
    result = {"url": args.url, "endpoint": args.endpoint, "requests_per_client": args.requests,
              "mix": [{"prompt_words": w, "max_tokens": m} for w, m in MIX], "levels": []}
    for n in (int(x) for x in args.clients.split(",")):
        r = level(args, n)
        print(f"{n:4d} clients: {r['completed']}/{r['requests']} done, {r['errors']} errors, "
              f"{r['generated_tokens_per_s']:.1f} tok/s", file=sys.stderr)
        result["levels"].append(r)
    text = json.dumps(result, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
    return 0 if all(lv["errors"] == 0 for lv in result["levels"]) else 1


if __name__ == "__main__":
    sys.exit(main())
