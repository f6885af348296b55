"""Deployment helpers: the site CA and TLS certificates, and the rsyslog drop-ins for each role."""
