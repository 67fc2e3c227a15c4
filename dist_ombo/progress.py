"""tqdm bars for training epochs and search steps, quiet unless asked for."""

from __future__ import annotations

from typing import Any


class Bars:
    """One bar whose total follows the caller (epochs of training, steps of search)."""

    def __init__(self, total: int, desc: str) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, leave=False)

    def epoch(self, epoch: int, n_epochs: int, train_loss: float, val_loss: float) -> None:
        self.bar.total = n_epochs
        self.bar.n = epoch
        self.bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}", refresh=False)
        self.bar.refresh()

    def step(self, i: int, total: int) -> None:
        self.bar.total = total
        self.bar.n = i
        self.bar.refresh()


class progress_bar:
    """``with progress_bar(enabled, total, desc) as bar:`` -> a ``Bars`` or ``None`` when disabled."""

    def __init__(self, enabled: bool, total: int, desc: str) -> None:
        self.enabled, self.total, self.desc = enabled, total, desc
        self.bars: Bars | None = None

    def __enter__(self) -> Bars | None:
        if self.enabled:
            self.bars = Bars(self.total, self.desc)
        return self.bars

    def __exit__(self, *exc: Any) -> None:
        if self.bars is not None:
            self.bars.bar.close()
