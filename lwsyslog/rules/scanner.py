"""Automated vulnerability scanners, recognised by their User-Agent or their probe markers."""

from __future__ import annotations

from itertools import pairwise

from lwsyslog.events import Event
from lwsyslog.matching.fold import fold
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.normalize import EventView
from lwsyslog.rules.base import ACCESS, BOTH, CodeRule, PathRule, PatternRule, Rule, RuleMatch
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = [
    "ScannerIisShortName",
    "ScannerMissingScript",
    "ScannerProbeMarker",
    "ScannerProbePath",
    "ScannerUserAgent",
    "ScannerUserDirProbe",
]


class ScannerUserAgent(PatternRule):
    """The User-Agent of a vulnerability scanner, fuzzer or brute-forcer."""

    id = "scanner-user-agent"
    categories = ("scanner",)
    severity = Severity.MEDIUM
    description = "vulnerability-scanner User-Agent (sqlmap, Nikto, Nmap NSE, WPScan, ...)"
    logs = ACCESS
    fields = ("user_agent",)
    pattern = Regex(
        r"sqlmap|nikto|nmap scripting engine|\bnmap\b|wpscan|gobuster|dirbuster|\bdirb\b"
        r"|feroxbuster|dirsearch|\bzgrab|masscan|nuclei|acunetix|netsparker|w3af|wfuzz|\bffuf\b"
        r"|\bhydra\b|arachni|openvas|nessus|\bqualys|burp\s?suite|burpcollaborator|\bowasp\b"
        r"|\bzap/|havij|jaeles|whatweb|skipfish|wapiti|commix|joomscan|droopescan|xsstrike"
        r"|fimap|webinspect|appscan|\bgrendel|morfeus|zmeu|muieblackcat|l9explore|l9tcpid"
        r"|interactsh|projectdiscovery|\bvega/|paros/|brutus|medusa/|\bpangolin\b"
    )
    # Tool names are words: a token lookup finds them without running the pattern on every UA.
    triggers = {}
    tokens = {
        "user_agent": frozenset(
            {
                "sqlmap", "nikto", "nmap", "wpscan", "gobuster", "dirbuster", "dirb",
                "feroxbuster", "dirsearch", "zgrab", "masscan", "nuclei", "acunetix",
                "netsparker", "w3af", "wfuzz", "ffuf", "hydra", "arachni", "openvas", "nessus",
                "qualys", "burp", "burpsuite", "burpcollaborator", "owasp", "zap", "havij",
                "jaeles", "whatweb", "skipfish", "wapiti", "commix", "joomscan", "droopescan",
                "xsstrike", "fimap", "webinspect", "appscan", "grendel", "morfeus", "zmeu",
                "muieblackcat", "l9explore", "l9tcpid", "interactsh", "projectdiscovery", "vega",
                "paros", "brutus", "medusa", "pangolin",
            }
        )
    }  # fmt: skip
    must_match = (
        AccessSample(target="/", user_agent="sqlmap/1.7.2#stable (https://sqlmap.org)"),
        AccessSample(
            target="/",
            user_agent="Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)",
        ),
        AccessSample(
            target="/",
            user_agent="Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        ),
        AccessSample(
            target="/", user_agent="WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)"
        ),
        AccessSample(target="/", user_agent="gobuster/3.6"),
        AccessSample(target="/", user_agent="Mozilla/5.0 zgrab/0.x"),
        AccessSample(
            target="/", user_agent="masscan/1.3 (https://github.com/robertdavidgraham/masscan)"
        ),
        AccessSample(
            target="/",
            user_agent="Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
        ),
        AccessSample(target="/", user_agent="w3af.org"),
        AccessSample(target="/", user_agent="Wfuzz/3.1.0"),
        AccessSample(target="/", user_agent="Mozilla/4.0 (Hydra)"),
        AccessSample(target="/", user_agent="Arachni/v1.5.1"),
        AccessSample(target="/", user_agent="Mozilla/5.0 [en] (X11, U; OpenVAS-VT 21.4.4)"),
        AccessSample(
            target="/",
            user_agent="DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
        ),
    )
    must_not_match = (
        AccessSample(target="/", user_agent="curl/8.5.0"),
        AccessSample(
            target="/",
            user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        AccessSample(target="/", user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile"),
    )


class ScannerProbeMarker(PatternRule):
    """Callback hosts and test strings that scanners put in parameter values."""

    id = "scanner-probe-marker"
    categories = ("scanner",)
    severity = Severity.MEDIUM
    description = "scanner callback host or marker in a parameter (bxss.me, OAST, interact.sh)"
    logs = BOTH
    fields = ("query", "message")
    pattern = Regex(
        r"\bbxss\.me\b|burpcollaborator\.net|\boast\.(?:pro|live|site|online|fun|me)\b"
        r"|\binteract\.sh\b|\bdnslog\.cn\b|\bceye\.io\b|acunetix[-_]wvs|\bwvstest"
        r"|nessus(?:_is_probing_you|test)"
    )
    trigger = r"bxss|burpcollab|oast|interact|dnslog|ceye|acunetix|wvstest|nessus"
    gate = ":/ \n"
    must_match = (
        AccessSample(target="/p?q=http://bxss.me/t/xss.html?%00"),
        AccessSample(target="/p?redir=http://abc123.oast.fun/"),
        AccessSample(target="/p?host=x;nslookup+c0ffee.interact.sh"),
    )
    must_not_match = (
        AccessSample(target="/blog/interactive-charts?from=/home"),
        AccessSample(target="/news/toast-recipes?ref=http://example.com/"),
    )


class ScannerProbePath(PathRule):
    """Fixed paths that scanners request to fingerprint a server."""

    id = "scanner-probe-path"
    categories = ("scanner",)
    severity = Severity.MEDIUM
    description = "scanner fingerprint path (w00tw00t, nessus test, acunetix test file)"
    segments = frozenset(
        {
            "w00tw00t.at.isc.sans.dfind:)", "w00tw00t.at.blackhats.romanian.anti-sec:)",
            "w00tw00t.at.isc.sans.test0:)", "nessustest", "nessus_is_probing_you_",
            "acunetix-wvs-test-for-some-inexistent-file", "muieblackcat", "zmeu",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/w00tw00t.at.ISC.SANS.DFind:)", status=400),
        AccessSample(target="/acunetix-wvs-test-for-some-inexistent-file", status=404),
        ErrorSample(message="File does not exist: /var/www/html/nessustest"),
    )
    must_not_match = (
        AccessSample(target="/blog/nessus-vs-openvas", status=200),
        AccessSample(target="/w00t/index.html", status=404),
    )


class ScannerMissingScript(CodeRule):
    """The error log's word for a request of a script that is not there.

    CGI's ``script not found or unable to stat`` (AH02811, 2.2's ``script '/x' not found``),
    PHP-FPM's ``Primary script unknown`` (AH01071), a directory run as a script, and a missing
    file with a script extension. Scanners ask for hundreds of these; a user follows a stale link
    now and then, so one is low and a burst is what thresholds count.

    AH01071 is PHP-FPM's relay of whatever a script wrote to stderr (``Got error 'PHP message:
    PHP Warning: ...'``): only its ``Primary script unknown`` says a script is missing, so
    that code selects nothing by itself, unlike AH02811, which says nothing else.
    """

    id = "scanner-missing-script"
    categories = ("scanner",)
    severity = Severity.LOW
    description = "request for a missing CGI/PHP script (AH02811, AH01071, script not found)"
    codes = frozenset({"AH02811"})
    pattern = Regex(
        r"script not found or unable to stat|^script '[^']*' not found|primary script unknown"
        r"|attempt to invoke directory as script"
        r"|^file does not exist: \S+\.(?:php\d?|phtml|cgi|pl|py|asp|aspx|jsp|sh|exe|dll)$"
    )
    trigger = r"script|^file does not exist: .*\.\w+$"
    must_match = (
        ErrorSample(
            message="script not found or unable to stat: /usr/lib/cgi-bin/test-cgi",
            code="AH02811",
            module="cgi",
        ),
        ErrorSample(message="script '/var/www/html/setup.php' not found or unable to stat"),
        ErrorSample(message="Got error 'Primary script unknown'", code="AH01071"),
        ErrorSample(message="File does not exist: /srv/www/htdocs/shell.aspx"),
        ErrorSample(message="attempt to invoke directory as script: /usr/lib/cgi-bin/"),
    )
    must_not_match = (
        ErrorSample(message="File does not exist: /var/www/html/favicon.ico"),
        ErrorSample(message="File does not exist: /var/www/html/js/script-loader.js"),
        ErrorSample(
            message="Got error 'PHP message: PHP Deprecated: foo() is deprecated in "
            '/var/www/x.php on line 40; PHP message: PHP Warning: Undefined array key "a" '
            "in /var/www/y.php on line 12'",
            code="AH01071",
            module="proxy_fcgi",
        ),
        ErrorSample(
            message="Got error 'PHP message: script_loader(): missing argument'",
            code="AH01071",
            module="proxy_fcgi",
        ),
    )


class ScannerUserDirProbe(PathRule):
    """A missing ``~user`` home directory: enumeration of accounts through mod_userdir."""

    id = "scanner-userdir-probe"
    categories = ("scanner",)
    severity = Severity.LOW
    description = "missing ~user home directory requested (user enumeration via mod_userdir)"
    logs = BOTH
    pattern = Regex(r"(?P<frag>/~[\w-]*/?)\n?$")
    # Selected by "/~" in the path (the one scan of the target finds it at no cost of its
    # own; by status, every 404 would have run the rule) and in the error message.
    triggers = {"path": r"/~", "message": r"/~"}
    must_match = (
        AccessSample(target="/~root", status=404),
        AccessSample(target="/~admin/", status=403),
        ErrorSample(message="File does not exist: /var/www/~", code="AH00128"),
    )
    must_not_match = (
        AccessSample(target="/~alice/", status=200),
        AccessSample(target="/files/~backup.txt", status=404),
    )

    def accepts(self, event: Event) -> bool:
        """An access request only when it failed; every error-log entry naming one."""
        return event.log == "error" or getattr(event, "status", None) in (403, 404)


# An 8.3 short name's "~N" next to a "*" (or "%2a") in the path as logged: the wildcard IIS
# short-name scanners send (/*~1*/.aspx, /abcdef~1*/.aspx). Read before decoding: "/*" and
# "*/" read as an SQL comment there. A "~1" alone is no probe (git's HEAD~1/ in a URL). The
# scanners put the guess in a directory segment, then a file after it ("/.aspx", "/a.aspx",
# "\a.asp"): a last segment ("/search/name~1*", "/solr/core/select/q=name~1*") is a search
# term routed in the path, a Lucene fuzzy query with a wildcard.
_SHORT_NAME = linear_search(Regex(r"(?:\*|%2a)(?:~|%7e)\d|(?:~|%7e)\d+(?:\*|%2a)"))


class ScannerIisShortName(Rule):
    """IIS 8.3 short-name enumeration (the tilde vulnerability): ``/*~1*/.aspx`` probes."""

    id = "scanner-iis-short-name"
    categories = ("scanner",)
    severity = Severity.MEDIUM
    description = "IIS 8.3 short-name scan (/*~1*/.aspx: files guessed by their short names)"
    logs = ACCESS
    form = "raw"
    triggers = {"target": r"(?:~|%7e)\d"}
    must_match = (
        AccessSample(target="/*~1*/a.aspx", status=404),
        AccessSample(target="/abcdef~1*/.aspx", status=400),
        AccessSample(target="/%2A~1%2A/.aspx", status=404),
        AccessSample(target="/web*~1.*/.aspx?aspxerrorpath=/", status=404),
        AccessSample(target="/app/a*~1*\\a.asp", status=404),
    )
    must_not_match = (
        AccessSample(target="/repo/commits/HEAD~1/src/main.c"),
        AccessSample(target="/~user1/index.html"),
        AccessSample(target="/files/backup~1.zip"),
        AccessSample(target="/search?q=a*~1*b"),
        AccessSample(target="/solr/core/select/q=name~1*", status=404),
        AccessSample(target="/search/roam~1*", status=404),
        AccessSample(target="/es/_search/te*~2/", status=404),
        AccessSample(target="/~user/", status=404),
        AccessSample(target="/file~1.txt", status=404),
        AccessSample(target="/HEAD~1/", status=404),
    )

    def evaluate(self, event: Event, view: EventView) -> RuleMatch | None:
        """The wildcard and the short name's "~N" in a segment of the path as logged that a
        non-empty one follows."""
        target = view.raw("target")
        cut = target.find("?")
        path = fold(target if cut < 0 else target[:cut])
        if _SHORT_NAME.search(path) is None:
            return None
        segments = path.replace("%5c", "/").replace("\\", "/").split("/")
        for segment, after in pairwise(segments):
            if after and ("~" in segment or "%7e" in segment):
                fragment = _SHORT_NAME.search(segment)
                if fragment is not None:
                    return RuleMatch("path", fragment)
        return None
