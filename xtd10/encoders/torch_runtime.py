"""Device and precision choices shared by the adapters (the CPU-only engines check ``--device``
here too).

Kept apart from the adapters so that every model picks cuda/mps/cpu and autocast the same
way, and so that importing :mod:`xtd10.encoders` never imports torch (each function
imports it when called).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from xtd10.encoders.protocol import EncoderError
from xtd10.errors import XTD10Error, install_extra_hint

T = TypeVar("T")
R = TypeVar("R")

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
DEFAULT_PRECISION = "fp32"


def require_torch(encoder_name: str) -> Any:
    try:
        import torch
    except ImportError:
        raise EncoderError(
            f"encoder {encoder_name!r} needs PyTorch: {install_extra_hint('offline')} (or install torch alone)"
        ) from None
    return torch


DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"
_DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?|mps")


def check_device_name(device: str | None, who: str, error: type[XTD10Error] = EncoderError) -> str:
    """The device name normalised (``None``/``""`` -> ``"auto"``), or ``error`` for a name
    that is none of auto/cpu/cuda/cuda:N/mps. Needs no torch, so encoders without a torch
    engine check ``--device`` with the same words as those that have one."""
    name = "auto" if device in (None, "") else str(device).strip().lower()
    if not _DEVICE_PATTERN.fullmatch(name):
        raise error(f"{who}: invalid device {device!r} (use {DEVICE_NAMES})")
    return name


def cpu_only_device(requested: str | None, encoder_name: str, engine: str) -> str:
    """``"cpu"`` for encoders whose engine has no GPU path, with a visible warning when
    another device was asked for: a sweep with ``--device cuda`` can still include them,
    and the result records where they actually ran."""
    if check_device_name(requested, f"encoder {encoder_name!r}") not in ("auto", "cpu"):
        logging.getLogger("xtd10.encoders").warning(
            "encoder %r runs on the CPU only (%s); ignoring device=%r", encoder_name, engine, requested)
    return "cpu"


def resolve_device(device: str | None, who: str, error: type[XTD10Error] = EncoderError) -> Any:
    """The one device resolver of the toolkit (encoders, baseline training, cpu-only checks).

    ``None``/``"auto"`` -> cuda if present, else mps, else cpu; otherwise the named device,
    checked to exist (CUDA present, the index within the device count, MPS available), so
    a typo or a missing GPU fails before any model or data is loaded. ``who`` starts the
    message (``"encoder 'hf:x'"``, ``"train.device"``); ``error`` is the error class the
    caller's users see.
    """
    torch = require_torch(who)
    if device not in (None, "", "auto") and not _DEVICE_PATTERN.fullmatch(str(device).strip().lower()):
        try:
            other = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            other = None
        if other is not None:
            raise error(f"{who}: unsupported device {device!r} (use {DEVICE_NAMES})")
    name = check_device_name(device, who, error)
    mps = getattr(torch.backends, "mps", None)
    mps_available = mps is not None and mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_available else "cpu")
    chosen = torch.device(name)
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise error(f"{who}: device {device!r} requested but CUDA is not available")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise error(f"{who}: device {device!r} requested but only {torch.cuda.device_count()} CUDA device(s) "
                        "exist")
    if chosen.type == "mps" and not mps_available:
        raise error(f"{who}: device {device!r} requested but MPS is not available")
    return chosen


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX-BF16 on x86, where
    oneDNN runs bf16 matrix products at full speed); elsewhere bf16 autocast on the CPU is
    emulated and slower than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_precision(precision: str | None, device: Any, encoder_name: str) -> str:
    """The precision an encoder runs at; the default is fp32, which gives the same numbers
    on every machine (half-precision autocast moves near-tied similarities).

    ``auto`` asks for speed: fp16 autocast on CUDA, bf16 autocast on a CPU that computes
    bf16 natively, fp32 otherwise. ``bf16`` runs on CUDA and on CPUs (slow where the CPU
    lacks native bf16: a warning says so); ``fp16`` needs CUDA.
    """
    precision = (precision or "fp32").lower()
    if precision not in PRECISIONS:
        raise EncoderError(
            f"encoder {encoder_name!r}: precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    if precision == "auto":
        if device.type == "cuda":
            return "fp16"
        return "bf16" if device.type == "cpu" and cpu_supports_bf16() else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise EncoderError(
            f"encoder {encoder_name!r}: precision fp16 needs a CUDA device (running on {device.type}); "
            "bf16 runs on CPUs"
        )
    if precision == "bf16" and device.type not in ("cuda", "cpu"):
        raise EncoderError(f"encoder {encoder_name!r}: precision bf16 needs a CUDA device or the CPU "
                           f"(running on {device.type})")
    if precision == "bf16" and device.type == "cpu" and not cpu_supports_bf16():
        logging.getLogger("xtd10.encoders").warning(
            "encoder %r: this CPU has no native bf16; bf16 autocast will be slower than fp32", encoder_name)
    return precision


def autocast(device: Any, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for ``precision`` (a no-op for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    import torch

    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype)


@contextlib.contextmanager
def inference(device: Any, precision: str) -> Iterator[None]:
    """No gradients, at ``precision``: the context every adapter's forward pass runs in.

    Autocast keeps its reduced-precision copy of a weight only for parameters that require
    grad, outside inference mode; otherwise it casts every weight again at every operation.
    So adapters run under ``torch.no_grad`` (not ``torch.inference_mode``) and leave their
    parameters' ``requires_grad`` alone (no graph is built under no_grad either way).
    Measured on a CPU with native bf16 (ViT-B-32 text tower, batch 64): bf16 took 26-29 ms a
    caption with re-casting against 7-9 ms with the cast copies kept (fp32: 32-35 ms)."""
    import torch

    with torch.no_grad(), autocast(device, precision):
        yield


CPU_WORKERS = 2


def cpu_workers(device: Any) -> int:
    """How many batches run side by side on ``device``: two on a CPU with at least two
    threads for torch, else one. See :func:`run_batches`."""
    if getattr(device, "type", device) != "cpu":
        return 1
    import torch

    return CPU_WORKERS if torch.get_num_threads() >= CPU_WORKERS else 1


def worker_batch_size(batch_size: int, device: Any) -> int:
    """The size of each worker's share of a batch of ``batch_size`` images: the workers run
    side by side, so together they hold about one batch (memory stays that of one batch)."""
    return -(-batch_size // cpu_workers(device))


def run_batches(batches: Sequence[T], encode: Callable[[T], R], device: Any, precision: str) -> list[R]:
    """``encode(batch)`` for every batch, results in order, without gradients at ``precision``.

    On a CPU, :func:`cpu_workers` batches run side by side, each on its share of torch's
    threads, instead of one batch at a time on all of them: the element-wise work between
    matrix products (GELU, layer norm, attention, autocast's casts) then runs in parallel
    too. Measured with ViT-B-32 on a 2-core CPU, same batches: text 4% (fp32) and 20%
    (bf16) faster, images 9-15% (fp32) and 10-30% (bf16). A worker takes the next batch
    when it finishes one, so neither waits for the other at the end of a call: batches
    sorted longest first (``encode_by_length``) end with the shortest ones. Against a fixed
    split (every other batch to each worker) that made XTD10's text track 12-22% faster
    at bf16 in chunks of 512 captions. Each worker keeps its own autocast context for all
    its batches; autocast's weight copies are per thread, so
    weights that ``encode`` does not cast itself once for all threads (as
    :class:`~xtd10.encoders.lean_blocks.LeanBlocks` does) are held once per worker at
    bf16/fp16. A batch's vector does not depend on which worker ran it."""
    try:
        return _run_batches(batches, encode, device, precision)
    finally:
        if getattr(device, "type", device) == "cpu":
            return_freed_memory()


def _run_batches(batches: Sequence[T], encode: Callable[[T], R], device: Any, precision: str) -> list[R]:
    workers = min(cpu_workers(device), len(batches))
    if workers <= 1:
        with inference(device, precision):
            return [encode(batch) for batch in batches]
    import torch

    results: list[Any] = [None] * len(batches)
    pending = iter(range(len(batches)))
    taking = threading.Lock()
    failed = threading.Event()  # a batch raised: hand out no more (the error is re-raised below)

    def work() -> None:
        with inference(device, precision):
            while not failed.is_set():
                with taking:
                    index = next(pending, None)
                if index is None:
                    return
                try:
                    results[index] = encode(batches[index])
                except BaseException:
                    failed.set()
                    raise

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads // workers))
    try:
        # the calling thread is one of the workers: one thread (and malloc arena) fewer
        with ThreadPoolExecutor(workers - 1, thread_name_prefix="xtd10-batch") as pool:
            others = [pool.submit(work) for _ in range(1, workers)]
            work()
            for done in others:
                done.result()
    finally:
        torch.set_num_threads(threads)
    return results


def return_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere).

    Text batches come in many padded shapes, so the memory a call frees is scattered over
    the heap in pieces that the next call's shapes do not fit; glibc keeps them, and the
    process grows with every language scored (see "Where the harness's memory goes" in
    docs/engineering/performance.md). Trimming takes milliseconds against the seconds a
    call's batches take."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def batch_runner(device: Any, precision: str) -> Callable[[Sequence[T], Callable[[T], R]], list[R]]:
    """:func:`run_batches` for one device and precision: what an adapter hands to
    :func:`~xtd10.encoders.batching.encode_in_batches` and ``encode_by_length`` as ``runner``."""
    return functools.partial(run_batches, device=device, precision=precision)


CPU_TOKENS_PER_BATCH = {"fp32": 1024, "bf16": 2048, "fp16": 2048}


def text_token_budget(device: Any, precision: str) -> int | None:
    """The most padded positions a text batch should hold on ``device`` (None: no cap).

    On the CPU a transformer layer is fastest when its activations stay in cache. Measured
    with the ViT-B-32 text tower on 800 captions of four languages, batch size 64: fp32
    took 10.3 s with 1024 positions a batch against 11.5 s with 2048 and 13.4 s uncapped;
    bf16 (whose matrix units want more rows) 5.4 s with 2048, 6.1 s with 1024, 6.9 s
    uncapped. Accelerators prefer large batches."""
    return CPU_TOKENS_PER_BATCH.get(precision) if getattr(device, "type", device) == "cpu" else None


def count_parameters(*modules: Any) -> int:
    """Distinct parameters across ``modules`` (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for module in modules:
        if module is None:
            continue
        for parameter in module.parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                total += parameter.numel()
    return total
