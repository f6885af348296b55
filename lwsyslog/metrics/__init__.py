"""The omprog program's figures for Prometheus: a snapshot type, its metric families, and the
exporter (HTTP endpoint and node-exporter textfile). See docs/operations.md."""

from __future__ import annotations

from lwsyslog.metrics.exporter import MetricsExporter
from lwsyslog.metrics.figures import Figures, LagFigures, LagSampler

__all__ = ["Figures", "LagFigures", "LagSampler", "MetricsExporter"]
