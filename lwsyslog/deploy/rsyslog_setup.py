"""Render, validate and install the rsyslog drop-ins of the chain for one machine.

The drop-ins are templates in ``lwsyslog/data/rsyslog/*.conf.in`` with ``@{name}``
placeholders (``string.Template`` with ``@`` as the delimiter, so rsyslog's own ``$`` stays
readable). The files shipped in ``rsyslog.d/`` are the same templates rendered with
:data:`EXAMPLE_WEBHOST` and :data:`EXAMPLE_SERVER`.
"""

from __future__ import annotations

import os
import re
import stat
import string
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from lwsyslog.deploy.previous import Kept, keep_previous
from lwsyslog.deploy.rsyslog_check import MAIN_CONF, Validation, validate
from lwsyslog.errors import SetupError

__all__ = [
    "APACHE_EXAMPLE_NAME",
    "DROPIN_NAMES",
    "EXAMPLE_SERVER",
    "EXAMPLE_WEBHOST",
    "MAX_MESSAGE_SIZE",
    "RAW_PROGRAMS",
    "TLS_CONFIG",
    "Kept",
    "Role",
    "ServerSettings",
    "Validation",
    "WebhostSettings",
    "apache_example",
    "check_private_socket_dir",
    "install",
    "render",
    "render_server",
    "render_webhost",
    "restart_hint",
    "validate",
]

Role = Literal["webhost", "server"]

DROPIN_NAMES: dict[Role, str] = {
    "webhost": "10-lwsyslog-webhost.conf",
    "server": "20-lwsyslog-server.conf",
}
"""The file name each role's drop-in gets in the rsyslog.d directory."""

APACHE_EXAMPLE_NAME = "apache-lwsyslog.conf.example"

MAX_MESSAGE_SIZE = 128 * 1024
"""rsyslog's ``maxMessageSize`` on both ends (its default, 8k, cuts padded requests).

Apache's longest access line: the request line, Referer and User-Agent may each reach 8,190
bytes (``LimitRequestLine``, ``LimitRequestFieldSize``), the Basic-auth user name about 6,000
(decoded from an 8,190-byte header), and Apache writes a byte outside printable ASCII as
``\\xHH`` (4 characters). Measured with Apache 2.4 on Debian 12, every one of them filled
with byte 0xFF: a ``combined`` line of 122,138 bytes; an error-log line is never longer than
8,190. 128 KiB holds that line and its syslog header. An administrator who raises Apache's
limits raises this too (``--max-message-size``)."""

TLS_CONFIG = "\n".join(
    (
        "MinProtocol=TLSv1.2",
        "CipherString=ECDHE+AESGCM:ECDHE+CHACHA20",
        "Ciphersuites=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
    )
)
"""OpenSSL ``SSL_CONF`` commands (``tls.tlscfgcmd``) for both ends of RELP: TLS 1.2 or newer,
forward-secret key exchange (ECDHE) and authenticated encryption (AES-GCM, ChaCha20-Poly1305)
only. Both ends are ours, so nothing older needs to be accepted."""

RAW_PROGRAMS = ("apache-access", "apache-error", "apache-iis")
"""The program names (syslog tags) the server keeps raw per-host copies of: the web host's
imfile tags and the TLS syslog input's IIS tag (:mod:`lwsyslog.deploy.tls_syslog_input`).
Any other tag gets no file, so a sender cannot make one file per tag it invents."""

_SAFE_VALUE = re.compile(r'^[^"\\\n\r\x00]*$')
_PROGRAM = re.compile(r"^apache-[A-Za-z0-9_.-]{1,40}$")
_MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the NUL


class _Template(string.Template):
    delimiter = "@"


