#!/usr/bin/env bash
# Capture what real attack tools send to a real Apache 2.4, one log slice per tool.
#
# Starts a private Apache on 127.0.0.1 (never another address), serves a small site, runs each
# installed tool against it with a time bound, and copies each tool's access and error log into
# tests/fixtures/attack-tools/<run>/, plus MANIFEST.md. Needs root (Apache drops to www-data) and
# the Debian packages below; a missing tool is skipped and listed as such in the manifest.
#
#   apt-get install -y --no-install-recommends apache2 sqlmap wapiti dirb hydra wfuzz gobuster \
#       nmap whatweb
#   bash bench/attack_tools/run_tools.sh [OUT_DIR]
#
# Environment: PORT (default 18089), TOOL_TIMEOUT (s, default 120), MAX_LINES (default 3000),
# MAX_BYTES per log file (default 200000; a run may raise its own with RUN_MAX_BYTES), ONLY (space-separated run names to run, default all),
# KEEP_WORK (non-empty: keep the temporary work dir with the tools' output and the full logs).
set -euo pipefail

readonly HOST=127.0.0.1
PORT=${PORT:-18089}
TOOL_TIMEOUT=${TOOL_TIMEOUT:-120}
MAX_LINES=${MAX_LINES:-3000}
MAX_BYTES=${MAX_BYTES:-200000}
ONLY=${ONLY:-}
readonly URL="http://${HOST}:${PORT}/"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-"$HERE/../../tests/fixtures/attack-tools"}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [[ $EUID -ne 0 ]]; then
    echo "run_tools.sh: must run as root (Apache switches to www-data for CGI)" >&2
    exit 2
fi
if ss -Hltn "sport = :$PORT" | grep -q .; then
    echo "run_tools.sh: port $PORT is in use; set PORT=..." >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/lwsyslog-attack.XXXXXX)
# Apache's children (www-data) must traverse the work dir to reach the site and CGI scripts.
chmod 755 "$WORK"
CONF="$WORK/httpd.conf"
PIDFILE="$WORK/run/apache2.pid"
MANIFEST_ROWS="$WORK/manifest-rows.md"
MANIFEST_DETAIL="$WORK/manifest-detail.md"
: >"$MANIFEST_ROWS"
: >"$MANIFEST_DETAIL"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# The site
# ---------------------------------------------------------------------------------------------

make_site() {
    local doc="$WORK/htdocs" cgi="$WORK/cgi-bin"
    mkdir -p "$doc/private" "$doc/images" "$cgi" "$WORK/run" "$WORK/auth"

    cat >"$doc/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Example Shop</title></head>
<body>
<h1>Example Shop</h1>
<ul>
<li><a href="/about.html">About us</a></li>
<li><a href="/contact.html">Contact</a></li>
<li><a href="/search?q=shoes">Shoes</a></li>
<li><a href="/cgi-bin/search?q=1">Item 1</a></li>
<li><a href="/cgi-bin/echo?name=guest">Greeting</a></li>
<li><a href="/cgi-bin/item?id=2">Item details</a></li>
<li><a href="/login.html">Log in</a></li>
<li><a href="/private/">Members area</a></li>
</ul>
<form action="/search" method="get"><input name="q"><input type="submit" value="Search"></form>
<img src="/images/logo.gif" alt="logo">
</body></html>
EOF
    cat >"$doc/about.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>About</title></head><body><h1>About</h1><p>We sell things.</p>
<a href="/">Home</a></body></html>
EOF
    cat >"$doc/contact.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Contact</title></head><body><h1>Contact</h1>
<form action="/cgi-bin/echo" method="get"><input name="name"><input name="msg">
<input type="submit" value="Send"></form><a href="/">Home</a></body></html>
EOF
    cat >"$doc/login.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Log in</title></head><body><h1>Log in</h1>
<form action="/login" method="post">
<input name="user"><input name="pass" type="password"><input type="submit" value="Log in">
</form></body></html>
EOF
    cat >"$doc/private/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>Members</title></head><body><h1>Members only</h1></body></html>
EOF
    printf 'User-agent: *\nDisallow: /private/\nDisallow: /cgi-bin/\n' >"$doc/robots.txt"
    # Smallest valid GIF (1x1), so the page's image request is a 200.
    printf 'GIF89a\001\000\001\000\000\000\000;' >"$doc/images/logo.gif"

    # /cgi-bin/search and /search: results depend on q (1-5 is an item), q is echoed escaped.
    cat >"$cgi/search" <<'EOF'
#!/bin/sh
q=$(printf '%s' "$QUERY_STRING" | sed -n 's/^\(.*&\)\{0,1\}q=\([^&]*\).*$/\2/p')
esc=$(printf '%s' "$q" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')
printf 'Content-Type: text/html\r\n\r\n'
printf '<html><head><title>Search</title></head><body><h1>Results for %s</h1>\n' "$esc"
case "$q" in
    1|2|3|4|5) printf '<p>Item %s: a pair of shoes, 40 EUR</p>\n' "$q" ;;
    shoes) printf '<p>5 items</p>\n' ;;
    *) printf '<p>No results</p>\n' ;;
