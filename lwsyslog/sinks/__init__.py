"""Where alerts go: journald, the messages file, memory (tests), behind one dispatcher."""

from lwsyslog.sinks.base import Dispatcher, Sink
from lwsyslog.sinks.journald import JournaldSink
from lwsyslog.sinks.memory import MemorySink
from lwsyslog.sinks.messages_file import MessagesFileSink

__all__ = ["Dispatcher", "JournaldSink", "MemorySink", "MessagesFileSink", "Sink"]