@dataclass(frozen=True, slots=True)
class WebhostSettings:
    """What the web-host drop-in needs to know about one machine."""

    server_host: str
    ca_cert: str
    cert: str
    key: str
    server_port: int = 2514
    server_name: str = ""
    """Name the server's certificate must carry; defaults to ``server_host``."""
    access_log: str = "/var/log/apache2/access.log"
    error_log: str = "/var/log/apache2/error.log"
    window_size: int = 4096
    batch_size: int = 1024
    queue_name: str = "lwsyslog_fwd"
    queue_size: int = 100_000
    queue_max_disk: str = "1g"
    resume_interval: int = 10
    resume_interval_max: int = 60
    persist_state_interval: int = 1000
    read_timeout: int = 2
    max_message_size: int = MAX_MESSAGE_SIZE
    relp_timeout: int = 10
    """Seconds omrelp waits for the server's answer before it calls the session broken
    (librelp's default is 90). It also bounds how long a stop can take when the server side
    is gone: in one rsyslogd carrying both drop-ins, imrelp stops first and omrelp waited its
    full timeout on SIGTERM. The server answers as soon as a line is queued, so 10 s is ample."""
    local: bool = False
    """This machine is the central server too: lines go to the server drop-in's ruleset in the
    same rsyslogd (``call lwsyslog``), not over RELP; the server and TLS settings are unused.
    A RELP session from an rsyslogd to itself crashed librelp 1.11 (OpenSSL in imrelp and
    omrelp of one process: a double free in 2 of 10 starts)."""
    test_socket: str = ""
    """A Unix socket whose lines are forwarded as they are (``logger --socket PATH -t
    apache-access ...``); empty: none. Its directory must be reachable by root only:
    imuxsock makes the socket itself world-writable."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the central-server drop-in needs to know about one machine."""

    ca_cert: str
    cert: str
    key: str
    permitted_peers: tuple[str, ...] = field(default=("*.example.net",))
    """Web-host certificate names accepted; ``*.domain`` wildcards are allowed."""
    port: int = 2514
    address: str = ""
    """Listen address; empty listens on all addresses."""
    output_dir: str = "/var/log/lwsyslog"
    omprog_binary: str = "/usr/bin/lwsyslog-omprog"
    """The program (the Debian package's path); its options below are added to it."""
    omprog_config: tuple[str, ...] = ()
    """``--config`` files of the program; none: its default, /etc/lwsyslog/lwsyslog.toml and
    /etc/lwsyslog/lwsyslog.d/*.toml."""
    state_dir: str = "/var/lib/lwsyslog"
    """``--state-dir`` of the program (replay guard, spool, alert store); empty: not passed."""
    messages_file: str = ""
    """``--messages-file`` of the program; empty: the configuration's
    ``[sinks.messages_file] path`` (/var/log/lwsyslog/messages by default)."""
    omprog_output: str = "/var/log/lwsyslog/omprog.stderr"
    queue_name: str = "lwsyslog_omprog"
    queue_size: int = 100_000
    queue_max_disk: str = "2g"
    shards: int = 1
    """Programs in parallel, each owning the clients whose address hashes to it."""
    transactions: bool = True
    """Batches to the program (``useTransactions="on"``, ``--transactions``): it spools and
    answers each line first and processes it while rsyslog prepares the next, confirming the
    batch at its COMMIT. On by default: measured 6-28% more lines/s than confirming each
    line (README, performance), and the program avoids both transaction bugs of rsyslog
    8.2302 (it never answers an error inside a batch; a failed COMMIT's one-message replays
    are handled), see omprog/README.md. Off: every line is confirmed on its own."""
    max_message_size: int = MAX_MESSAGE_SIZE
    """At least the web hosts' (a longer line is cut here)."""
    confirm_timeout_secs: int = 60
    """How long rsyslog waits for each answer of the program (omprog ``confirmTimeout``),
    including its ``OK`` at start-up, after loading the configuration and compiling the
    rules. rsyslog's default, 10 s, is too short for a start on a loaded machine or with a
    cold database cache (measured 5-6 s with other work on both cores). A start-up answer
    that comes too late costs far more than the wait: rsyslog 8.2302 then stops the program
    and starts no other (measured: a line queued behind it undelivered for 240 s, nothing
    logged). A hung program is restarted after this long; its lines stay queued."""
    raw_programs: tuple[str, ...] = RAW_PROGRAMS
    """Program names that get a raw per-host file; each starts with ``apache-``."""


EXAMPLE_WEBHOST = WebhostSettings(
    server_host="logs.example.net",
    ca_cert="/etc/lwsyslog/tls/ca.crt",
    cert="/etc/lwsyslog/tls/www1.example.net.crt",
    key="/etc/lwsyslog/tls/www1.example.net.key",
)
"""The settings the shipped ``rsyslog.d/10-lwsyslog-webhost.conf`` is rendered with."""

EXAMPLE_SERVER = ServerSettings(
    ca_cert="/etc/lwsyslog/tls/ca.crt",
    cert="/etc/lwsyslog/tls/logs.example.net.crt",
    key="/etc/lwsyslog/tls/logs.example.net.key",
    permitted_peers=("*.example.net",),
)
"""The settings the shipped ``rsyslog.d/20-lwsyslog-server.conf`` is rendered with."""


def _template_text(name: str) -> str:
    return resources.files("lwsyslog").joinpath("data", "rsyslog", name).read_text("utf-8")


def _check_values(values: dict[str, object]) -> None:
    for key, value in values.items():
        text = str(value)
        # A quote or newline would end the rsyslog string and let a value inject config.
        if not _SAFE_VALUE.match(text):
            raise SetupError(f"setting {key!r} contains a quote, backslash or newline: {text!r}")
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SetupError(f"setting {key!r} must be positive, got {value}")


def _check_size(size: int) -> None:
    if size < 8192:
        raise SetupError(
            f"max_message_size {size} is below rsyslog's default of 8192: "
            "padded requests would be cut"
        )


