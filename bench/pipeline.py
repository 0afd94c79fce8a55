"""Overlap row generation with writing: a thread produces batches while the caller writes the
previous one. The writer spends much of its time waiting on the database (a COPY's round trip,
SQLite's page writes) with the GIL released, which is when the producer thread runs; with two
cores this hides most of the generation time behind the database's work."""

import os
import queue
import threading
from collections.abc import Iterable, Iterator

_DONE = object()


def prefetch(batches: Iterable, depth: int = 2) -> Iterator:
    """Iterate ``batches`` in a background thread, at most ``depth`` batches ahead. An exception
    in the producer is re-raised in the caller; the producer stops if the caller stops early."""
    if os.environ.get("ZHIYUAN_BENCH_INLINE"):  # one thread: for profiling (cProfile sees one thread)
        yield from batches
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        q.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((True, _DONE))
        except BaseException as exc:  # handed to the consumer
            q.put((False, exc))

    thread = threading.Thread(target=produce, name="bench-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = q.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
