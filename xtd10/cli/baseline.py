"""``xtd10 baseline``: train the reference baseline, tag images, run the offline ablation."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import click

from xtd10.cli.options import trust_code_option


@click.group(name="baseline")
def group() -> None:
    """Train and use the zero-shot reference baseline (frozen encoders + trained heads)."""


@group.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Training config (YAML), e.g. benchmark/configs/baseline.yaml.")
@click.option("--loss", type=click.Choice(["m3l", "patr", "infonce"]), help="Override train.loss.name.")
@click.option("--device", help="Override train.device (cpu, cuda, cuda:1, auto).")
@click.option("--epochs", type=int, help="Override train.epochs.")
@click.option("--out", type=click.Path(file_okay=False), help="Override the output directory.")
@click.option("--resume", is_flag=True, help="Continue the run in OUT from its last checkpoint (OUT/trainer_state.json).")
@click.option("--overwrite", is_flag=True, help="Replace an earlier run in OUT (otherwise an error); it is kept until the new run has its first checkpoint.")
@trust_code_option
def train(config_path: str, loss: str | None, device: str | None, epochs: int | None, out: str | None,
          resume: bool, overwrite: bool, trust_code: bool) -> None:
    """Train the heads on English pairs (COCO or JSONL/CSV); launch with torchrun for DDP."""
    from xtd10.baseline.config import load_config
    from xtd10.baseline.run import train_from_config

    config = load_config(config_path, {"train.loss.name": loss, "train.device": device,
                                       "train.epochs": epochs, "out": out}, trust_code=trust_code)
    result = train_from_config(config, resume=resume, overwrite=overwrite)
    if os.environ.get("RANK", "0") != "0":
        return  # under torchrun only rank 0 reports
    last = result.history[-1] if result.history else {}
    held = last.get("holdout", {})
    checkpoint = _as_typed(result.out_dir / "checkpoint")
    click.echo(f"trained {result.epochs_run} epoch(s); checkpoint: {checkpoint}")
    if held:
        from xtd10.baseline.trainer import holdout_key
        from xtd10.schema import I2T, R1, R10, T2I

        click.echo("held-out English: " + "  ".join(
            f"{direction} " + "  ".join(f"{metric} {held[holdout_key(direction, metric)]:.3f}" for metric in (R1, R10))
            for direction in (T2I, I2T)))
    click.echo(f"use it: xtd10 bench run --model baseline:{checkpoint}")


def _as_typed(path: Path) -> str:
    """``path`` as a user would type it here: relative to the current directory when it
    lies below it (config paths are resolved against the config file, so they arrive as
    ``benchmark/../runs/...`` or absolute)."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


@group.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "checkpoint", required=True, type=click.Path(exists=True, file_okay=False),
              help="Checkpoint directory (or a training run's out dir).")
@click.option("--language", required=True, help="Language of the vocabulary (ISO code, e.g. es).")
@click.option("--vocabulary", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Tags, one per line.")
@click.option("--top", default=10, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@trust_code_option
def tag(image: str, checkpoint: str, language: str, vocabulary: str, top: int, as_json: bool,
        trust_code: bool) -> None:
    """Rank the tags of VOCABULARY for IMAGE (zero-shot in any language)."""
    from xtd10.baseline.encoder import BaselineEncoder
    from xtd10.baseline.pipeline import open_rgb
    from xtd10.baseline.tagging import rank_tags, read_vocabulary
    from xtd10.languages import normalize_language

    code = normalize_language(language)
    tags = rank_tags(BaselineEncoder(checkpoint, trust_code=trust_code), open_rgb(Path(image)),
                     read_vocabulary(vocabulary),
                     language=code, top=top)
    if as_json:
        click.echo(json.dumps([{"tag": t.tag, "score": t.score} for t in tags], ensure_ascii=False, indent=2))
        return
    for rank, item in enumerate(tags, start=1):
        click.echo(f"{rank:>3}  {item.score:+.4f}  {item.tag}")


@group.command()
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Feature cache (default OUT/cache).")
@click.option("--n-test", default=100, show_default=True, type=int, help="Test scenes per language.")
@click.option("--n-train", default=200, show_default=True, type=int, help="Training scenes (English).")
@click.option("--epochs", default=30, show_default=True, type=int)
@click.option("--loss", "losses", multiple=True, type=click.Choice(["m3l", "patr", "infonce"]),
              help="Losses to compare (default: all three).")
@click.option("--seed", default=0, show_default=True, type=int)
def ablation(out: str, cache_dir: str | None, n_test: int, n_train: int, epochs: int, losses: tuple[str, ...],
             seed: int) -> None:
    """Offline proof: train each loss on English scene captions, test in all 11 languages."""
    from xtd10.baseline.ablation import AblationConfig, run_ablation

    config = AblationConfig(n_test=n_test, n_train_scenes=n_train, epochs=epochs, seed=seed)
    if losses:
        config = dataclasses.replace(config, losses=tuple(losses))
    result = run_ablation(config, out, cache_dir=cache_dir or Path(out) / "cache")
    from xtd10.baseline.ablation import markdown_table

    click.echo(markdown_table(result))
    click.echo(f"written: {Path(out) / 'ablation.json'}, {Path(out) / 'ablation.md'}")
