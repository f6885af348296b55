"""Admin probes: requests for administration and login interfaces that the client cannot use.

What a scanner's admin probe looks like: a GET of a bare admin path, typed rather than
followed (no Referer of the site), answered "not found" or, when the interface exists, with
a refusal or a redirect to its login page. What an administrator at work looks like: forms
posted and answered with a redirect (Post/Redirect/Get: every save in Django, WordPress,
Drupal, Magento), the site's own links followed (a Referer of the site), a logout or action
link with its token in the query, a trailing-slash redirect (``/webmail`` -> ``/webmail/``).
So (:func:`is_probe`):

- 404/410, or an error-log entry naming the path ("File does not exist"): a probe, whatever
  the method or Referer (a missing admin area is never the site's own link);
- 401, 403 or a redirect (not 304): a probe only to a GET or HEAD that followed no link of
  the site (:func:`~lwsyslog.rules.referer.site_link`: when the log names no host, a Referer
  with an IP address is no link of the site, and a refusal must come from a page of the same
  interface, so ``/manager/html`` 401 from ``http://evil.example/`` is a probe); a redirect
  only for a bare path (no query, or one without a parameter of the interface's own links
  with a value: ``?action=logout&_wpnonce=...`` is a link, ``?`` or ``?x`` is bare) that is
  not a trailing-slash redirect (301/308 of an extension-less name), to the interface's root
  or an entry page (``/wp-admin/``, ``/admin/login``, ``install.php``), not a page inside it
  (``/wp-admin/edit.php``: a signed-out administrator's bookmark or restored tab);
  a form posted and redirected only when posted from a page outside the interface (a
  scanner's crawl: acunetix posted 219 logins to ``/administrator/index.php`` from ``/DVWA``);
- 5xx: a probe unless the Referer is a page of the same interface on the same site
  (:func:`~lwsyslog.rules.referer.referer_from_area`): an administrator's save that failed
  came from the form's own page; a scanner posts to a login form it guessed, from anywhere
  (acunetix: 290 POSTs answered 500, with no Referer or its start page's);
- anything else (2xx, 304, 400, 405, 413: the interface exists and answered a request it
  could read): not a probe.
"""

from __future__ import annotations

import re
from typing import Final

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex, linear_search
from lwsyslog.rules.base import NOT_FOUND, PathRule
from lwsyslog.rules.referer import referer_from_area, site_link
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["AdminAppServerProbe", "AdminCmsProbe", "AdminDatabaseConsoleProbe", "is_probe"]

_REFUSED: Final = frozenset({401, 403})
_READING: Final = frozenset({"GET", "HEAD"})
_SLASH_REDIRECTS: Final = frozenset({301, 308})
#: Query parameters of an admin interface's own links (logout and action links with their
#: token, a login's "where to go next"): a redirect of a query with one of them is a link
#: followed, not a probe.
_APP_PARAMS: Final = frozenset(
    {
        "_wpnonce", "action", "redirect_to", "reauth", "token", "_token", "csrf_token",
        "nonce", "next", "return", "return_to", "returnurl", "_task", "route",
    }
)  # fmt: skip


def is_probe(event: Event) -> bool:
    """Whether a request for an admin path is a probe (module doc), not the admin at work."""
    status = getattr(event, "status", None)
    if status is None or status in NOT_FOUND:
        return True
    if status >= 500:
        return not referer_from_area(event)
    redirect = 300 <= status < 400 and status != 304
    if not (redirect or status in _REFUSED):
        return False
    if getattr(event, "method", "") not in _READING:
        # A form posted and redirected (a save, a login) is a probe only when it was posted
        # from a page outside the interface (a scanner's crawl), not from none (a privacy
        # setting drops the Referer) or from the interface's own form.
        referer: str = getattr(event, "referer", "")
        return redirect and referer.startswith("http") and not referer_from_area(event)
    if site_link(event, refused=not redirect):
        return False
    if not redirect:
        return True
    target: str = getattr(event, "target", "")
    path, mark, query = target.partition("?")
    if (mark and _app_query(query)) or _inner_page(path):
        return False
    last = path[path.rfind("/") + 1 :]
    return not (status in _SLASH_REDIRECTS and last and "." not in last)


# The pages a scanner asks an admin interface for: its root, its entry and login pages, its
# installer (matched on the last segment, without an extension).
_ENTRY_PAGES = linear_search(
    Regex(
        r"^(?:index|default|home|main|start|log-?in|sign-?in|log-?on|auth\w*|install\w*"
        r"|setup[\w-]*|upgrade|admin\w*|administrator|console|manager|dashboard|panel|cp"
        r"|wp-admin|wp-login|phpmyadmin\w*|pma|myadmin|adminer[\w.-]*)(?:\.\w{1,6})?$",
        re.IGNORECASE,
    )
).search


_LONGEST_ENTRY = 40


