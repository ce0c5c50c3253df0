#!/usr/bin/env python3
"""Import circles between the modules of each crate.

For every crate under crates/, builds the graph "module A uses something of
module B" from `use crate::…`, `use super::…`, paths relative to a module's
children and inline `crate::…` / `super::…` paths (a `pub use` re-export
and a `mod` declaration are not uses), and prints every cycle. Exit status
1 when there is one.

A module using its parent (the crate root, or a folder's `mod.rs`) is not
counted: the parent holds the vocabulary its children share (the error
type, the types every module speaks) and the entry points that wire them
together, so children using the parent and the parent calling them is the
shape every folder of modules has, not a circle.

    python3 bench/arch/module_cycles.py [--graph]
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def module_path(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # Test modules may use anything of their parent.
    text = re.split(r"#\[cfg\(test\)\]", text)[0]
    return text


def targets(mod, text, modules):
    out = set()
    # Expand `use a::{b, c::{d}}` groups into paths.
    uses = []
    for m in re.finditer(r"(?<![\w:])(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", text):
        if m.group(1) and m.group(1).strip() == "pub":
            continue
        uses.extend(expand(m.group(2).replace("\n", " ")))
    paths = [u for u in uses]
    body = re.sub(r"(?<![\w:])(pub(?:\([^)]*\))?\s+)?use\s+[^;]+;", "", text)
    paths += re.findall(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", body)
    # Paths relative to this module: `use child::x`, `child::f()`.
    children = {m[len(mod)] for m in modules if len(m) == len(mod) + 1 and m[: len(mod)] == mod}
    paths += [p for p in re.findall(r"(?<![\w:])(\w+(?:::\w+)+)", body) if p.split("::")[0] in children]
    for p in paths:
        parts = [x.strip() for x in p.split("::") if x.strip()]
        if parts and parts[0] in children:
            parts = ["self"] + parts
        if not parts or parts[0] not in ("crate", "super", "self"):
            continue
        if parts[0] == "crate":
            base, rest = (), parts[1:]
        elif parts[0] == "self":
            base, rest = mod, parts[1:]
        else:
            base, rest = mod, parts
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        # The longest module prefix the path names.
        best = base
        for i in range(1, len(rest) + 1):
            cand = base + tuple(rest[:i])
            if cand in modules:
                best = cand
        if best != mod and not (best[: len(mod)] == mod):
            out.add(best)
        elif best != mod:
            # A module using its own descendant: an edge too (the child may use it back).
            out.add(best)
    return out


def expand(s):
    s = s.strip()
    i = s.find("{")
    if i < 0:
        return [s.split(" as ")[0].strip()]
    head, inner = s[:i], s[i + 1 : s.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        for e in expand(p):
            out.append(head + e if e != "self" else head.rstrip(":"))
    return out


def cycles(graph):
    found, index, low, stack, on, n = [], {}, {}, [], set(), [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def main():
    bad = 0
    crates = os.path.join(ROOT, "crates")
    for crate in sorted(os.listdir(crates)):
        src = os.path.join(crates, crate, "src")
        files = {}
        for d, _, fs in os.walk(src):
            for f in fs:
                if f.endswith(".rs"):
                    p = os.path.join(d, f)
                    files[module_path(src, p)] = p
        graph = {}
        for mod, p in files.items():
            uses = targets(mod, strip(open(p, encoding="utf-8").read()), files)
            graph[mod] = {t for t in uses if mod[: len(t)] != t}
        if "--graph" in sys.argv:
            for mod in sorted(graph):
                print(f"{crate}: {'::'.join(mod) or '(root)'} -> "
                      + ", ".join(sorted("::".join(t) or "(root)" for t in graph[mod])))
        for c in cycles(graph):
            bad += 1
            print(f"{crate}: modules importing each other: " + ", ".join("::".join(m) or "(root)" for m in c))
    if bad == 0:
        print("no import circles inside any crate")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
