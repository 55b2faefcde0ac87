"""The bar that says more of the answer is below while the user reads further up."""

from __future__ import annotations

from textual.widgets import Static


class JumpHint(Static):
    DEFAULT_CSS = """
    JumpHint { dock: bottom; height: 1; width: 100%; background: $warning 30%; color: $text; text-align: center; display: none; }
    JumpHint.visible { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("↓ more below — ctrl+g jumps to the latest", **kwargs)

    def show(self, visible: bool) -> None:
        self.set_class(visible, "visible")
