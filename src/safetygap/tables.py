"""Printing rich tables so that no cell is ever cut: on a terminal, a cell too wide for it is
folded onto more lines; piped or redirected, the table is printed as wide as it needs (rich
would otherwise assume 80 columns and end cells with an ellipsis)."""

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table


def print_table(table: Table) -> None:
    """Print `table` on stdout, every cell whole."""
    for column in table.columns:
        column.overflow = "fold"
    console = Console()
    if not console.is_terminal:
        needed = Measurement.get(console, console.options.update_width(10**6), table).maximum
        console = Console(width=max(needed, console.width))
    console.print(table)
