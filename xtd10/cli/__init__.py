"""The ``xtd10`` command: a click group whose sub-groups load on first use.

Each sub-group lives in its own module (``xtd10/cli/<name>.py``, exposing ``group``) and
is imported only when invoked, so ``xtd10 data info`` never pays for torch.
Library errors (:class:`xtd10.errors.XTD10Error`) are shown as one clear line.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import click

from xtd10 import __version__
from xtd10.errors import XTD10Error
from xtd10.files import WriteError

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "data": ("xtd10.cli.data", "Load, inspect, build and publish the XTD10 dataset."),
    "bench": ("xtd10.cli.bench", "Score encoders on XTD10 and compare results."),
    "leaderboard": ("xtd10.cli.leaderboard", "Regenerate leaderboard tables, plots and page."),
    "crowd": ("xtd10.cli.crowd", "Collect, validate and promote crowdsourced captions."),
    "baseline": ("xtd10.cli.baseline", "Train and use the zero-shot reference baseline."),
    "demo": ("xtd10.cli.demo", "Run the main job on the embedded default (offline)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in SUBCOMMANDS.items() if importlib.util.find_spec(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _ = SUBCOMMANDS[cmd_name]
        if importlib.util.find_spec(module_name) is None:
            return None
        return importlib.import_module(module_name).group

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="xtd10")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Toolkit for XTD10, the 11-language image-text retrieval test set."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="xtd10", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except (XTD10Error, WriteError) as err:  # a write that failed (a full disk) is a message too
        click.echo(f"error: {cli_wording(str(err))}", err=True)
        sys.exit(2)


def cli_wording(message: str) -> str:
    """A library message with its Python argument names (``source=DIR``) said as the
    command line's options (``--source DIR``)."""
    from xtd10.data.sources import CLI_WORDING

    for api, option in CLI_WORDING.items():
        message = message.replace(api, option)
    return message