def _test_socket_block(path: str) -> str:
    if not path:
        return ""
    if not Path(path).is_absolute() or len(path.encode()) > _MAX_SOCKET_PATH:
        raise SetupError(f"test_socket must be an absolute path of at most 107 bytes: {path!r}")
    return (
        "\n# Test input (lwsyslog setup webhost --test-socket): `logger --socket "
        f"{path} -t apache-access ...`\n"
        "# is forwarded like a line of Apache's log. imuxsock makes the socket world-writable;\n"
        "# its directory, made 0700 root by lwsyslog setup, keeps everyone but root out.\n"
        "# imuxsock itself is loaded by /etc/rsyslog.conf (for /dev/log): not loaded again.\n"
        f'input(type="imuxsock" socket="{path}" ruleset="lwsyslog_forward")\n'
    )


def render_webhost(settings: WebhostSettings) -> str:
    """The web-host drop-in for ``settings``."""
    values: dict[str, object] = asdict(settings)
    local = values.pop("local")
    values["server_name"] = settings.server_name or settings.server_host
    if not local and not all((settings.server_host, settings.ca_cert, settings.cert, settings.key)):
        raise SetupError("the server host, CA, certificate and key are needed unless local")
    _check_values(values)
    _check_size(settings.max_message_size)
    if settings.batch_size > settings.window_size:
        # A dequeue batch larger than the RELP window crawls (measured 680-1,300 lines/s).
        raise SetupError(
            f"batch_size {settings.batch_size} is larger than window_size {settings.window_size}"
        )
    values["tls_config"] = TLS_CONFIG
    values["test_socket_block"] = _test_socket_block(settings.test_socket)
    forward = "webhost-local.conf.in" if local else "webhost-relp.conf.in"
    values["forward_block"] = _Template(_template_text(forward)).substitute(values)
    return _Template(_template_text("webhost.conf.in")).substitute(values)


def _omprog_args(settings: ServerSettings) -> str:
    args = ""
    for option, value in (
        *(("--config", each) for each in settings.omprog_config),
        ("--state-dir", settings.state_dir),
        ("--messages-file", settings.messages_file),
    ):
        if not value:
            continue
        # omprog splits binary= at spaces and knows no quoting.
        if any(c.isspace() for c in value) or not _SAFE_VALUE.match(value):
            raise SetupError(
                f"{option} {value!r}: omprog cannot pass a path with white space or quotes"
            )
        args += f" {option} {value}"
    return args


def render_server(settings: ServerSettings) -> str:
    """The central-server drop-in for ``settings``."""
    if not settings.permitted_peers:
        raise SetupError("at least one permitted web-host name is needed")
    for program in settings.raw_programs:
        if not _PROGRAM.match(program):
            raise SetupError(f"raw program name {program!r} must be 'apache-' and a short name")
    _check_size(settings.max_message_size)
    values: dict[str, object] = asdict(settings)
    del values["permitted_peers"], values["raw_programs"], values["omprog_config"]
    transactions = values.pop("transactions")
    _check_values(values)
    values["use_transactions"] = "on" if transactions else "off"
    values["confirm_timeout_ms"] = settings.confirm_timeout_secs * 1000
    values["transactions_arg"] = " --transactions" if transactions else ""
    values["omprog_args"] = _omprog_args(settings)
    _check_values({"permitted_peers": ",".join(settings.permitted_peers)})
    values["permitted_peers"] = ", ".join(f'"{p}"' for p in settings.permitted_peers)
    values["raw_programs"] = ", ".join(f'"{p}"' for p in settings.raw_programs)
    values["address_param"] = f'address="{settings.address}" ' if settings.address else ""
    values["fmhash_module"] = 'module(load="fmhash")' if settings.shards > 1 else ""
    values["tls_config"] = TLS_CONFIG
    values["omprog_block"] = _omprog_block(values, settings.shards)
    return _Template(_template_text("server.conf.in")).substitute(values)


_SHARD_ROUTING = """\
        # Shard by client address: every line of one client reaches
        # the same program, so per-client windows never split. Error-log lines name the client
        # in their first [client ADDR:PORT]; vhost_combined lines start with VHOST:PORT.
        if re_match($msg, "^\\\\[") then {
            set $.lwsyslog_client = re_extract(
                $msg, "\\\\[client \\\\[?([^] ]+?)\\\\]?(:[0-9]+)?\\\\]", 0, 1, "-");
        } else if re_match($msg, "^[^ ]+:[0-9]+ ") then {
            set $.lwsyslog_client = field($msg, 32, 2);
        } else {
            set $.lwsyslog_client = field($msg, 32, 1);
        }
        set $.lwsyslog_shard = hash64mod($.lwsyslog_client, @{shards});
"""


