"""The sinks the omprog program writes alerts to, built from its configuration."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lwsyslog.metrics.figures import ChannelFigures
from lwsyslog.notify.notifier import Notifier
from lwsyslog.notify.outbox import OutboxError, outbox_path
from lwsyslog.omprog.diagnostics import Diagnostics
from lwsyslog.omprog.options import Options
from lwsyslog.settings import Config
from lwsyslog.sinks import JournaldSink, MessagesFileSink, Sink
from lwsyslog.store.sink import StoreSink

__all__ = ["build_sinks", "notify_channels"]


def build_sinks(config: Config, options: Options, diagnostics: Diagnostics) -> list[Sink]:
    """Every enabled sink; one that cannot open is reported and kept to be retried (the
    messages file, the alert store) or left out with a warning (the notifications)."""
    sinks: list[Sink] = []
    if config.messages_file_enabled:
        if config.messages_file_path:
            sink = MessagesFileSink(
                config.messages_file_path,
                fsync=config.messages_file_fsync,
                # A line rsyslog sends again after a kill must not add a second alert line.
                skip_written=True,
            )
            _probe(sink, config, diagnostics)
            sinks.append(sink)
        else:
            diagnostics.warning("messages file enabled but no path set: not written")
    if config.journald_enabled:
        sinks.append(JournaldSink())
    if config.store.enabled:
        # A locked store (a VACUUM, an admin's open transaction) must neither stop the
        # program nor leave it without a store for its whole life: the sink reports it off
        # and opens it when it can.
        sinks.append(_store_sink(config, options.state_dir, diagnostics))
    if config.notify.enabled:
        try:
            sinks.append(
                Notifier(
                    config.notify,
                    outbox_path(options.state_dir, options.instance),
                    report=diagnostics,
                )
            )
        except (OutboxError, OSError) as error:
            diagnostics.warning(f"notifications off: {error}")
    if not sinks:
        diagnostics.warning("no sink is enabled: alerts are counted, not written")
    return sinks


def notify_channels(sinks: Iterable[Sink]) -> dict[str, ChannelFigures]:
    """The notification channels' figures, by channel name (none without ``[notify]``)."""
    for sink in sinks:
        if isinstance(sink, Notifier):
            return sink.channel_figures()
    return {}


def _store_sink(config: Config, state_dir: Path, diagnostics: Diagnostics) -> StoreSink:
    store = config.store
    return StoreSink.retrying(
        store.path or state_dir / "alerts.db",
        report=diagnostics.warning,
        retention_days=store.retention_days,
        max_rows=store.max_rows,
        max_bytes=store.max_bytes,
    )


def _probe(sink: MessagesFileSink, config: Config, diagnostics: Diagnostics) -> None:
    """Open the messages file now so a problem shows at start, not at the first alert."""
    try:
        sink.open()  # created 0640, group adm, as the sink itself creates it
    except OSError as error:
        diagnostics.error(
            f"messages file {sink.path} not writable ({type(error).__name__}: {error}); lines "
            "with alerts are answered with an error until it is, for at most "
            f"[sinks.messages_file] hold_secs ({config.messages_file_hold_secs:g} s)"
        )
