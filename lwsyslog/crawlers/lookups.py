"""Forward-confirmed reverse DNS in a background thread, rate-limited, never waited for.

The checks use dnspython's asyncio resolver on an event loop of their own, in one daemon
thread: many lookups can be in flight at once (each bounded by ``timeout_secs``) for the cost
of one thread, and the program's main loop never waits on DNS. It hands addresses over with
:meth:`LookupWorker.submit` (an append to a deque, plus a wake-up only when the worker sleeps)
and picks the outcomes up from the ``results`` deque between lines. The worker starts at
most ``max_lookups_per_sec`` checks a second and keeps at most ``max_in_flight`` running;
:meth:`LookupWorker.close` cancels what runs and does not wait for DNS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.AAAA import AAAA

from lwsyslog.checks import split_resolver
from lwsyslog.crawlers.catalog import Address, checked_address
from lwsyslog.crawlers.verdict import Lookup, Outcome
from lwsyslog.errors import ConfigError

__all__ = ["LookupWorker", "fcrdns", "make_resolver"]

#: PTR names kept per address, and of those, how many get a forward lookup.
_MAX_NAMES = 4
_MAX_FORWARD = 2
#: The sleeping worker looks at its queue at least this often (a wake-up could be lost
#: only to a bug, but a lost one would stall verification).
_IDLE_POLL_SECS = 1.0

Results = deque[tuple[str, Lookup]]


def make_resolver(resolver: str, timeout_secs: float) -> dns.asyncresolver.Resolver:
    """A dnspython resolver for ``[crawlers] resolver`` ("system" or "ADDRESS[:PORT]"),
    without a cache of its own (the verdict cache is ours, bounded in bytes)."""
    if resolver == "system":
        try:
            made = dns.asyncresolver.Resolver()
        except dns.exception.DNSException as error:
            raise ConfigError(
                f'"system" resolver unusable: {error}', table="crawlers", key="resolver"
            ) from None
    else:
        host, port = split_resolver(resolver)
        made = dns.asyncresolver.Resolver(configure=False)
        made.nameservers = [host]
        made.port = port
    made.timeout = timeout_secs
    made.lifetime = timeout_secs
    made.cache = None
    return made


async def fcrdns(
    resolver: dns.asyncresolver.Resolver, address: Address, wanted: Callable[[str], bool]
) -> Lookup:
    """The reverse names of ``address`` and which of them resolve back to it.

    Only names ``wanted`` (under some crawler's domain) get a forward lookup: a name no
    crawler owns needs none to be judged. An IPv4-mapped or NAT64 address is checked as the
    IPv4 address it carries (:func:`~lwsyslog.crawlers.catalog.checked_address`).
    """
    address = checked_address(address)
    try:
        answer = await resolver.resolve_address(str(address))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Lookup(Outcome.NO_NAME)
    except dns.exception.DNSException as error:
        return Lookup(Outcome.UNRESOLVED, detail=_why(error))
    targets = [rr.target for rr in answer if isinstance(rr, PTR)][:_MAX_NAMES]
    names = tuple(target.to_text(omit_final_dot=True).lower() for target in targets)
    rdtype = "A" if address.version == 4 else "AAAA"
    confirmed: list[str] = []
    unresolved = ""
    asked = 0
    for target, name in zip(targets, names, strict=True):
        if not wanted(name) or asked >= _MAX_FORWARD:
            continue
        asked += 1
        try:
            forward = await resolver.resolve(target, rdtype)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        except dns.exception.DNSException as error:
            unresolved = _why(error)
            continue
        if any(
            isinstance(rr, A | AAAA) and ipaddress.ip_address(rr.address) == address
            for rr in forward
        ):
            confirmed.append(name)
    if not confirmed and unresolved:
        return Lookup(Outcome.UNRESOLVED, names, (), unresolved)
    return Lookup(Outcome.ANSWERED, names, tuple(confirmed))


def _why(error: BaseException) -> str:
    if isinstance(error, dns.exception.Timeout):
        return "timeout"
    if isinstance(error, dns.resolver.NoNameservers):
        return "no server answered (SERVFAIL or refused)"
    return type(error).__name__


class LookupWorker:
    """The background thread that runs the checks (see the module docstring)."""

    def __init__(
        self,
        resolver: dns.asyncresolver.Resolver,
        wanted: Callable[[str], bool],
        results: Results,
        *,
        max_lookups_per_sec: float,
        max_in_flight: int,
    ) -> None:
        self._resolver = resolver
        self._wanted = wanted
        self._results = results
        self._interval = 1.0 / max_lookups_per_sec
        self._max_in_flight = max_in_flight
        self._queue: deque[tuple[str, Address]] = deque()
        self._loop = asyncio.new_event_loop()
        self._wakeup: asyncio.Event | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._idle = False
        self._closed = False
        self.started = 0  # checks started (read by the main thread for its counters)
        self.in_flight = 0
        self._thread = threading.Thread(target=self._run, name="lwsyslog-crawler-dns", daemon=True)
        self._thread.start()

    def __len__(self) -> int:
        """Addresses handed over and not started yet."""
        return len(self._queue)

    def submit(self, key: str, address: Address) -> None:
        """Check ``address`` (main thread; never blocks). Its outcome is appended to the
        results deque under ``key``."""
        if self._closed:
            return
        self._queue.append((key, address))
        if self._idle:
            self._idle = False
            self._loop.call_soon_threadsafe(self._wake)

    def close(self, wait_secs: float = 1.0) -> None:
        """Cancel the running checks and stop the thread, waiting ``wait_secs`` at most
        (the thread is a daemon: a process that exits never waits for it)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):  # RuntimeError: the loop already ended
            self._loop.call_soon_threadsafe(self._stop)
        self._thread.join(wait_secs)

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _stop(self) -> None:
        if self._main_task is not None:
            self._main_task.cancel()

    def _run(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            self._main_task = loop.create_task(self._main())
            if self._closed:  # closed before the loop ran
                self._main_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main_task)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._wakeup = wakeup = asyncio.Event()
        slots = asyncio.Semaphore(self._max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        queue = self._queue
        next_start = time.monotonic()
        try:
            while True:
                if not queue:
                    # Say "asleep" first, then look again: an address appended in between is
                    # either seen now or followed by a wake-up.
                    wakeup.clear()
                    self._idle = True
                    if not queue:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wakeup.wait(), _IDLE_POLL_SECS)
                        continue
                    self._idle = False
                delay = next_start - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
                await slots.acquire()
                key, address = queue.popleft()
                next_start = max(next_start, time.monotonic()) + self._interval
                self.started += 1
                task = asyncio.create_task(self._check(key, address, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _check(self, key: str, address: Address, slots: asyncio.Semaphore) -> None:
        self.in_flight += 1
        try:
            lookup = await fcrdns(self._resolver, address, self._wanted)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # one odd answer must never stop the worker
            lookup = Lookup(Outcome.UNRESOLVED, detail=type(error).__name__)
        finally:
            self.in_flight -= 1
            slots.release()
        self._results.append((key, lookup))
