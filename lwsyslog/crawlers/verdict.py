"""What DNS said about one address, and what that means for a crawler it claims to be.

A :class:`Lookup` is the outcome of one forward-confirmed reverse DNS check (made by
:mod:`lwsyslog.crawlers.lookups`); :func:`judge` turns it into a verdict for one claimed
crawler: verified, undetermined (DNS did not answer: never an alert), or fake with the reason
an operator reads in the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lwsyslog.crawlers.catalog import Address, Crawler
from lwsyslog.sanitize import sanitize

__all__ = ["Lookup", "Outcome", "Verdict", "judge"]

#: Longest DNS name shown in an alert (names come from whoever runs the reverse zone).
_NAME_SHOWN = 100


class Outcome(Enum):
    """How the reverse lookup of an address ended."""

    #: A PTR answer: ``names`` holds its names, ``confirmed`` those that resolve back.
    ANSWERED = "answered"
    #: The address has no reverse name (NXDOMAIN, or no PTR record).
    NO_NAME = "no-name"
    #: DNS did not answer in time, or failed (SERVFAIL, refused): no verdict.
    UNRESOLVED = "unresolved"
    #: Not looked up: the address is not global (and verify_private is off).
    SKIPPED = "skipped"
    #: Not looked up yet: only published ranges were needed so far.
    NOT_ASKED = "not-asked"


@dataclass(frozen=True, slots=True)
class Lookup:
    """One address's forward-confirmed reverse DNS, as far as it got.

    ``names``: the PTR names (lower case, no final dot, at most a few); ``confirmed``: those
    under some crawler's domain whose A/AAAA records include the address; ``detail``: why it
    is unresolved (timeout, SERVFAIL...).
    """

    outcome: Outcome
    names: tuple[str, ...] = ()
    confirmed: tuple[str, ...] = ()
    detail: str = ""


class Verdict(Enum):
    """A claim judged."""

    VERIFIED = "verified"
    UNDETERMINED = "undetermined"
    FAKE = "fake"


def judge(crawler: Crawler, address: Address | None, lookup: Lookup) -> tuple[Verdict, str]:
    """The verdict on ``address`` claiming to be ``crawler``, and for a fake the reason."""
    if lookup.outcome is Outcome.SKIPPED or address is None:
        return Verdict.UNDETERMINED, ""
    if crawler.disguised:
        return Verdict.FAKE, (
            f"its User-Agent writes {crawler.name} in look-alike characters, which no crawler does"
        )
    if crawler.networks and crawler.owns_address(address):
        return Verdict.VERIFIED, ""
    if not crawler.domains:
        return Verdict.FAKE, f"{address} is not in {crawler.name}'s published address ranges"
    if lookup.outcome is Outcome.UNRESOLVED or lookup.outcome is Outcome.NOT_ASKED:
        return Verdict.UNDETERMINED, ""
    domains = ", ".join(crawler.domains)
    if lookup.outcome is Outcome.NO_NAME:
        return Verdict.FAKE, f"{address} has no reverse DNS name ({crawler.name}: {domains})"
    if any(crawler.owns_name(name) for name in lookup.confirmed):
        return Verdict.VERIFIED, ""
    own = [name for name in lookup.names if crawler.owns_name(name)]
    if own:
        return Verdict.FAKE, (
            f"reverse DNS name {_shown(own[0])} of {address} does not resolve back to it "
            "(a forged PTR record)"
        )
    shown = _shown(lookup.names[0]) if lookup.names else "(none)"
    return Verdict.FAKE, f"reverse DNS name {shown} of {address} is not under {domains}"


def _shown(name: str) -> str:
    return sanitize(name, _NAME_SHOWN)
