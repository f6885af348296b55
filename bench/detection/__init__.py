"""Helpers of ``bench/measure_detection.py``: run data through the engine, tabulate, explain."""
