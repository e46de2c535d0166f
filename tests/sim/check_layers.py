#!/usr/bin/env python3
"""Checks that sim/'s sub-libraries include only downwards (docs/architecture.md).

A file in sim/<layer>/ may include sim/<layer>/... and sim/<dep>/... for the layers its
CMakeLists.txt links (cosmograd_sim_<dep>), and nothing from driver/, viz/, nn/, apps/ or
above. Exit 1 listing every offending include. Usage: check_layers.py SOURCE_DIR
"""
import os
import re
import sys


def main(root):
    sim = os.path.join(root, "sim")
    layers = sorted(d for d in os.listdir(sim) if os.path.isfile(os.path.join(sim, d, "CMakeLists.txt")))
    allowed = {}
    for layer in layers:
        text = open(os.path.join(sim, layer, "CMakeLists.txt")).read()
        allowed[layer] = {layer} | (set(re.findall(r"cosmograd_sim_([a-z]+)", text)) - {"library"})
    bad = []
    for layer in layers:
        for dirpath, _, files in os.walk(os.path.join(sim, layer)):
            for name in files:
                if not re.search(r"\.(hpp|cpp|cu|in)$", name):
                    continue
                path = os.path.join(dirpath, name)
                for number, line in enumerate(open(path), 1):
                    m = re.match(r'\s*#\s*include\s*"([a-z_]+)/([a-z_]+)/', line)
                    if not m:
                        continue
                    top, dep = m.group(1), m.group(2)
                    if top != "sim" or dep not in allowed[layer]:
                        bad.append(f"{os.path.relpath(path, root)}:{number}: {layer} includes "
                                   f"{top}/{dep}/ (allowed: {', '.join(sorted(allowed[layer]))})")
    for line in bad:
        print(line)
    print(f"{len(layers)} layers ({', '.join(layers)}), {len(bad)} upward includes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
