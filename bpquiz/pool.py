"""One way to run jobs: in this process for one job at a time, else in a pool of processes.

`Pool(workers, initializer)` is a context manager with `submit(fn, *args) -> Future` and
`wait(futures)`. In this process (by default for one worker: tests, `--jobs 1`, a class of one)
each call runs at once, when it is submitted. Otherwise a `ProcessPoolExecutor` whose workers run
`initializer` once (templates, fonts) and ignore Ctrl-C, so that the interrupt reaches this
process alone.

Two things go wrong the same way for every caller, and are handled here once:

- Ctrl-C: the queued jobs are cancelled, the workers stopped at once, and `Interrupted` raised;
- a worker that dies (killed, out of memory): `WorkerDied` names the job it was running.
"""

from __future__ import annotations

import os
import queue
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as _wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import BpquizError, Interrupted


class WorkerDied(BpquizError):
    """A worker process ended without finishing its job."""


def workers_for(jobs: int | None, tasks: int) -> int:
    """How many processes: `jobs` (default: every core), never more than there are tasks."""
    return max(1, min(jobs or os.cpu_count() or 1, tasks))


def _start_worker(initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C, once
    if initializer is not None:
        initializer(*initargs, in_worker=True)


class Pool:
    """See the module docstring. `initializer(*initargs, in_worker=...)` prepares a process;
    `in_worker` is False when the jobs run here (it must then leave process-wide state alone)."""

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., Any] | None = None,
        initargs: tuple = (),
        in_process: bool | None = None,
    ):
        self.workers = workers
        # One worker process still runs beside this one (e.g. a summary while grades.json is
        # written): `in_process=False` asks for it.
        self.in_process = workers == 1 if in_process is None else in_process
        self.initializer = initializer
        self.initargs = initargs
        self._executor: ProcessPoolExecutor | None = None
        self._what: dict[Future, str] = {}

    def __enter__(self) -> Pool:
        if not self.in_process:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                initializer=_start_worker,
                initargs=(self.initializer, self.initargs),
            )
        elif self.initializer is not None:
            self.initializer(*self.initargs, in_worker=False)
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self._executor is None:
            if kind is KeyboardInterrupt:
                raise Interrupted("interrupted") from None
            return
        if kind is None:
            self._executor.shutdown(wait=True)
            return
        self.stop()
        if kind is KeyboardInterrupt:
            raise Interrupted("interrupted") from None
        if kind is BrokenProcessPool:
            raise WorkerDied(f"a worker process died ({self._running()})") from None

    def stop(self) -> None:
        """Cancel what is queued and end the workers now (they may be mid-job)."""
        executor = self._executor
        if executor is None:
            return
        processes = list((getattr(executor, "_processes", None) or {}).values())  # None once broken
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=2)

    def _running(self) -> str:
        running = [what for f, what in self._what.items() if not f.done() and what]
        return "while making " + ", ".join(running[:3]) if running else "no job running"

    def submit(self, fn: Callable[..., Any], *args: Any, what: str = "") -> Future:
        """Run `fn(*args)`; `what` names the job in a message if its worker dies."""
        if self._executor is not None:
            future = self._executor.submit(fn, *args)
            self._what[future] = what
            future.add_done_callback(self._forget)
            return future
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as e:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(e)
        return future

    def _forget(self, future: Future) -> None:
        # A future cancelled by Ctrl-C has no exception to ask for (it would raise).
        if future.cancelled() or not isinstance(future.exception(), BrokenProcessPool):
            self._what.pop(future, None)

    @staticmethod
    def wait(futures: Iterable[Future]) -> set[Future]:
        """The futures that are done, as soon as at least one is."""
        done, _ = _wait(list(futures), return_when=FIRST_COMPLETED)
        return done

    def result(self, future: Future) -> Any:
        """A future's result; a dead worker is named (WorkerDied)."""
        try:
            return future.result()
        except BrokenProcessPool:
            what = self._what.get(future, "")
            self.stop()
            raise WorkerDied(
                f"a worker process died while making {what}" if what else "a worker process died"
            ) from None


class Completions:
    """Futures handed back as they finish, each once: `add(future)`, then `next()`.

    `wait` over all pending futures costs time in their number at each call, and a loop over
    2,000 of them kept this process (and with it the thread that feeds the workers) busy for
    seconds; a queue filled by done-callbacks costs the same for each future.
    """

    def __init__(self) -> None:
        self._done: queue.SimpleQueue[Future] = queue.SimpleQueue()

    def add(self, future: Future) -> None:
        future.add_done_callback(self._done.put)

    def next(self) -> Future:
        while True:
            try:
                return self._done.get(timeout=0.5)  # a timeout, so that Ctrl-C is seen
            except queue.Empty:
                continue