esac
printf '</body></html>\n'
EOF
    # /cgi-bin/echo: greets by name, escaped.
    cat >"$cgi/echo" <<'EOF'
#!/bin/sh
name=$(printf '%s' "$QUERY_STRING" | sed -n 's/^\(.*&\)\{0,1\}name=\([^&]*\).*$/\2/p')
esc=$(printf '%s' "$name" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')
printf 'Content-Type: text/html\r\n\r\n'
printf '<html><body><p>Hello %s (%s)</p></body></html>\n' "${esc:-guest}" "$REQUEST_METHOD"
EOF
    # /login: form target; a failed login is a 200 page saying so, like most real sites.
    cat >"$cgi/login" <<'EOF'
#!/bin/sh
body=""
if [ "$REQUEST_METHOD" = POST ] && [ -n "${CONTENT_LENGTH:-}" ]; then
    body=$(head -c "$CONTENT_LENGTH")
fi
ok=0
case "&$body&" in *"&user=admin&"*) ok=$((ok + 1)) ;; esac
case "&$body&" in *"&pass=__PASSWORD__&"*) ok=$((ok + 1)) ;; esac
if [ "$ok" -eq 2 ]; then
    printf 'Status: 302 Found\r\nLocation: /private/\r\n\r\n'
else
    printf 'Content-Type: text/html\r\n\r\n'
    printf '<html><body><p>Login failed</p><a href="/login.html">Try again</a></body></html>\n'
fi
EOF
    # /cgi-bin/item?id=: the one real flaw, a SQL injection into a read-only SQLite file, so that
    # sqlmap goes on from probing to fingerprinting and dumping as it would on a vulnerable site.
    # Python's sqlite3 runs one statement per call and the file is opened read-only.
    python3 - "$WORK/shop.db" <<'PY'
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
db.executescript(
    """
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);
    CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, email TEXT, pw_hash TEXT);
    INSERT INTO items VALUES (1, 'shoes', 40), (2, 'socks', 5), (3, 'hat', 15);
    INSERT INTO users VALUES
        (1, 'admin', 'admin@shop.example', '5f4dcc3b5aa765d61d8327deb882cf99'),
        (2, 'alice', 'alice@shop.example', 'e99a18c428cb38d5f260853678922e03');
    """
)
db.commit()
PY
    chmod 644 "$WORK/shop.db"
    cat >"$cgi/item" <<PY
#!/usr/bin/python3
import html, os, sqlite3, sys, urllib.parse

args = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
item = args.get("id", ["1"])[0]
db = sqlite3.connect("file:$WORK/shop.db?mode=ro", uri=True)
sys.stdout.write("Content-Type: text/html\\r\\n\\r\\n<html><body>\\n")
try:
    rows = db.execute("SELECT id, name, price FROM items WHERE id=" + item).fetchall()
except sqlite3.Error as exc:
    print("item: database error: %s" % exc, file=sys.stderr)
    rows = []
    print("<p>Database error</p>")
for row in rows:
    print("<p>%s</p>" % " | ".join(html.escape(str(v)) for v in row))
print("</body></html>")
PY
    chmod 755 "$cgi/search" "$cgi/echo" "$cgi/login" "$cgi/item"
    chmod -R a+rX "$doc" "$cgi"
}

