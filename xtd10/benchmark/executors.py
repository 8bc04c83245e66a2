"""Where a sweep's jobs run: in this process, one after another, or as tasks on a Ray cluster.

A sweep is a list of independent jobs (one model on one dataset), each of which returns one
result; nothing in a job depends on another. So the engine that runs them is swappable, and
the two here share one interface (``run(jobs)`` yields a :class:`JobOutcome` per job, in the
order they finish). Neither writes a file: the sweep's driver saves every result through
:func:`xtd10.benchmark.placement.save_result`, the one writer, so a result file is the same
whichever engine computed it, and a job that Ray runs twice (its worker died) is still
written once.

What crosses the process boundary is plain data (a job's fields, a result as the dict of
its file), so a worker needs nothing from the driver but this package and the paths it
names: images, caption sources and ``XTD10_CACHE`` are read on the worker's own machine.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xtd10.errors import ImagesUnavailableError, XTD10Error
from xtd10.schema import TEXT_TRACK

log = logging.getLogger(__name__)

RAY_EXTRA_HINT = "pip install -e '.[ray]'"
MAX_RETRIES = 2  # a job whose worker process dies runs again at most this often
EXECUTORS = ("local", "ray")


class ExecutorError(XTD10Error):
    """The sweep's engine cannot be used: Ray is not installed, or the cluster is not there."""


@dataclass(frozen=True)
class Job:
    """One model on one dataset. ``options`` are :func:`xtd10.benchmark.evaluate`'s keyword
    arguments (strings, numbers, booleans): what a worker on another machine needs."""

    number: int  # 1-based place in the roster
    spec: str
    tracks: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobOutcome:
    """What a job gave back: its result as the dict of its file, or why there is none.

    ``skipped``: the model cannot run here (unknown adapter, a package missing, bad data);
    ``failed``: it broke (an unexpected error, or a worker that died more than
    ``MAX_RETRIES`` times); ``partial``: the part that did not run (the image track without
    images)."""

    number: int
    result: dict[str, Any] | None = None
    partial: str | None = None
    skipped: str | None = None
    failed: str | None = None


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job (given and returned as plain dicts, so it can run in another process).

    A model listed for both tracks whose images cannot be had still gets its text track
    scored, and says why the image track did not run."""
    from xtd10.benchmark.runner import evaluate

    spec, tracks, options = job["spec"], tuple(job["tracks"]), dict(job["options"])
    partial = None
    try:
        try:
            result = evaluate(spec, tracks=tracks, **options)
        except ImagesUnavailableError as err:
            if TEXT_TRACK not in tracks:
                raise
            partial = f"image track skipped: {err}"
            log.info("%s: %s; running the text track only", spec, partial)
            result = evaluate(spec, tracks=(TEXT_TRACK,), **options)
    except (XTD10Error, ImportError) as err:
        # INFO, not WARNING: the reason travels in the outcome and the CLI prints it once
        log.info("skipping %s: %s", spec, err)
        return asdict(JobOutcome(job["number"], skipped=str(err)))
    except Exception as err:  # one model's bug must not end a sweep of two hundred
        log.debug("%s failed", spec, exc_info=True)
        return asdict(JobOutcome(job["number"], failed=one_line(err)))
    return asdict(JobOutcome(job["number"], result=result.to_dict(), partial=partial))


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class LocalExecutor:
    """Today's sweep: each job in this process, in roster order."""

    name = "local"

    def run(self, jobs: Sequence[Job], on_start: Callable[[Job], None] | None = None) -> Iterator[JobOutcome]:
        for job in jobs:
            if on_start is not None:
                on_start(job)
            yield JobOutcome(**run_job(asdict(job)))