def _omprog_block(values: dict[str, object], shards: int) -> str:
    """The apache-* branch of the ruleset: one omprog action, or one per shard."""
    action = _Template(_template_text("server-omprog-action.conf.in"))
    lines = ['    if $programname startswith "apache-" then {', '        action(type="mmutf8fix")']
    if shards == 1:
        lines.append(action.substitute(values, shard_suffix="", instance_arg="").rstrip("\n"))
    else:
        lines.append(_Template(_SHARD_ROUTING).substitute(shards=shards).rstrip("\n"))
        for shard in range(shards):
            body = action.substitute(
                values, shard_suffix=f"_{shard}", instance_arg=f" --instance {shard}"
            )
            lines.append(f"        if $.lwsyslog_shard == {shard} then {{")
            lines.extend("    " + line if line else line for line in body.rstrip("\n").split("\n"))
            lines.append("        }")
    lines.append("    }")
    return "\n".join(lines) + "\n"


def render(role: Role, settings: WebhostSettings | ServerSettings) -> str:
    """Render the drop-in of ``role``; ``settings`` must be of the matching type."""
    if role == "webhost" and isinstance(settings, WebhostSettings):
        return render_webhost(settings)
    if role == "server" and isinstance(settings, ServerSettings):
        return render_server(settings)
    raise SetupError(f"settings of type {type(settings).__name__} do not fit role {role!r}")


def apache_example() -> str:
    """The Apache-native alternative (piped loggers into a root-only socket), as shipped."""
    return _template_text("apache-lwsyslog.conf.example.in")


def check_private_socket_dir(socket_path: str, *, create: bool) -> Path:
    """The directory of ``socket_path``, made (with ``create``) or checked: root's, mode 0700.

    imuxsock creates its socket world-writable, so the directory is what keeps other users
    out. :class:`SetupError` names a directory that exists with another owner or mode.
    """
    directory = Path(socket_path).parent
    if create and not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
        os.chmod(directory, 0o700)  # whatever the umask
    try:
        info = directory.stat()
    except FileNotFoundError:
        if not create:
            return directory  # made when the drop-in is written
        raise
    if not stat.S_ISDIR(info.st_mode):
        raise SetupError(f"{directory} (the test socket's directory) is not a directory")
    if info.st_uid != 0 or info.st_mode & 0o077:
        raise SetupError(
            f"{directory} (the test socket's directory) is reachable by other users "
            f"(owner uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}): any local user "
            "could forge Apache lines there; use a directory of root's with mode 0700"
        )
    return directory


def restart_hint(role: Role) -> str:
    """What the administrator does after installing the drop-in of ``role``."""
    if role == "webhost":
        return (
            "Check the whole configuration with `rsyslogd -N1`, then "
            "`systemctl restart rsyslog`. Apache needs no restart (imfile reads its log files)."
        )
    return (
        "Check the whole configuration with `rsyslogd -N1`, then `systemctl restart rsyslog` "
        "(this also starts the lwsyslog omprog program); open the RELP port in the firewall "
        "for the web hosts only."
    )


def install(
    role: Role,
    settings: WebhostSettings | ServerSettings,
    rsyslog_dir: Path,
    *,
    dry_run: bool = False,
    main_conf: Path | None = MAIN_CONF,
) -> tuple[Path, str, Validation, Kept | None]:
    """Render and validate the drop-in of ``role``; write it into ``rsyslog_dir`` if valid.

    The drop-in is checked inside ``main_conf`` (if it exists) together with the other
    ``*.conf`` files of ``rsyslog_dir``: the configuration rsyslogd will load. Returns the
    target path, the rendered text, the validation and, when a different file was there, where
    it is kept (:mod:`lwsyslog.deploy.previous`; with ``dry_run``, where it would be). Nothing
    is written when the validation fails or ``dry_run`` is set.
    """
    text = render(role, settings)
    target = rsyslog_dir / DROPIN_NAMES[role]
    if isinstance(settings, WebhostSettings) and settings.local:
        server_dropin = rsyslog_dir / DROPIN_NAMES["server"]
        if not server_dropin.exists():
            raise SetupError(
                f"a local web host hands its lines to the server drop-in, and {server_dropin} "
                "does not exist: run `lwsyslog setup server` first"
            )
    socket = settings.test_socket if isinstance(settings, WebhostSettings) else ""
    if socket:
        check_private_socket_dir(socket, create=False)
    others = sorted(p for p in rsyslog_dir.glob("*.conf") if p.name != target.name)
    if main_conf is not None and not main_conf.exists():
        main_conf = None
    result = validate(text, display_name=str(target), main_conf=main_conf, others=others)
    if not result.ok:
        return target, text, result, None
    kept = keep_previous(target, text, copy=not dry_run)
    if not dry_run:
        if socket:
            check_private_socket_dir(socket, create=True)
        rsyslog_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(target)
    return target, text, result, kept
