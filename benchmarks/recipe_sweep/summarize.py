"""Mean last-epoch validation accuracy per variant of the PyTorch recipe sweep, with paired differences to "base".

    python benchmarks/recipe_sweep/summarize.py benchmarks/recipe_sweep/round1.jsonl benchmarks/recipe_sweep/round2.jsonl
"""

import collections
import json
import statistics
import sys


def main(paths):
    last = collections.defaultdict(dict)
    for path in paths:
        for line in open(path):
            run = json.loads(line)
            if run["name"].startswith("ens"):  # ensemble members: see the *_ensemble.json files
                continue
            last[run["name"]][run["seed"]] = run["last"]
    print("| variant | runs | mean last-epoch val acc | paired diff to base (seeds) |")
    print("| --- | --- | --- | --- |")
    for name, runs in sorted(last.items(), key=lambda item: -statistics.mean(item[1].values())):
        mean = statistics.mean(runs.values())
        common = sorted(set(runs) & set(last["base"]))
        diff = ""
        if name != "base" and len(common) >= 2:
            d = [runs[s] - last["base"][s] for s in common]
            diff = f"{statistics.mean(d):+.4f} ± {statistics.stdev(d) / len(d) ** 0.5:.4f} ({len(d)})"
        print(f"| {name} | {len(runs)} | {mean:.4f} | {diff} |")


if __name__ == "__main__":
    main(sys.argv[1:])
