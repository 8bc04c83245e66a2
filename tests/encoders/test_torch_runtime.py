"""run_batches: CPU batches side by side give the same results, in order, under no_grad and
the requested autocast, and leave torch's thread setting as it was."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.installed import need

torch = need("torch")

from xtd10.encoders.batching import encode_by_length  # noqa: E402
from xtd10.encoders.torch_runtime import cpu_workers, run_batches, text_token_budget  # noqa: E402


def test_run_batches_keeps_order_and_context_and_restores_threads(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)  # as on a 2-core machine, wherever this runs
    seen = []
    set_to = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: set_to.append(n))
    layer = torch.nn.Linear(4, 3)

    both_started = threading.Barrier(2, timeout=30)  # each worker's first batch waits for the other's
    started = set()

    def encode(batch):
        name = threading.current_thread().name
        if name not in started:
            started.add(name)
            both_started.wait()  # on a loaded machine one worker could otherwise take every batch
        seen.append((name, torch.is_grad_enabled(), torch.is_autocast_enabled("cpu")))
        return layer(torch.as_tensor(batch, dtype=torch.float32)).detach().float().numpy()

    batches = [np.full((2, 4), float(i)) for i in range(5)]
    got = run_batches(batches, encode, torch.device("cpu"), "bf16")
    want = [layer(torch.as_tensor(b, dtype=torch.float32)).detach().numpy() for b in batches]
    assert len(got) == 5
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)  # bf16 autocast inside the workers
    assert all(not grad and autocast for _, grad, autocast in seen)
    names = {name for name, _, _ in seen}  # the calling thread is one worker, a pool thread the other
    assert threading.current_thread().name in names and any(name.startswith("xtd10-batch") for name in names)
    assert set_to == [1, 2]  # each worker on one thread, then torch's setting restored


def test_a_free_worker_takes_the_next_batch(monkeypatch):
    """While one worker is held on a slow batch, the other runs every remaining batch (a
    fixed split would leave half of them waiting for the slow worker)."""
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    others_done = threading.Event()
    ran_on: dict[int, str] = {}

    def encode(batch):
        ran_on[batch] = threading.current_thread().name
        if batch == 0:
            assert others_done.wait(10), "the other batches waited for the slow one"
        elif len(ran_on) == 5 and 0 in ran_on:
            others_done.set()
        return batch * 10

    assert run_batches([0, 1, 2, 3, 4], encode, torch.device("cpu"), "fp32") == [0, 10, 20, 30, 40]
    assert len({ran_on[b] for b in (1, 2, 3, 4)}) == 1 and ran_on[1] != ran_on[0]


def test_run_batches_on_one_thread_runs_in_place_and_errors_propagate(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert cpu_workers(torch.device("cpu")) == 1
    names = []
    out = run_batches([1, 2], lambda b: names.append(threading.current_thread().name) or b * 10,
                      torch.device("cpu"), "fp32")
    assert out == [10, 20] and set(names) == {threading.current_thread().name}
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)

    def fail(batch):
        raise ValueError(f"bad batch {batch}")

    with pytest.raises(ValueError, match="bad batch"):
        run_batches([1, 2, 3], fail, torch.device("cpu"), "fp32")

    started = []

    def fail_first(batch):  # the other worker stops taking batches once one has failed
        started.append(batch)
        if batch == 0:
            raise ValueError("bad batch 0")
        time.sleep(0.05)
        return batch

    with pytest.raises(ValueError, match="bad batch 0"):
        run_batches(list(range(40)), fail_first, torch.device("cpu"), "fp32")
    assert len(started) <= 4  # not the 21 of a fixed split nor the 40 of a queue that ignores the failure


def test_side_by_side_batches_give_the_serial_vectors():
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4))
    items = [np.random.default_rng(i).standard_normal(8) for i in range(23)]
    lengths = [i % 7 + 1 for i in range(23)]

    def encode(rows):
        with torch.no_grad():
            return layer(torch.as_tensor(np.stack(rows), dtype=torch.float32)).numpy()

    serial = encode_by_length(items, lengths, encode, batch_size=4, dim=4, max_tokens=12)
    side_by_side = encode_by_length(items, lengths, encode, batch_size=4, dim=4, max_tokens=12,
                                    runner=lambda b, f: run_batches(b, f, torch.device("cpu"), "fp32"))
    np.testing.assert_allclose(side_by_side, serial, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(serial, encode(items), rtol=1e-6, atol=1e-6)  # rows back in input order


def test_text_token_budget_by_device_and_precision():
    cpu = torch.device("cpu")
    assert text_token_budget(cpu, "fp32") == 1024 and text_token_budget(cpu, "bf16") == 2048
    assert text_token_budget(torch.device("cuda"), "fp16") is None
    assert cpu_workers(torch.device("cuda")) == 1
