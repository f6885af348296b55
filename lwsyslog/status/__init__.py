"""Health of the chain for ``lwsyslog status``: the omprog program's status file, rsyslog's
impstats counters, rsyslogd's own error messages and the processes, put in plain words."""

__all__: list[str] = []
