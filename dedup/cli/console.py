"""Where the CLI writes besides its results: messages and progress bars on stderr.

Results go to stdout (``typer.echo``, or a ``Console()`` table); everything else goes through
:data:`err_console`, so ``dedup scan --json > groups.jsonl`` stays clean.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import ProgressColumn

    from dedup.config import ScanConfig
    from dedup.io.locking import LockHolder
    from dedup.types import ScanResult

err_console = Console(stderr=True)


def say_waiting(folder: Path, holder: LockHolder) -> None:
    """The one line a writer prints before it waits for another one."""
    err_console.print(
        f"waiting for {holder.describe()} to finish with {folder} ...", highlight=False, soft_wrap=True
    )


def scan_with_progress(
    run_scan: Callable[..., ScanResult], inputs: Any, config: ScanConfig, *, quiet: bool
) -> ScanResult:
    """``run_scan(inputs, config=config)`` with one progress bar per stage on stderr (none if ``quiet``)."""
    if quiet:
        return run_scan(inputs, config=config)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        _count_column(),
        TimeElapsedColumn(),
        console=err_console,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(
                    "reading" if stage.endswith(" bytes") else stage,
                    total=total,
                    bytes=stage.endswith("bytes"),
                )
            bar.update(tasks[stage], completed=done, total=total)

        return run_scan(inputs, config=config, progress=progress)


def _count_column() -> ProgressColumn:
    """A column showing ``done/total``; in bytes (``1.2/3.4 GB``) for the reading stage."""
    from rich.filesize import decimal
    from rich.progress import ProgressColumn
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """``done/total``; in bytes (``1.2/3.4 GB``) for the reading stage."""

        def render(self, task) -> Text:  # noqa: ANN001
            done, total = int(task.completed), int(task.total or 0)
            if task.fields.get("bytes"):
                return Text(f"{decimal(done)}/{decimal(total)}", style="progress.download")
            return Text(f"{done}/{total}", style="progress.download")

    return CountColumn()
