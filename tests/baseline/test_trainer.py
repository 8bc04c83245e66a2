"""The trainer on synthetic features: it learns, is seeded, resumes, logs, and runs as
two gloo processes (DDP) on CPU."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from xtd10.baseline.losses import LossConfig
from xtd10.baseline.model import HeadConfig, load_checkpoint
from xtd10.baseline.pipeline import split_holdout
from xtd10.baseline.trainer import PairSet, TrainConfig, holdout_metrics, train_heads
from xtd10.benchmark.metrics import compute_metrics


def synthetic_pairs(n_images=120, captions_per_image=2, seed=0) -> PairSet:
    """Images and captions are two different noisy linear views of a shared latent."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_images, 8))
    images = latent @ rng.standard_normal((8, 20)) + 0.1 * rng.standard_normal((n_images, 20))
    cap_latent = np.repeat(latent, captions_per_image, axis=0)
    texts = cap_latent @ rng.standard_normal((8, 12)) + 0.1 * rng.standard_normal((len(cap_latent), 12))
    return PairSet(texts.astype(np.float16), images.astype(np.float16), np.arange(len(texts)),
                   np.repeat(np.arange(n_images), captions_per_image))


def config(**kw) -> TrainConfig:
    base = {"epochs": 4, "batch_size": 32, "lr": 3e-3, "warmup_steps": 5, "embed_dim": 16, "device": "cpu",
            "head": HeadConfig(hidden_dim=32, dropout=0.0), "loss": LossConfig("infonce", temperature=0.1)}
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("loss", ["m3l", "patr", "infonce"])
def test_training_beats_chance_on_held_out_pairs(tmp_path, loss):
    train, holdout = split_holdout(synthetic_pairs(), 30, seed=0)
    result = train_heads(train, config(epochs=8, loss=LossConfig(loss)), tmp_path, holdout=holdout, progress=False)
    first, last = result.history[0]["holdout"], result.history[-1]["holdout"]
    # chance R@1 over 30 images is 1/30; the shared latent makes the task learnable
    assert last["t2i_R@1"] > 0.3 and last["t2i_R@10"] >= first["t2i_R@10"]
    # the logged metric equals an independent recomputation from the saved checkpoint
    model, saved = load_checkpoint(tmp_path / "checkpoint")
    with torch.no_grad():
        t = model.embed_text(torch.tensor(np.asarray(holdout.text_features[holdout.text_rows], dtype=np.float32)))
        images = np.unique(holdout.image_rows)
        v = model.embed_image(torch.tensor(np.asarray(holdout.image_features[images], dtype=np.float32)))
    positives = np.searchsorted(images, holdout.image_rows)
    assert compute_metrics((t @ v.T).numpy(), positives)["R@1"] == pytest.approx(last["t2i_R@1"])
    assert saved["epoch"] == 8 and saved["train"]["loss"]["name"] == loss
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == list(range(1, 9))
    assert (tmp_path / "best" / "model.safetensors").is_file()


def test_seeded_runs_are_identical_and_resume_matches(tmp_path):
    pairs = synthetic_pairs(60)
    full = train_heads(pairs, config(epochs=4), tmp_path / "a", progress=False)
    again = train_heads(pairs, config(epochs=4), tmp_path / "b", progress=False)
    assert [r["loss"] for r in full.history] == [r["loss"] for r in again.history]
    # stop after 2 epochs, then resume to 4: same losses as the uninterrupted run
    train_heads(pairs, config(epochs=4), tmp_path / "c", progress=False, stop_after=2)
    resumed = train_heads(pairs, config(epochs=4), tmp_path / "c", resume=True, progress=False)
    assert [r["loss"] for r in resumed.history] == pytest.approx([r["loss"] for r in full.history], rel=1e-6)
    a, _ = load_checkpoint(tmp_path / "a" / "checkpoint")
    c, _ = load_checkpoint(tmp_path / "c" / "checkpoint")
    for (name, x), (_, y) in zip(a.state_dict().items(), c.state_dict().items(), strict=True):
        torch.testing.assert_close(x, y, msg=name)


def test_holdout_metrics_count_every_image_of_a_group_as_relevant():
    pairs = synthetic_pairs(10, captions_per_image=1)
    pairs = PairSet(pairs.text_features, pairs.image_features, pairs.text_rows, pairs.image_rows,
                    groups=np.zeros(10, dtype=int))  # all one group: every image is relevant
    from xtd10.baseline.model import DualHead

    metrics = holdout_metrics(DualHead(12, 20, 8), pairs, torch.device("cpu"))
    assert metrics["t2i_R@1"] == 1.0 and metrics["i2t_R@1"] == 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, out: str) -> None:
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                         world_size=world)
    try:
        torch.set_num_threads(1)
        model = train_heads(synthetic_pairs(64), config(epochs=2), out, progress=False).model
        torch.save({k: v.clone() for k, v in model.state_dict().items()}, f"{out}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_ddp_two_gloo_processes_keep_replicas_in_sync(tmp_path):
    port = _free_port()
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    zero, one = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    for name in zero:
        torch.testing.assert_close(zero[name], one[name], msg=name)
    saved, _ = load_checkpoint(tmp_path / "checkpoint")
    torch.testing.assert_close(saved.state_dict()["text_head.0.weight"], zero["text_head.0.weight"])
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert len(log) == 2  # only rank 0 writes


@pytest.mark.slow
def test_torchrun_launches_the_cli_with_two_gloo_ranks(tmp_path):
    """The documented multi-process command, end to end: torchrun -> xtd10 baseline train."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import yaml
    from PIL import Image

    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    xtd10_cli = shutil.which("xtd10", path=str(Path(sys.executable).parent)) or shutil.which("xtd10")
    if not torchrun or not xtd10_cli:
        pytest.skip("torchrun or the xtd10 console script is not installed")
    lines = []
    for k in range(24):
        colour = [(200, 30, 30), (30, 200, 30), (30, 30, 200)][k % 3]
        Image.new("RGB", (8, 8), colour).save(tmp_path / f"{k}.png")
        lines.append(json.dumps({"image": f"{k}.png", "caption": ["red", "green", "blue"][k % 3] + f" {k}"}))
    (tmp_path / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "fakemod.py").write_text("from conftest import ColourStats, HashText\n"
                                         "def text():\n    return HashText()\n"
                                         "def image():\n    return ColourStats()\n")
    config = {"data": {"kind": "pairs", "file": "pairs.jsonl", "holdout_images": 3},
              "encoders": {"text": "py:fakemod:text", "image": "py:fakemod:image"},
              "train": {"epochs": 2, "batch_size": 4, "warmup_steps": 1, "embed_dim": 8, "device": "cpu",
                        "head": {"hidden_dim": 16}},
              "out": "run", "cache_dir": "cache"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    # the checkout under test first: the console script may belong to an install of another one
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), str(tmp_path),
                                                        str(Path(__file__).parent)]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "--no-python", xtd10_cli,
                           "baseline", "train", "--config", str(tmp_path / "c.yaml"), "--trust-code"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2]
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2  # one text and one image entry, written once
    _, saved = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert saved["n_train_pairs"] == 21
