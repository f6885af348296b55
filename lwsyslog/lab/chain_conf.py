"""The shipped rsyslog drop-ins rendered for a chain on one machine (127.0.0.1 only)."""

from __future__ import annotations

from collections.abc import Sequence
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
) -> str:
    """The shipped server drop-in listening on 127.0.0.1:``port`` and running ``program``.

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
    )
    if transactions is not None:
        settings = replace(settings, transactions=transactions)
    return rsyslog_setup.render_server(settings)


def webhost_conf(
    pki: ChainPki,
    server_port: int,
    access_log: Path,
    error_log: Path,
    *,
    input_port: int | None = None,
    input_socket: Path | None = None,
    client: certs.CertFiles | None = None,
    window_size: int = 4096,
    batch_size: int = 1024,
) -> str:
    """The shipped web-host drop-in sending to 127.0.0.1:``server_port``, plus test inputs.

    ``input_port`` adds a TCP syslog input on 127.0.0.1 (for bulk writers); ``input_socket``
    adds a private Unix socket for ``logger --socket PATH``. The system socket (/dev/log) is
    never opened.
    """
    client = client or pki.webhost
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
    )
    inputs: list[str] = []
    if input_port is not None:
        inputs.append('module(load="imptcp")')
        inputs.append(f'input(type="imptcp" address="127.0.0.1" port="{input_port}")')
    if input_socket is not None:
        if len(str(input_socket)) > MAX_SOCKET_PATH:
            raise ValueError(f"socket path too long for a Unix socket: {input_socket}")
        # SysSock.Use="off": only our own socket, the host's /dev/log stays untouched.
        inputs.append('module(load="imuxsock" SysSock.Use="off")')
        inputs.append(f'input(type="imuxsock" socket="{input_socket}" createPath="on")')
    return "".join(f"{line}\n" for line in inputs) + rsyslog_setup.render_webhost(settings)
