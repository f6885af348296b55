"""The ``lwsyslog`` command line."""
