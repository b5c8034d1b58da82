#!/usr/bin/env python3
"""Prints the include graph between the source folders of a Hearth checkout.

Usage: python3 cmake/include_graph.py [ROOT] [--subfolders] [--dot]

Every #include "path" of every .h/.cpp/.inc file under the source folders (src/*, quant,
kernels_*, models, tools) is an edge from the file's folder to the header's folder; the
output lists, folder by folder, the folders it includes with the number of include lines,
then any cycle between folders. Subfolders count as their folder (src/kernels/ref is
src/kernels) unless --subfolders is given. Works on any revision (git worktree add /tmp/old REV; python3 cmake/include_graph.py
/tmp/old), so a layout change can be compared before and after. With --dot it prints Graphviz.
The build enforces the layers themselves (cmake/layers.cmake); this script only shows them.
"""
import collections
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
TOP = ("quant", "models", "tools")  # top-level source folders; plus kernels_* and src/*


def folder_of(path, subfolders=False):
    parts = path.split("/")
    if subfolders and len(parts) > 1 and (parts[0] in ("src",) + TOP or parts[0].startswith("kernels_")):
        return "/".join(parts[:-1])
    if parts[0] == "src" and len(parts) > 2:
        return "src/" + parts[1]
    if parts[0] in TOP or parts[0].startswith("kernels_"):
        return parts[0] if len(parts) > 1 else None
    return None


def edges(root, subfolders):
    graph = collections.defaultdict(collections.Counter)
    for top in sorted(os.listdir(root)):
        if top not in TOP and top != "src" and not top.startswith("kernels_"):
            continue
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".h", ".cpp", ".inc")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                src = folder_of(rel, subfolders)
                if src is None:
                    continue
                graph[src]  # every folder appears, even one that includes nothing
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        m = INCLUDE.match(line)
                        if m:
                            dst = folder_of(m.group(1), subfolders)
                            if dst and dst != src:
                                graph[src][dst] += 1
    return graph


def cycles(graph):
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    dot = "--dot" in argv
    subfolders = "--subfolders" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    graph = edges(root, subfolders)
    if dot:
        print("digraph includes {")
        for src in sorted(graph):
            for dst, n in sorted(graph[src].items()):
                print(f'  "{src}" -> "{dst}" [label={n}];')
        print("}")
        return 0
    width = max(len(f) for f in graph)
    for src in sorted(graph, key=lambda f: (len(graph[f]), f)):
        deps = ", ".join(f"{d} ({n})" for d, n in sorted(graph[src].items())) or "-"
        print(f"{src:<{width}}  -> {deps}")
    found = cycles(graph)
    print("cycles: " + ("; ".join(" <-> ".join(c) for c in found) if found else "none"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
