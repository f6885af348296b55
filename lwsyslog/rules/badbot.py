"""Bad bots: e-mail harvesters, site rippers and spam bots, by User-Agent.

The lists are our own, built from the tools' documented User-Agent strings; a crawler that lies
about being Googlebot needs a DNS check and is out of reach of a single line.
"""

from __future__ import annotations

from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import ACCESS, PatternRule
from lwsyslog.rules.samples import AccessSample
from lwsyslog.severity import Severity

__all__ = ["BadBotEmailHarvester", "BadBotSiteRipper"]


class BadBotEmailHarvester(PatternRule):
    """Address harvesters and spam tools that crawl for e-mail addresses or comment forms."""

    id = "bad-bot-email-harvester"
    categories = ("bad-bot",)
    severity = Severity.MEDIUM
    description = "e-mail harvester or spam-bot User-Agent"
    logs = ACCESS
    fields = ("user_agent",)
    pattern = Regex(
        r"e-?mail\s?(?:collector|siphon|wolf|extractor|harvest\w*|spider|grabber|reaper|hunter"
        r"|magnet|robot)|extractorpro|atomic[\s_]email|cherry\s?picker|crescent\s?internet"
        r"|webemailextrac|mailto:\S+@|missigua|psycheclone|trackback/\d|\bfrontpage\b"
        r"|\bzeus\b|\bdigout4u|\bdts agent|\bnewt activex"
    )
    triggers = {}
    tokens = {
        "user_agent": frozenset(
            {
                "email", "mail", "emailcollector", "emailsiphon", "emailwolf", "emailextractor",
                "emailharvester", "emailspider", "emailgrabber", "emailreaper", "emailhunter",
                "emailmagnet", "emailrobot", "extractorpro", "atomic", "cherrypicker", "cherry",
                "crescent", "webemailextrac", "webemailextractor", "mailto", "missigua",
                "psycheclone", "trackback", "frontpage", "zeus", "digout4u", "dts", "newt",
            }
        )
    }  # fmt: skip
    must_match = (
        AccessSample(target="/contact", user_agent="EmailCollector/1.0"),
        AccessSample(
            target="/", user_agent="Mozilla/4.0 (compatible; Advanced Email Extractor v2.xx)"
        ),
        AccessSample(target="/123.html/trackback/", method="POST", user_agent="TrackBack/1.02"),
        AccessSample(target="/", user_agent="Missigua Locator 1.9"),
    )
    must_not_match = (
        AccessSample(target="/contact", user_agent="Thunderbird/115.0 (email client)"),
        AccessSample(
            target="/", user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15"
        ),
    )


class BadBotSiteRipper(PatternRule):
    """Offline-browser and site-copier tools that mirror a whole site."""

    id = "bad-bot-site-ripper"
    categories = ("bad-bot",)
    severity = Severity.MEDIUM
    description = "site-ripper / offline-browser User-Agent (HTTrack, WebCopier, Teleport)"
    logs = ACCESS
    fields = ("user_agent",)
    pattern = Regex(
        r"httrack|webcopier|webzip|webstripper|websauger|web\s?reaper|teleport\s?pro"
        r"|offline\s?explorer|sitesnagger|blackwidow|grabnet|\bwebbandit|\bwebleacher"
        r"|\bwebster\s?pro|\bnetants|\bpavuk|\bwget/\d.*?mirror|\bsiteripper"
        r"|\bleechftp|\bnetzip|\bpagegrabber"
    )
    triggers = {}
    tokens = {
        "user_agent": frozenset(
            {
                "httrack", "webcopier", "webzip", "webstripper", "websauger", "web", "webreaper",
                "reaper", "teleport", "teleportpro", "offline", "offlineexplorer", "sitesnagger",
                "blackwidow", "grabnet", "webbandit", "webleacher", "webster", "websterpro",
                "netants", "pavuk", "wget", "siteripper", "leechftp", "netzip", "pagegrabber",
            }
        )
    }  # fmt: skip
    must_match = (
        AccessSample(target="/", user_agent="Mozilla/4.5 (compatible; HTTrack 3.0x; Windows 98)"),
        AccessSample(target="/", user_agent="WebCopier v4.6"),
        AccessSample(target="/", user_agent="Teleport Pro/1.29"),
    )
    must_not_match = (
        AccessSample(target="/", user_agent="Wget/1.21.4"),
        AccessSample(
            target="/",
            user_agent="Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        ),
    )
