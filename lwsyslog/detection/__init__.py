"""The detect stage: one interface for every source of event rules, and their catalog.

:mod:`lwsyslog.detection.interface` is the contract (``Detector``, ``RuleInfo``,
``RuleSource``); :mod:`lwsyslog.detection.sources` lists the sources;
:mod:`lwsyslog.detection.catalog` loads the configured ones together (``load_detection``).
The package imports nothing itself, so a source may import the interface without loading the
catalog that lists it.
"""
