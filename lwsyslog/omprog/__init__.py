"""The program rsyslog's omprog action runs: protocol, envelope, replay guard, spool, diagnostics.

``lwsyslog-omprog`` (the console script and ``omprog/lwsyslog-omprog``) calls :func:`main`.
"""
