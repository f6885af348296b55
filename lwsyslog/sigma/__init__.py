"""Sigma rules evaluated in-process on parsed Apache fields (needs the ``sigma`` extra).

Users point lwsyslog at directories of Sigma rules (SigmaHQ's ``rules/web/...``) in
``[sigma] rule_dirs``. :mod:`lwsyslog.sigma.source` is the rule source (it imports pySigma only
when rules are configured); :mod:`lwsyslog.sigma.ruleset` loads rules: pySigma reads them
(:mod:`~lwsyslog.sigma.reading`) into a plain description (:mod:`~lwsyslog.sigma.ir`), kept
between runs in the database cache (:mod:`~lwsyslog.sigma.stored`), and each rule is built
once into a Python evaluator over the parsed event fields (:mod:`~lwsyslog.sigma.compiler`, no
conversion to another query language); :mod:`lwsyslog.sigma.correlation` turns
``event_count`` correlations into threshold rules; :mod:`lwsyslog.sigma.detector` puts a rule
set behind the common detector interface. See ``docs/sigma.md``. The package imports nothing
itself, so pySigma stays optional.
"""