class RayExecutor:
    """Each job one Ray task, run wherever the cluster has the resources it asks for.

    ``address``: ``None`` starts a Ray on this machine for the sweep's length; ``auto`` joins
    the cluster this machine is part of; ``HOST:PORT`` or ``ray://HOST:PORT`` a given one.
    A task whose worker process dies is retried (``MAX_RETRIES``); a model that fails is
    reported and the others go on; an interrupt cancels every task not yet finished."""

    name = "ray"

    def __init__(self, address: str | None = None, *, gpus_per_model: float = 0, cpus_per_model: float = 1,
                 max_retries: int = MAX_RETRIES, announce: Callable[[str], None] | None = None):
        if cpus_per_model < 0 or gpus_per_model < 0:
            raise ExecutorError("--cpus-per-model and --gpus-per-model cannot be negative")
        self.address = address or None
        self.gpus_per_model = gpus_per_model
        self.cpus_per_model = cpus_per_model
        self.max_retries = max_retries
        self.announce = announce

    def run(self, jobs: Sequence[Job], on_start: Callable[[Job], None] | None = None) -> Iterator[JobOutcome]:
        ray = import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            self._connect(ray)
        try:
            yield from self._run(ray, list(jobs))
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray) -> None:
        options: dict[str, Any] = {"logging_level": logging.WARNING, "configure_logging": True}
        if self.address not in (None, "auto"):
            check_reachable(self.address)  # ray.init waits minutes on an address where nothing listens
        try:
            if self.address is None:
                ray.init(include_dashboard=False, **options)
            else:
                ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = self.address or "a new local Ray"
            raise ExecutorError(f"cannot start or reach Ray at {where}: {one_line(err)}") from None
        resources = ray.cluster_resources()
        if self.announce is not None:
            self.announce(f"Ray at {self.address or 'this machine'}: {resources.get('CPU', 0):g} CPUs, "
                          f"{resources.get('GPU', 0):g} GPUs; each model asks for {self.cpus_per_model:g} CPU(s) "
                          f"and {self.gpus_per_model:g} GPU(s)")
        short = resources.get("CPU", 0) < self.cpus_per_model or resources.get("GPU", 0) < self.gpus_per_model
        if short and self.announce is not None:
            # not an error: an autoscaling cluster (KubeRay, the cluster launcher) adds the node on demand
            self.announce("note: no node of the cluster has that now; the models wait until one joins")

    def _run(self, ray, jobs: list[Job]) -> Iterator[JobOutcome]:
        task = ray.remote(num_cpus=self.cpus_per_model, num_gpus=self.gpus_per_model,
                          max_retries=self.max_retries, retry_exceptions=False)(run_job)
        pending = {task.remote(asdict(job)): job for job in jobs}
        try:
            while pending:
                # a short timeout keeps this loop in Python, where Ctrl-C is seen at once
                done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                for ref in done:
                    job = pending.pop(ref)
                    try:
                        yield JobOutcome(**ray.get(ref))
                    except ray.exceptions.RayError as err:
                        # the worker died more often than max_retries, or the task could not be placed
                        yield JobOutcome(job.number, failed=f"on Ray: {one_line(err).splitlines()[0]}")
        except BaseException:  # Ctrl-C, or the caller stopped reading: nothing keeps computing
            for ref in pending:
                ray.cancel(ref, force=True)
            raise


def check_reachable(address: str, timeout_s: float = 10.0) -> None:
    """Refuse at once a ``HOST:PORT`` (or ``ray://HOST:PORT``) where nothing answers."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise ExecutorError(f"cannot reach Ray at {address}: {one_line(err)} (is the head node started, "
                            "and is this its port?)") from None


def import_ray():
    """Ray, or a one-line error naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise ExecutorError(f"--executor ray needs Ray, which is not installed: {RAY_EXTRA_HINT}") from None
    return ray


def make_executor(name: str, *, address: str | None = None, gpus_per_model: float = 0, cpus_per_model: float = 1,
                  announce: Callable[[str], None] | None = None) -> LocalExecutor | RayExecutor:
    """The executor called ``name``; Ray's options are refused for the local one rather than ignored."""
    if name == "local":
        if address or gpus_per_model or cpus_per_model != 1:
            raise ExecutorError("--address, --gpus-per-model and --cpus-per-model go with --executor ray")
        return LocalExecutor()
    if name == "ray":
        import_ray()
        return RayExecutor(address, gpus_per_model=gpus_per_model, cpus_per_model=cpus_per_model, announce=announce)
    raise ExecutorError(f"unknown executor {name!r}: expected one of {', '.join(EXECUTORS)}")


def absolute_location(value: object) -> object:
    """A local path made absolute, so a worker whose working folder is another one reads the
    same files; URLs, ``True`` and names (``download``) are left as they are."""
    if isinstance(value, (str, os.PathLike)) and not str(value).startswith(("http://", "https://")):
        path = Path(value).expanduser()
        if path.exists():
            return str(path.resolve())
    return value
