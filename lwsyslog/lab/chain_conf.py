"""The shipped rsyslog drop-ins rendered for a chain on one machine (127.0.0.1 only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lwsyslog.deploy import certs, rsyslog_setup
from lwsyslog.lab.pki import PERMITTED, SERVER_NAME, ChainPki

__all__ = ["MAX_SOCKET_PATH", "server_conf", "webhost_conf"]

MAX_SOCKET_PATH = 107
"""The longest path a Unix socket can have (``sun_path`` holds 108 bytes with the NUL)."""


def server_conf(
    pki: ChainPki,
    port: int,
    workdir: Path,
    program: str,
    *,
    peers: Sequence[str] = (PERMITTED,),
    shards: int = 1,
    transactions: bool | None = None,
    overrides: Mapping[str, object] | None = None,
) -> str:
    """The shipped server drop-in listening on 127.0.0.1:``port`` and running ``program``.

    ``program`` is the whole command: the drop-in adds no ``--state-dir``, ``--config`` or
    ``--messages-file`` unless ``overrides`` (more :class:`ServerSettings` fields) sets them.
    ``transactions`` overrides the drop-in's ``useTransactions`` (None: the shipped default).

    Raw lines go to ``workdir/raw/HOST/PROGRAM.log``, the program's stderr to
    ``workdir/omprog.stderr`` (``omprog.stderr_N`` for shard N when ``shards`` > 1).
    """
    settings = replace(
        rsyslog_setup.EXAMPLE_SERVER,
        ca_cert=str(pki.ca.cert),
        cert=str(pki.server.cert),
        key=str(pki.server.key),
        permitted_peers=tuple(peers),
        port=port,
        address="127.0.0.1",
        output_dir=str(workdir / "raw"),
        omprog_binary=program,
        omprog_output=str(workdir / "omprog.stderr"),
        shards=shards,
        state_dir="",
    )
    if transactions is not None:
        settings = replace(settings, transactions=transactions)
    if overrides:
        settings = replace(settings, **overrides)  # type: ignore[arg-type]
    return rsyslog_setup.render_server(settings)


def webhost_conf(
    pki: ChainPki,
    server_port: int,
    access_log: Path,
    error_log: Path,
    *,
    input_port: int | None = None,
    input_socket: Path | None = None,
    system_socket: Path | None = None,
    client: certs.CertFiles | None = None,
    window_size: int = 4096,
    batch_size: int = 1024,
) -> str:
    """The shipped web-host drop-in sending to 127.0.0.1:``server_port``, plus test inputs.

    ``input_port`` adds a TCP syslog input on 127.0.0.1 (for bulk writers), bound to the
    forwarding ruleset like the drop-in's own inputs. ``input_socket`` is the drop-in's test
    socket (``lwsyslog setup webhost --test-socket``) for ``logger --socket PATH``; its
    directory must exist. ``system_socket`` stands in for /dev/log: a socket bound to no
    ruleset, whose lines must not be forwarded whatever their tag. The host's /dev/log is
    never opened.
    """
    client = client or pki.webhost
    for path in (input_socket, system_socket):
        if path is not None and len(str(path)) > MAX_SOCKET_PATH:
            raise ValueError(f"socket path too long for a Unix socket: {path}")
    settings = replace(
        rsyslog_setup.EXAMPLE_WEBHOST,
        server_host="127.0.0.1",
        server_port=server_port,
        server_name=SERVER_NAME,
        ca_cert=str(pki.ca.cert),
        cert=str(client.cert),
        key=str(client.key),
        access_log=str(access_log),
        error_log=str(error_log),
        window_size=window_size,
        batch_size=batch_size,
        resume_interval=1,
        resume_interval_max=2,
        read_timeout=1,
        test_socket=str(input_socket) if input_socket is not None else "",
    )
    modules: list[str] = []
    inputs: list[str] = []
    if input_port is not None:
        modules.append('module(load="imptcp")')
        inputs.append(
            f'input(type="imptcp" address="127.0.0.1" port="{input_port}" '
            'ruleset="lwsyslog_forward")'
        )
    if input_socket is not None or system_socket is not None:
        # What Debian's /etc/rsyslog.conf does for /dev/log, without the host's /dev/log.
        modules.append('module(load="imuxsock" SysSock.Use="off")')
    if system_socket is not None:
        inputs.append(f'input(type="imuxsock" socket="{system_socket}")')
    return (
        "".join(f"{line}\n" for line in modules)
        + rsyslog_setup.render_webhost(settings)
        + "".join(f"{line}\n" for line in inputs)
    )