def _inner_page(path: str) -> bool:
    """Whether ``path`` is a page inside an admin interface, not its root or an entry page
    (``/wp-admin/edit.php``, ``/admin/users/5``, not ``/wp-admin/``, ``/admin/login``): what a
    signed-out administrator's bookmark or restored tab asks for, redirected to the login."""
    trimmed = path.rstrip("/")
    cut = trimmed.rfind("/")
    if cut <= 0:
        return False
    last = trimmed[cut + 1 :]
    # No entry page has a longer name: 8 KB of "setup---" costs the regex nothing then.
    return len(last) > _LONGEST_ENTRY or _ENTRY_PAGES(last) is None


def _app_query(query: str) -> bool:
    """Whether ``query`` holds a parameter of the application's own links (a token, a nonce,
    an action, where to go next) with a value: ``?action=logout&_wpnonce=...`` is a link
    followed, ``?`` or ``?x`` is a bare path with a mark added."""
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        if equals and value and name.lower() in _APP_PARAMS:
            return True
    return False


class AdminDatabaseConsoleProbe(PathRule):
    """Database web consoles (phpMyAdmin, Adminer, phpPgAdmin...)."""

    id = "admin-probe-db-console"
    categories = ("admin-probe",)
    severity = Severity.MEDIUM
    description = "database admin console probed (phpMyAdmin, Adminer, phpPgAdmin)"
    segments = frozenset(
        {
            "phpmyadmin", "phpmyadmin2", "phpmyadmin3", "phpmyadmin4", "phpmyadmin5", "pma",
            "myadmin", "mysqladmin", "mysql-admin", "sqladmin", "dbadmin", "db-admin",
            "adminer", "adminer.php", "phppgadmin", "pgadmin", "sqlitemanager", "sqlweb",
            "websql", "php-my-admin",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/phpMyAdmin/index.php", status=404),
        AccessSample(target="/pma/scripts/setup.php", status=404),
        AccessSample(target="/adminer.php", status=302),
        ErrorSample(message="File does not exist: /var/www/html/phpmyadmin"),
        AccessSample(target="/phpmyadmin/", status=404),
        AccessSample(target="/phpmyadmin/", method="HEAD", status=403),
        # No host logged: a Referer from outside the console proves no link was followed, and
        # a mark or a bare name in the query does not make a link of the console's own.
        AccessSample(target="/phpmyadmin/", status=403, referer="http://x/"),
        AccessSample(target="/phpmyadmin/?", status=302),
        AccessSample(target="/phpmyadmin/index.php?x=1", status=302),
    )
    must_not_match = (
        AccessSample(target="/phpmyadmin/index.php", status=200),
        AccessSample(target="/blog/mysql-tuning-guide", status=404),
        # The trailing-slash redirect of an installed console, and its own forms.
        AccessSample(target="/phpmyadmin", status=301),
        AccessSample(
            target="/phpmyadmin/index.php?route=/sql",
            method="POST",
            status=302,
            referer="https://db.example.com/phpmyadmin/index.php?route=/sql",
        ),
        # No host logged: a refusal from a page of the console itself, a link of its own.
        AccessSample(
            target="/phpmyadmin/index.php?route=/server/privileges",
            status=403,
            referer="https://db.example.com/phpmyadmin/index.php?route=/",
        ),
        AccessSample(target="/phpmyadmin/index.php?route=/server/status", status=302),
    )

    def accepts(self, event: Event) -> bool:
        """Only the probes of :func:`is_probe`."""
        return is_probe(event)


class AdminCmsProbe(PathRule):
    """CMS and generic admin areas (WordPress, Joomla, ``/admin``)."""

    id = "admin-probe-cms"
    categories = ("admin-probe",)
    severity = Severity.MEDIUM
    description = "CMS or generic admin area probed (/wp-admin/, /administrator/, /admin)"
    segments = frozenset(
        {
            "wp-admin", "wp-login.php", "administrator", "admin", "admin.php", "admin1",
            "admin2", "admincp", "admin-console", "admin_area", "adminpanel", "admin.asp",
            "admin.aspx", "siteadmin", "webadmin", "cpanel", "controlpanel",
            "bitrix", "typo3", "umbraco", "webmail", "v-webmail", "vwebmail", "roundcube",
            "roundcubemail", "squirrelmail", "horde", "rainloop", "extmail", "mail",
            "mails", "mail_this_entry", "pmapper",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/wp-login.php", method="POST", status=404),
        AccessSample(target="/administrator/index.php", status=404),
        AccessSample(target="/wp-admin/", status=302),
        AccessSample(target="/wp-admin/install.php", status=302),
        AccessSample(target="/admin/login", status=302),
        AccessSample(target="/wp-admin/edit.php", status=404),
        ErrorSample(message="File does not exist: /var/www/html/admin"),
        AccessSample(target="/roundcubemail-1.4.1/program/js/app.js", status=404),
        ErrorSample(message="File does not exist: /var/www/html/pmapper-3.2-beta3"),
        AccessSample(target="/wp-admin/", status=404),
        # A missing admin page is a probe whatever the Referer claims.
        AccessSample(
            target="/wp-login.php", method="POST", status=404, referer="https://example.com/"
        ),
        AccessSample(target="/admin", status=302),
        AccessSample(target="/administrator/", status=403),
        # A scanner's guessed login form, broken by what it posts (acunetix: 290 of these).
        AccessSample(target="/administrator/index.php", method="POST", status=500),
        AccessSample(
            target="/administrator/index.php",
            method="POST",
            status=303,
            referer="http://192.168.4.161/DVWA",
        ),
        AccessSample(
            target="/administrator/index.php",
            method="POST",
            status=500,
            referer="http://192.168.4.161/DVWA",
        ),
        # A Referer of another site, where the log names the site's host.
        AccessSample(
            target="/admin/",
            status=302,
            referer="https://scanner.example.net/",
            headers=(("Host", "www.example.com"),),
        ),
        # No host logged: a query with no parameter of the interface's links, a Referer
        # naming an address.
        AccessSample(target="/wp-admin/?x", status=302),
        AccessSample(target="/wp-admin/?", status=302),
        AccessSample(target="/wp-admin/?action=", status=302),
        AccessSample(target="/wp-admin/", status=302, referer="http://203.0.113.7/"),
        AccessSample(target="/administrator/", status=403, referer="https://www.example.com/"),
    )
    must_not_match = (
        AccessSample(target="/wp-admin/admin-ajax.php", method="POST", status=200),
        # A signed-out administrator's bookmarks and restored tabs, sent to the login page.
        AccessSample(target="/wp-admin/edit.php", status=302),
        AccessSample(target="/wp-admin/edit.php?post_type=page", status=302),
        AccessSample(target="/admin/users/5/", status=302),
        AccessSample(target="/blog/administrative-law", status=404),
        AccessSample(target="/news/mail-2024-newsletter.html", status=404),
        AccessSample(target="/docs/admin-guide-2.0.pdf", status=404),
        # Post/Redirect/Get: a save, a login that worked.
        AccessSample(
            target="/admin/shop/product/12/change/",
            method="POST",
            status=302,
            referer="https://www.example.com/admin/shop/product/12/change/",
        ),
        AccessSample(target="/admin/structure/types/manage/article", method="POST", status=303),
        AccessSample(target="/wp-login.php", method="POST", status=302),
        # A request the application read and refused: an expired nonce, a bad or too large body.
        AccessSample(target="/wp-admin/admin-ajax.php", method="POST", status=400),
        AccessSample(target="/wp-admin/admin-ajax.php", method="POST", status=403),
        AccessSample(target="/wp-admin/async-upload.php", method="POST", status=413),
        AccessSample(
            target="/wp-admin/post.php",
            method="POST",
            status=500,
            referer="https://www.example.com/wp-admin/post.php?post=12&action=edit",
        ),
        # A link with its token, the site's own link, a trailing-slash redirect.
        AccessSample(target="/wp-login.php?action=logout&_wpnonce=x", status=302),
        AccessSample(target="/wp-admin/?redirect_to=%2Fwp-admin%2F&reauth=1", status=302),
        AccessSample(
            target="/wp-admin/", status=302, referer="https://www.example.com/2024/01/post/"
        ),
        AccessSample(target="/webmail", status=301),
        AccessSample(target="/mail", status=308),
        # A Referer of another host of the same site, where the log names the site's host.
        AccessSample(
            target="/wp-admin/",
            status=302,
            referer="https://shop.example.com:8443/cart",
            headers=(("Host", "www.example.com"),),
        ),
    )

    def accepts(self, event: Event) -> bool:
        """Only the probes of :func:`is_probe`."""
        return is_probe(event)


class AdminAppServerProbe(PathRule):
    """Application-server consoles (Tomcat manager, JBoss JMX console, Solr admin...)."""

    id = "admin-probe-app-server"
    categories = ("admin-probe",)
    severity = Severity.MEDIUM
    description = "application-server console probed (/manager/html, /jmx-console, /solr/admin)"
    pattern = Regex(
        r"(?:^|/)(?:(?:host-)?manager/(?:html|text|status)|solr/admin|jmx-console|web-console"
        r"|admin-console|axis2-admin|invoker/jmxinvokerservlet|hudson/script|jenkins/script"
        r"|console/login|wls-wsat|actuator/(?:env|heapdump|gateway))"
    )
    segments = frozenset(
        {
            "manager", "host-manager", "solr", "jmx-console", "web-console", "admin-console",
            "axis2-admin", "invoker", "hudson", "jenkins", "console", "wls-wsat", "actuator",
        }
    )  # fmt: skip
    must_match = (
        AccessSample(target="/manager/html", status=401),
        AccessSample(target="/manager/html", status=401, referer="http://evil.example/"),
        AccessSample(target="/solr/admin/cores?action=STATUS", status=404),
        AccessSample(target="/jmx-console/HtmlAdaptor", status=404),
        AccessSample(target="/actuator/env", status=404),
    )
    must_not_match = (
        AccessSample(target="/manager/html", status=200),
        AccessSample(target="/team/manager/profile", status=404),
        # No host logged: the console's own page asking for the status page's credentials.
        AccessSample(
            target="/manager/status",
            status=401,
            referer="https://tomcat.example.com/manager/html",
        ),
    )

    def accepts(self, event: Event) -> bool:
        """Only the probes of :func:`is_probe`."""
        return is_probe(event)
