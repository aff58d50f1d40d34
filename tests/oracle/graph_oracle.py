#!/usr/bin/env python3
"""graph_oracle.py - the reference answers for tests/t_graph.c.

Generates a small graph of one kind from a seed and writes, into an
output directory, the neo4j-admin CSV files outpost imports and the
answers networkx gives for the same graph:

  nodes.csv     id:ID,name,:LABEL        (ids p0, p1, ...; label Point)
                uuid:ID,name,:LABEL      (for the kinds in UUID_KINDS)
  edges.csv     :START_ID,:END_ID,:TYPE  (types LINK and NEAR)
  expected.csv  query,start,target,type,dir,k,answer

expected.csv rows:
  count,START,,TYPE,DIR,K,N   N distinct nodes at distance 1..K from START
                              (K = 0: unbounded), START itself excluded even
                              when a cycle or a self loop leads back to it
  path,A,B,TYPE,DIR,,L        length of a shortest path from A to B, -1 when
                              there is none, 0 when A == B
TYPE is LINK, NEAR or * (any); DIR is out, in or both. The graph is a
MultiDiGraph: repeated edges are kept, and counts are of distinct nodes.

Usage: graph_oracle.py --kind KIND --seed N --out DIR
Same kind and seed, same files, whatever the networkx version: the graph
is drawn with Python's own random.Random, networkx only answers.
"""
import argparse
import csv
import os
import random
import sys
import uuid

try:
    import networkx as nx
except ImportError:
    sys.stderr.write("graph_oracle.py: python3-networkx is missing "
                     "(tools/install-deps installs it)\n")
    sys.exit(3)

KINDS = ("dag", "cycles", "multigraph", "selfloops", "disconnected", "hubs")
UUID_KINDS = ("cycles", "hubs")
TYPES = ("LINK", "NEAR")
QUERY_TYPES = ("LINK", "NEAR", "*")
DIRS = ("out", "in", "both")
DEPTHS = (1, 2, 3, 0)


def pick_type(rng):
    return "LINK" if rng.random() < 0.6 else "NEAR"


def gen_dag(rng):
    n = rng.randint(150, 250)
    rank = list(range(n))
    rng.shuffle(rank)  # node rank[i] is i-th in topological order
    edges = []
    for _ in range(3 * n):
        i, j = sorted(rng.sample(range(n), 2))
        edges.append((rank[i], rank[j], pick_type(rng)))
    # A few long chains so depth 3 and unbounded differ.
    for _ in range(3):
        chain = sorted(rng.sample(range(n), 12))
        for i, j in zip(chain, chain[1:]):
            edges.append((rank[i], rank[j], "LINK"))
    return n, edges


def gen_cycles(rng):
    n = rng.randint(150, 300)
    edges = []
    for _ in range(int(1.6 * n)):
        u, v = rng.sample(range(n), 2)
        edges.append((u, v, pick_type(rng)))
    for length in (2, 3, 7, 15):
        cyc = rng.sample(range(n), length)
        t = rng.choice(TYPES)
        for i, u in enumerate(cyc):
            edges.append((u, cyc[(i + 1) % length], t))
    return n, edges


def gen_multigraph(rng):
    n = rng.randint(50, 90)
    edges = []
    for _ in range(2 * n):
        u, v = rng.sample(range(n), 2)
        t = pick_type(rng)
        for _ in range(rng.choice((1, 1, 2, 3, 5))):
            edges.append((u, v, t))
        r = rng.random()
        if r < 0.2:  # the same pair under the other type too
            edges.append((u, v, "NEAR" if t == "LINK" else "LINK"))
        elif r < 0.35:  # and back
            edges.append((v, u, t))
    return n, edges


