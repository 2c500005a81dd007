"""Medians and ratios of compare-cli.sh's output: per program wasmvm's and wasmi's median time, wasmi/wasmvm
(above 1: wasmvm faster), the range of the per-pair ratios, and the geometric mean of the ratios."""
import collections
import math
import statistics
import sys

times = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    prog, engine, t = line.split()
    times[prog][engine].append(float(t))
ratios = []
for prog, t in times.items():
    a, b = t["wasmvm"], t["wasmi"]
    pairs = sorted(y / x for x, y in zip(a, b))
    r = statistics.median(b) / statistics.median(a)
    ratios.append(r)
    print(f"{prog:12} wasmvm {statistics.median(a):6.2f} s  wasmi {statistics.median(b):6.2f} s  "
          f"wasmi/wasmvm {r:5.2f}  pairs {pairs[0]:.2f}-{pairs[-1]:.2f}")
print(f"geometric mean {math.exp(sum(map(math.log, ratios)) / len(ratios)):.3f} ({len(ratios)} programs)")