# 100 passwords; the right one is line 50, so a brute force sends about 50 wrong ones first.
make_wordlist() {
    cat >"$WORK/passwords.txt" <<'EOF'
123456
password
12345678
qwerty
123456789
12345
1234
111111
1234567
dragon
123123
baseball
abc123
football
monkey
letmein
696969
shadow
master
666666
qwertyuiop
123321
mustang
1234567890
michael
654321
pussycat
superman
1qaz2wsx
7777777
121212
000000
qazwsx
123qwe
killer
trustno1
jordan
jennifer
zxcvbnm
asdfgh
hunter
buster
soccer
harley
batman
andrew
tigger
sunshine
iloveyou
sunflower7
2000
charlie
robert
thomas
hockey
ranger
daniel
starwars
klaster
112233
george
computer
michelle
jessica
pepper
1111
zxcvbn
555555
11111111
131313
freedom
777777
pass
maggie
159753
aaaaaa
ginger
princess
joshua
cheese
amanda
summer
love
ashley
nicole
chelsea
biteme
matthew
access
yankees
987654321
dallas
austin
thunder
taylor
matrix
mobilemail
mom
monitor
monitoring
EOF
    PASSWORD=$(sed -n 50p "$WORK/passwords.txt")
    sed -i "s/__PASSWORD__/$PASSWORD/g" "$WORK/cgi-bin/login"
    htpasswd -bcB "$WORK/auth/htpasswd" admin "$PASSWORD" 2>/dev/null
    chmod 644 "$WORK/auth/htpasswd"
}

# ---------------------------------------------------------------------------------------------
# Apache: own config, absolute paths only; LW_LOGDIR (environment) picks the log directory.
# ---------------------------------------------------------------------------------------------

make_conf() {
    local m=/usr/lib/apache2/modules
    cat >"$CONF" <<EOF
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_host_module $m/mod_authz_host.so
LoadModule authz_user_module $m/mod_authz_user.so
LoadModule authn_core_module $m/mod_authn_core.so
LoadModule authn_file_module $m/mod_authn_file.so
LoadModule auth_basic_module $m/mod_auth_basic.so
LoadModule alias_module $m/mod_alias.so
LoadModule cgi_module $m/mod_cgi.so
LoadModule dir_module $m/mod_dir.so
LoadModule mime_module $m/mod_mime.so

ServerName $HOST
Listen $HOST:$PORT
User www-data
Group www-data
PidFile $PIDFILE
DefaultRuntimeDir $WORK/run
Mutex file:$WORK/run default
StartServers 2
MinSpareServers 2
MaxSpareServers 6
MaxRequestWorkers 16
Timeout 20
KeepAlive On
ServerTokens Full
TypesConfig /etc/mime.types

LogLevel warn
ErrorLog \${LW_LOGDIR}/error.log
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog \${LW_LOGDIR}/access.log combined

DocumentRoot $WORK/htdocs
DirectoryIndex index.html
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<Directory $WORK/htdocs>
    Require all granted
</Directory>
<Files ".ht*">
    Require all denied
</Files>
<Directory $WORK/htdocs/private>
    AuthType Basic
    AuthName "Members"
    AuthUserFile $WORK/auth/htpasswd
    Require valid-user
</Directory>

ScriptAlias /cgi-bin/ $WORK/cgi-bin/
ScriptAlias /search $WORK/cgi-bin/search
ScriptAlias /login $WORK/cgi-bin/login
<Directory $WORK/cgi-bin>
    Options +ExecCGI
    Require all granted
</Directory>
EOF
}

apache_start() {
    local logdir=$1
    mkdir -p "$logdir"
    LW_LOGDIR=$logdir /usr/sbin/apache2 -f "$CONF" -k start
    for _ in $(seq 1 50); do
        if [[ -s $PIDFILE ]] && curl -s -o /dev/null "$URL"; then
            # The readiness probe is not the tool's traffic: start the slice empty.
            : >"$logdir/access.log"
            return 0
        fi
        sleep 0.2
    done
    echo "run_tools.sh: Apache did not start; see $logdir/error.log" >&2
    return 1
}

apache_stop() {
    local pid
    [[ -s $PIDFILE ]] || return 0
    pid=$(cat "$PIDFILE")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$PIDFILE"
}