def gen_selfloops(rng):
    n = rng.randint(80, 150)
    edges = []
    for _ in range(2 * n):
        u, v = rng.randrange(n), rng.randrange(n)  # u == v now and then
        edges.append((u, v, pick_type(rng)))
    for u in rng.sample(range(n), n // 4):
        for _ in range(rng.choice((1, 1, 2))):
            edges.append((u, u, pick_type(rng)))
    return n, edges


def gen_disconnected(rng):
    n = rng.randint(200, 400)
    nodes = list(range(n))
    rng.shuffle(nodes)
    isolated, rest = nodes[:10], nodes[10:]
    cuts = sorted(rng.sample(range(1, len(rest)), 5))
    comps = [rest[a:b] for a, b in zip([0] + cuts, cuts + [len(rest)])]
    edges = []
    for comp in comps:
        if len(comp) < 2:
            continue
        for _ in range(int(1.5 * len(comp))):
            u, v = rng.sample(comp, 2)
            edges.append((u, v, pick_type(rng)))
    del isolated
    return n, edges


def gen_hubs(rng):
    n = rng.randint(200, 400)
    m = 2
    ends = []  # each node once per edge end: preferential attachment
    edges = []
    for v in range(m + 1):
        for u in range(v):
            edges.append((u, v, pick_type(rng)))
            ends += [u, v]
    for v in range(m + 1, n):
        targets = set()
        while len(targets) < m:
            targets.add(rng.choice(ends))
        for u in sorted(targets):
            a, b = (v, u) if rng.random() < 0.5 else (u, v)
            edges.append((a, b, pick_type(rng)))
            ends += [u, v]
    return n, edges


GENERATORS = {
    "dag": gen_dag,
    "cycles": gen_cycles,
    "multigraph": gen_multigraph,
    "selfloops": gen_selfloops,
    "disconnected": gen_disconnected,
    "hubs": gen_hubs,
}


def view(g, t, d):
    """The part of g a traversal of type t (or *) and direction d sees."""
    if t == "*":
        h = g
    else:
        h = nx.MultiDiGraph()
        h.add_nodes_from(g.nodes)
        h.add_edges_from((u, v, k, a) for u, v, k, a in
                         g.edges(keys=True, data=True) if a["type"] == t)
    if d == "in":
        return h.reverse(copy=False)
    if d == "both":
        return h.to_undirected(as_view=True)
    return h


def pick_starts(rng, g, n):
    starts = rng.sample(range(n), min(n, 20))
    deg = sorted(g.nodes, key=lambda v: (-g.degree(v), v))
    starts += deg[:2]  # hubs
    starts += [v for v in g.nodes if g.degree(v) == 0][:2]  # isolated
    starts += [v for v in g.nodes if g.out_degree(v) == 0][:1]  # sinks
    starts += [v for v in g.nodes if g.in_degree(v) == 0][:1]  # sources
    starts += [v for v in g.nodes if g.has_edge(v, v)][:2]  # self loops
    seen, out = set(), []
    for v in starts:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def pick_pairs(rng, n, starts):
    pairs = [tuple(rng.sample(range(n), 2)) for _ in range(40)]
    pairs += [(s, s) for s in starts[:3]]
    pairs += [(starts[i], starts[-1 - i]) for i in range(min(5, len(starts)))]
    return pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--seed", required=True, type=int)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    rng = random.Random("%s:%d" % (args.kind, args.seed))
    n, edges = GENERATORS[args.kind](rng)
    if args.kind in UUID_KINDS:
        idcol = "uuid:ID"
        ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4))
               for _ in range(n)]
    else:
        idcol = "id:ID"
        ids = ["p%d" % i for i in range(n)]

    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, t in edges:
        g.add_edge(u, v, type=t)

    os.makedirs(args.out, exist_ok=True)
    order = list(range(n))
    rng.shuffle(order)
    with open(os.path.join(args.out, "nodes.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([idcol, "name", ":LABEL"])
        for i in order:
            # Now and then a name that needs quoting in CSV.
            name = ('Point "%d", the %dth' % (i, i) if i % 17 == 0
                    else "Point %d" % i)
            w.writerow([ids[i], name, "Point"])
    shuffled = list(edges)
    rng.shuffle(shuffled)
    with open(os.path.join(args.out, "edges.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([":START_ID", ":END_ID", ":TYPE"])
        for u, v, t in shuffled:
            w.writerow([ids[u], ids[v], t])

    starts = pick_starts(rng, g, n)
    pairs = pick_pairs(rng, n, starts)
    rows = 0
    with open(os.path.join(args.out, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["query", "start", "target", "type", "dir", "k",
                    "answer"])
        for t in QUERY_TYPES:
            for d in DIRS:
                h = view(g, t, d)
                for s in starts:
                    dist = nx.single_source_shortest_path_length(h, s)
                    for k in DEPTHS:
                        c = sum(1 for v, x in dist.items()
                                if v != s and (k == 0 or x <= k))
                        w.writerow(["count", ids[s], "", t, d, k, c])
                        rows += 1
        for t, d in (("*", "both"), ("LINK", "out"), ("*", "out")):
            h = view(g, t, d)
            for a, b in pairs:
                dist = nx.single_source_shortest_path_length(h, a)
                w.writerow(["path", ids[a], ids[b], t, d, "",
                            dist.get(b, -1)])
                rows += 1
    print("%s seed %d: %d nodes, %d edges, %d expected rows"
          % (args.kind, args.seed, n, len(edges), rows))


if __name__ == "__main__":
    main()
