"""Run callables at the same moment in threads, each on its own database connection."""

import threading
from collections.abc import Callable

from django.db import connections


def run_concurrently(functions: list[Callable], timeout: float = 60) -> list:
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index: int, function: Callable) -> None:
        try:
            barrier.wait()
            results[index] = function()
        except BaseException as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
