"""Torch's thread count while a music model runs, set for the call and restored after it.

The piano model and the harmoniser compute a handful of small tensors per step (one token of a
128-wide, two-layer model). Torch's default of one thread per core parallelises some of those
operations anyway (GELU, attention), and the threads then spend each step waiting for each other:
with two threads on a 2-core machine busy with other work, a free piano's section took 5 to 16 times
the CPU seconds it takes with one (`tools.settings.DEFAULT_MUSIC_THREADS`). The count is set around
each call rather than once for the process, so torch work elsewhere in the same process (Whisper
in AudioRAG, a grammar's logit mask) keeps its own; OpenMP keeps the count per calling thread, so
setting it in the thread that runs the model is what reaches the model's operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` torch intra-op threads, then restore the count it had."""
    if count < 1:
        raise ValueError(f"torch needs at least one thread, not {count}; set GO_MUSIC_THREADS to 1 or more.")
    before = torch.get_num_threads()
    if before == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
