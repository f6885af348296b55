"""Admin probes: requests for administration and login interfaces that the client cannot use.

A successful (2xx/304) answer means the page exists and someone uses it, which is not a probe;
every other answer (404, 403, 401, a redirect to a login page) or an error-log "File does not
exist" is.
"""

from __future__ import annotations

from lwsyslog.events import Event
from lwsyslog.matching.linear import Regex
from lwsyslog.rules.base import PathRule
from lwsyslog.rules.samples import AccessSample, ErrorSample
from lwsyslog.severity import Severity

__all__ = ["AdminAppServerProbe", "AdminCmsProbe", "AdminDatabaseConsoleProbe"]


def _is_probe(event: Event) -> bool:
    status = getattr(event, "status", None)
    return status is None or not (200 <= status < 300 or status == 304)


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
    )
    must_not_match = (
        AccessSample(target="/phpmyadmin/index.php", status=200),
        AccessSample(target="/blog/mysql-tuning-guide", status=404),
    )

    def accepts(self, event: Event) -> bool:
        """Only unsuccessful requests are probes."""
        return _is_probe(event)


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
        ErrorSample(message="File does not exist: /var/www/html/admin"),
        AccessSample(target="/roundcubemail-1.4.1/program/js/app.js", status=404),
        ErrorSample(message="File does not exist: /var/www/html/pmapper-3.2-beta3"),
    )
    must_not_match = (
        AccessSample(target="/wp-admin/admin-ajax.php", method="POST", status=200),
        AccessSample(target="/blog/administrative-law", status=404),
        AccessSample(target="/news/mail-2024-newsletter.html", status=404),
        AccessSample(target="/docs/admin-guide-2.0.pdf", status=404),
    )

    def accepts(self, event: Event) -> bool:
        """Only unsuccessful requests are probes."""
        return _is_probe(event)


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
        AccessSample(target="/solr/admin/cores?action=STATUS", status=404),
        AccessSample(target="/jmx-console/HtmlAdaptor", status=404),
        AccessSample(target="/actuator/env", status=404),
    )
    must_not_match = (
        AccessSample(target="/manager/html", status=200),
        AccessSample(target="/team/manager/profile", status=404),
    )

    def accepts(self, event: Event) -> bool:
        """Only unsuccessful requests are probes."""
        return _is_probe(event)
