"""What one measured section hands back: its Markdown for the doc and for the details file."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Section"]


@dataclass(slots=True)
class Section:
    """One section's result. ``doc`` replaces its measured block; ``details`` goes to bench/out."""

    name: str
    title: str
    doc: str
    details: str = ""
    headline: list[str] = field(default_factory=list)
