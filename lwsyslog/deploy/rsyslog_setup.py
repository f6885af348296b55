"""Render, validate and install the rsyslog drop-ins of the chain for one machine.

The drop-ins are templates in ``lwsyslog/data/rsyslog/*.conf.in`` with ``@{name}``
placeholders (``string.Template`` with ``@`` as the delimiter, so rsyslog's own ``$`` stays
readable). The files shipped in ``rsyslog.d/`` are the same templates rendered with
:data:`EXAMPLE_WEBHOST` and :data:`EXAMPLE_SERVER`.
"""

from __future__ import annotations

import re
import shutil
import string
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from lwsyslog.errors import SetupError

__all__ = [
    "APACHE_EXAMPLE_NAME",
    "DROPIN_NAMES",
    "EXAMPLE_SERVER",
    "EXAMPLE_WEBHOST",
    "Role",
    "ServerSettings",
    "Validation",
    "WebhostSettings",
    "apache_example",
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

_SAFE_VALUE = re.compile(r'^[^"\\\n\r\x00]*$')


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
    omprog_binary: str = "/usr/local/bin/lwsyslog-omprog"
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


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of ``rsyslogd -N1`` on a drop-in: ``ok`` and rsyslogd's own messages."""

    ok: bool
    messages: tuple[str, ...]


def _template_text(name: str) -> str:
    return resources.files("lwsyslog").joinpath("data", "rsyslog", name).read_text("utf-8")


def _check_values(values: dict[str, object]) -> None:
    for key, value in values.items():
        text = str(value)
        # A quote or newline would end the rsyslog string and let a value inject config.
        if not _SAFE_VALUE.match(text):
            raise SetupError(f"setting {key!r} contains a quote, backslash or newline: {text!r}")
        if isinstance(value, int) and value <= 0:
            raise SetupError(f"setting {key!r} must be positive, got {value}")


def render_webhost(settings: WebhostSettings) -> str:
    """The web-host drop-in for ``settings``."""
    values: dict[str, object] = asdict(settings)
    values["server_name"] = settings.server_name or settings.server_host
    _check_values(values)
    if settings.batch_size > settings.window_size:
        # A dequeue batch larger than the RELP window crawls (measured 680-1,300 lines/s).
        raise SetupError(
            f"batch_size {settings.batch_size} is larger than window_size {settings.window_size}"
        )
    return _Template(_template_text("webhost.conf.in")).substitute(values)


def render_server(settings: ServerSettings) -> str:
    """The central-server drop-in for ``settings``."""
    if not settings.permitted_peers:
        raise SetupError("at least one permitted web-host name is needed")
    values: dict[str, object] = asdict(settings)
    del values["permitted_peers"]
    transactions = values.pop("transactions")
    _check_values(values)
    values["use_transactions"] = "on" if transactions else "off"
    values["transactions_arg"] = " --transactions" if transactions else ""
    _check_values({"permitted_peers": ",".join(settings.permitted_peers)})
    values["permitted_peers"] = ", ".join(f'"{p}"' for p in settings.permitted_peers)
    values["address_param"] = f'address="{settings.address}" ' if settings.address else ""
    values["fmhash_module"] = 'module(load="fmhash")' if settings.shards > 1 else ""
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
    """The Apache-native alternative (``ErrorLog syslog:``, piped logger), as shipped."""
    return _template_text("apache-lwsyslog.conf.example.in")


def validate(conf_text: str, *, display_name: str = "drop-in") -> Validation:
    """Run ``rsyslogd -N1`` on ``conf_text`` included from a private wrapper configuration.

    The wrapper gives the drop-in a throw-away work directory, so the check needs no write
    access to the system's and does not depend on the rest of ``/etc/rsyslog.conf``. Messages
    naming the temporary file are rewritten to name ``display_name``.
    """
    rsyslogd = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
    )
    if rsyslogd is None:
        raise SetupError("rsyslogd is not installed: cannot validate the drop-in")
    with tempfile.TemporaryDirectory(prefix="lwsyslog-validate-") as tmp:
        dropin = Path(tmp) / "dropin.conf"
        dropin.write_text(conf_text, encoding="utf-8")
        wrapper = Path(tmp) / "wrapper.conf"
        wrapper.write_text(
            f'global(workDirectory="{tmp}")\ninclude(file="{dropin}" mode="required")\n',
            encoding="utf-8",
        )
        proc = subprocess.run(
            [rsyslogd, "-N1", "-f", str(wrapper)],
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    lines = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if "config validation run" in line or "End of config validation" in line:
            continue
        lines.append(line.replace(str(dropin), display_name).replace(str(wrapper), "<wrapper>"))
    return Validation(ok=proc.returncode == 0, messages=tuple(lines))


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
) -> tuple[Path, str, Validation]:
    """Render and validate the drop-in of ``role``; write it into ``rsyslog_dir`` if valid.

    Returns the target path, the rendered text and the validation. Nothing is written when the
    validation fails or ``dry_run`` is set.
    """
    text = render(role, settings)
    target = rsyslog_dir / DROPIN_NAMES[role]
    result = validate(text, display_name=str(target))
    if result.ok and not dry_run:
        rsyslog_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(target)
    return target, text, result