cleanup() {
    apache_stop
    if [[ -n ${KEEP_WORK:-} ]]; then
        log "work dir kept: $WORK (tool output in tool-*.out, full logs in logs/)"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Capturing one run
# ---------------------------------------------------------------------------------------------

# Copy at most MAX_LINES lines and MAX_BYTES (or RUN_MAX_BYTES) bytes of SRC to DST, whole lines.
keep_head() {
    local src=$1 dst=$2
    # The first head gets SIGPIPE when the second stops early; that is the point, not an error.
    head -n "$MAX_LINES" "$src" | head -c "${RUN_MAX_BYTES:-$MAX_BYTES}" >"$dst" || true
    # head -c may cut the last line in half; drop the fragment.
    if [[ -s $dst && $(tail -c 1 "$dst" | od -An -c | tr -d ' ') != '\n' ]]; then
        sed -i '$d' "$dst"
    fi
}

lines() { wc -l <"$1" | tr -d ' '; }

# Markdown summary of one access log: statuses, User-Agents, methods, sample request lines.
summarise() {
    python3 - "$1" <<'PY'
import collections
import re
import sys

# Apache escapes '"' and '\' inside quoted fields, so a field is (non-quote | backslash-pair)*.
q = r'"((?:[^"\\]|\\.)*)"'
line_re = re.compile(r"^\S+ \S+ \S+ \[[^\]]+\] " + q + r" (\d{3}) \S+ " + q + " " + q + "$")
statuses, agents, methods = (collections.Counter() for _ in range(3))
order = []
unparsed = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for raw in log:
        m = line_re.match(raw.rstrip("\n"))
        if m is None:
            unparsed += 1
            continue
        request, status, _referer, agent = m.groups()
        statuses[status] += 1
        agents[agent] += 1
        methods[request.split(" ", 1)[0] or "(empty)"] += 1
        order.append(f"{request}  ->  {status}")


def counts(counter, limit=None):
    return ", ".join(f"{k} x{n}" for k, n in counter.most_common(limit))


def cut(text, width=150):
    return text if len(text) <= width else text[: width - 3] + "..."


print(f"\nWhole run, before the cut: {len(order) + unparsed} lines", end="")
print(f" ({unparsed} not in combined format)." if unparsed else ".")
print(f"\nStatuses: {counts(statuses)}\n\nMethods: {counts(methods, 10)}")
print("\nUser-Agents, most frequent first:\n")
for agent, n in agents.most_common(5):
    print(f"- {n} x `{cut(agent)}`")
if len(agents) > 5:
    print(f"- ... {len(agents) - 5} more distinct")
if order:
    print("\nSample request lines (evenly spread over the run):\n\n```text")
    step = max(1, len(order) // 6)
    for line in order[::step][:6]:
        print(cut(line))
    print("```")
PY
}

# run NAME PACKAGE COMMAND... : run one tool against the private Apache and keep its slice.
run() {
    local name=$1 pkg=$2
    shift 2
    local bin=$1
    if [[ -n $ONLY && " $ONLY " != *" $name "* ]]; then
        return 0
    fi
    local version
    version=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || true)
    if ! command -v "$bin" >/dev/null || [[ -z $version ]]; then
        log "$name: $bin not installed, skipped"
        printf '| %s | %s | not installed | - | - | - | - | - |\n' "$name" "$pkg" >>"$MANIFEST_ROWS"
        return 0
    fi
    local logdir="$WORK/logs/$name" dest="$OUT/$name" started t0 rc elapsed
    apache_start "$logdir"
    started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    t0=$(date +%s)
    log "$name: $*"
    rc=0
    (cd "$WORK/tmp" && timeout --kill-after=5 "$TOOL_TIMEOUT" "$@") \
        >"$WORK/tool-$name.out" 2>&1 </dev/null || rc=$?
    elapsed=$(($(date +%s) - t0))
    apache_stop

    mkdir -p "$dest"
    keep_head "$logdir/access.log" "$dest/access.log"
    keep_head "$logdir/error.log" "$dest/error.log"
    local acc_all err_all acc_kept err_kept
    acc_all=$(lines "$logdir/access.log")
    err_all=$(lines "$logdir/error.log")
    acc_kept=$(lines "$dest/access.log")
    err_kept=$(lines "$dest/error.log")
    log "$name: exit $rc after ${elapsed}s, access $acc_all lines (kept $acc_kept), error $err_all (kept $err_kept)"

    # The exact command, with the work dir shown as $WORK so it reads the same on every run.
    local cmd
    cmd=$(printf '%q ' "$@" | sed "s#$WORK#\$WORK#g")
    printf '| %s | %s | %s | %s | %s s | %s | %s / %s | %s / %s |\n' \
        "$name" "$pkg" "$version" "$started" "$elapsed" "$rc" \
        "$acc_all" "$acc_kept" "$err_all" "$err_kept" >>"$MANIFEST_ROWS"
    # shellcheck disable=SC2016  # the backticks are Markdown, not command substitution
    {
        printf '\n## %s\n\n' "$name"
        printf 'Package `%s` %s, started %s, %s s, exit status %s' \
            "$pkg" "$version" "$started" "$elapsed" "$rc"
        [[ $rc -eq 124 || $rc -eq 137 ]] && printf ' (stopped by the %s s time bound)' "$TOOL_TIMEOUT"
        printf '.\n\n```sh\n%s\n```\n' "${cmd% }"
        summarise "$logdir/access.log"
        printf '\nError log, messages by AH code (whole run):\n\n'
        grep -o '\] AH[0-9]*: ' "$logdir/error.log" | tr -d '] :' | sort | uniq -c | sort -rn |
            awk '{printf "%s%s x%s", sep, $2, $1; sep=", "} END {print ""}' || true

    } >>"$MANIFEST_DETAIL"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

make_site
make_wordlist
make_conf
mkdir -p "$WORK/tmp" "$WORK/logs"
chmod 755 "$WORK/htdocs" "$WORK/cgi-bin" "$WORK/auth"
LW_LOGDIR=$WORK/logs /usr/sbin/apache2 -f "$CONF" -t
T_START=$(date +%s)

run whatweb whatweb whatweb -a 3 --color=never --no-errors "$URL"

run nmap nmap nmap -n -Pn -sT -sV -p "$PORT" \
    --script "http-enum,http-shellshock,http-methods,http-headers,http-title,http-robots.txt,http-sql-injection,http-passwd,http-config-backup,http-backup-finder,http-default-accounts,http-userdir-enum,http-vuln-cve2011-3192,http-trace,http-auth-finder,http-git" \
    --script-args "http-shellshock.uri=/cgi-bin/echo" "$HOST"

run dirb dirb dirb "$URL" /usr/share/dirb/wordlists/common.txt -S -r

# dirb asked for legacy products: the lists of the second legacy-probe corpus
# (bench/detection/dirb_lists.py), as a real run sends them. dirb cuts its word-list argument
# at about 250 characters, so the lists are named relative to the tool's directory.
ln -sfn /usr/share/dirb/wordlists/vulns "$WORK/tmp/vulns"
run dirb-vulns dirb dirb "$URL" \
    vulns/iis.txt,vulns/frontpage.txt,vulns/coldfusion.txt,vulns/domino.txt,vulns/jrun.txt,vulns/cgis.txt \
    -S -r

run gobuster gobuster gobuster dir -u "$URL" -w /usr/share/dirb/wordlists/small.txt -t 10 -q -z --no-error

run wfuzz wfuzz wfuzz -w /usr/share/wfuzz/wordlist/general/common.txt --hc 404 "${URL}FUZZ"

run wfuzz-params wfuzz wfuzz -w /usr/share/wfuzz/wordlist/Injections/All_attack.txt --hc 404 "${URL}search?q=FUZZ"

run hydra hydra hydra -l admin -P "$WORK/passwords.txt" -s "$PORT" -t 4 -f "$HOST" http-get /private/

run hydra-form hydra hydra -l admin -P "$WORK/passwords.txt" -s "$PORT" -t 4 -f "$HOST" \
    http-post-form "/login:user=^USER^&pass=^PASS^:F=Login failed"

run sqlmap sqlmap sqlmap -u "${URL}cgi-bin/search?q=1" --batch --level 2 --risk 1 --technique BEU \
    --flush-session --disable-coloring --output-dir "$WORK/sqlmap"

run sqlmap-exploit sqlmap sqlmap -u "${URL}cgi-bin/item?id=1" --batch --random-agent --technique BEU \
    --banner --tables --dump -T users --flush-session --disable-coloring --output-dir "$WORK/sqlmap-x"

run sqlmap-random-agent sqlmap sqlmap -u "${URL}search?q=1" --batch --random-agent --level 1 \
    --flush-session --disable-coloring --output-dir "$WORK/sqlmap-ra"

# Not in Debian 12's main component (nikto is non-free, skipfish was removed): listed as skipped
# unless installed some other way.
run nikto nikto nikto -h "$URL" -maxtime 100s -nointeractive -ask no

run skipfish skipfish skipfish -u -o "$WORK/skipfish" -S /usr/share/skipfish/dictionaries/minimal.wl \
    -k 0:01:40 "$URL"

# No ssrf/xxe (they poll an outside endpoint) and no wapp (it fetches its database). The buster
# module (path brute force, about 1000 requests a second here) gets a run of its own, so that it
# does not push the injection modules out of the kept slice; the injection run keeps it all.
RUN_MAX_BYTES=600000 run wapiti wapiti wapiti -u "$URL" --scope folder \
    -m "sql,blindsql,xss,permanentxss,exec,file,crlf,redirect,backup,htaccess,methods,shellshock" \
    --max-scan-time 100 --max-attack-time 20 --flush-session --no-bugreport \
    --store-session "$WORK/wapiti-session" --store-config "$WORK/wapiti-config" \
    -f txt -o "$WORK/wapiti-report"

run wapiti-buster wapiti wapiti -u "$URL" --scope folder -m buster --max-attack-time 10 \
    --flush-session --no-bugreport --store-session "$WORK/wapiti-b-session" \
    --store-config "$WORK/wapiti-b-config" -f txt -o "$WORK/wapiti-b-report"

T_TOTAL=$(($(date +%s) - T_START))

{
    cat <<EOF
# Attack-tool captures

Real attack tools run against a real Apache 2.4 on ${HOST}:${PORT}, made by
\`bench/attack_tools/run_tools.sh\` on $(date -u +%Y-%m-%d) in ${T_TOTAL} s. Each directory holds the
Apache access log (combined format) and error log (2.4 default \`ErrorLogFormat\`, \`LogLevel warn\`)
of one tool run, from a fresh server start to its stop, so the error logs begin and end with
Apache's own start/stop notices. Client IP in every access line: \`${HOST}\` (the tools ran on the
same host). Apache: \`$(/usr/sbin/apache2 -v | sed -n 's/^Server version: //p')\`, Debian package
apache2 $(dpkg-query -W -f '${Version}' apache2-bin).

The site: static pages (\`/\`, \`/about.html\`, \`/contact.html\`, \`/login.html\`, \`/robots.txt\`),
CGI scripts in sh (\`/cgi-bin/search?q=\` also at \`/search?q=\`, \`/cgi-bin/echo?name=\`, and the
form target \`POST /login\`, which answers 200 "Login failed" or 302), \`/private/\` behind
Basic auth (user \`admin\`, password at line 50 of the script's 100-word list), and one real flaw:
\`/cgi-bin/item?id=\` (Python) pastes \`id\` into a query on a read-only SQLite file and writes
database errors to stderr (so to the error log, as AH01215), which is what \`sqlmap-exploit\` uses.

Files are cut to the first ${MAX_LINES} lines and ${MAX_BYTES} bytes (wapiti: 600000); "lines" below give
captured / kept. Every tool ran under \`timeout ${TOOL_TIMEOUT}\`; exit 124 means it was stopped
by that bound. \`\$WORK\` is the script's temporary directory.

| run | package | version | started (UTC) | took | exit | access lines | error lines |
|---|---|---|---|---|---|---|---|
EOF
    cat "$MANIFEST_ROWS"
    cat "$MANIFEST_DETAIL"
} >"$OUT/MANIFEST.md"

log "done in ${T_TOTAL}s; fixtures in $OUT ($(du -sh "$OUT" | cut -f1))"
