"""Benchmark: draw and solve 10,000 variants, rejection sampling included.

    python bench/bench_variants.py [N] [PRESET ...]     # default: 10,000 of each preset

Target (issues 2 and 9): ≤ 1 ms per variant on the 2-core reference machine, for every preset
(`largest`, 4-4-4 with everything asked, is the heaviest).
"""

from __future__ import annotations

import resource
import sys
import time

from bpquiz.exercise.model import Exercise
from bpquiz.exercise.solve import solve
from bpquiz.exercise.variants import draw_variant, draws, problems


def main(n: int = 10_000, seed: int = 2026, exercise: Exercise | None = None) -> None:
    exercise = exercise or Exercise()
    draw_variant(exercise, seed, 0)  # warm up imports and caches
    start = time.perf_counter()
    for k in range(n):
        draw_variant(exercise, seed, k)
    elapsed = time.perf_counter() - start

    # How hard the rejection sampler works: candidate draws per accepted variant.
    tried = accepted = 0
    for k in range(1000):
        for given in draws(exercise, seed, k):
            tried += 1
            if not problems(solve(exercise, given)):
                accepted += 1
                break
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"exercise                  : {exercise.name or 'article'} "
        f"({'-'.join(map(str, exercise.shape))}, {len(exercise.asked_ids)} steps asked)"
    )
    print(f"variants drawn and solved : {n}")
    print(f"wall time                 : {elapsed:.3f} s")
    print(f"per variant               : {elapsed / n * 1e3:.3f} ms  (target ≤ 1 ms)")
    print(f"draws per variant         : {tried / accepted:.2f}  (rejection sampling)")
    print(f"peak RSS                  : {peak_mb:.0f} MB")


if __name__ == "__main__":
    from bpquiz.exercise.options import PRESETS, build, preset

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for name in sys.argv[2:] or list(PRESETS):
        main(count, exercise=build(preset(name), name=name))
        print()
