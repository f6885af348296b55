"""The shapes the command-injection rules are written with: command names, what makes a word
after a shell separator a command, and the shell's own ways of hiding a name (quotes, globs,
empty expansions)."""

from __future__ import annotations

import re

__all__ = [
    "ARGUMENT",
    "CHAIN",
    "CLOSED",
    "COMMAND_WORDS",
    "DIR_NEXT",
    "END",
    "GLOB",
    "QUOTE_SPLIT",
    "RUN_FILE",
    "SHORT_SPLIT",
    "STRONG_COMMANDS",
    "command",
    "joined",
]

COMMAND_WORDS = (
    r"(?:id|uname|whoami|cat|ls|pwd|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|ping|nslookup|dig"
    r"|sleep|echo|chmod|rm|python[23]?|perl|php|ruby|busybox|tftp|telnet|ifconfig|ipconfig"
    r"|hostname|net\s+(?:user|localgroup|view|use)|powershell|systeminfo|env|printenv|uptime|ps"
    r"|sudo|nohup|tasklist|netstat|ver|tracert|traceroute|wmic|certutil|bitsadmin|mshta"
    r"|rundll32|cscript|crontab|ssh|scp|killall|cmd(?:\.exe)?)"
)
# After a lone "&" (also how a browser joins parameters) only words that are no English.
STRONG_COMMANDS = (
    r"(?:id|uname|whoami|ping|nslookup|wget|curl|netstat|ipconfig|ifconfig|systeminfo"
    r"|powershell|tasklist|cmd(?:\.exe)?|dir\s+[a-z]:|net\s+(?:user|view|localgroup|share)"
    r"|netsh|sleep\s+\d{1,3}\b|type\s+(?:%[a-z_]+%|[a-z]:)|(?:/(?:usr/)?s?bin/)\w)"
)
# What may follow a command word: the end of the value, white space, a separator, a quote,
# a shell comment ("#" ends the command line: ``;id%23``).
END = r"\s;|&`)<>'\"$#"
# "dir" counts only when a separator, a switch or a drive comes next ("dir /s", "dir c:"),
# not before a word ("dir straits").
DIR_NEXT = r"(?:$|[;|&`]|/[a-z]|[a-z]:)"


def command(prefix: str, end: str, groups: tuple[str, str]) -> str:
    """``prefix`` and a command word, reported as one of ``groups`` (the second for ``dir``);
    the character after the word (one of ``end``, when the text does not end there) is
    matched but not reported: what a look-ahead checked, which RE2 does not have."""
    space = r"[\s+]" if "+" in end else r"\s"
    return (
        rf"(?P<{groups[0]}>{prefix}{COMMAND_WORDS})(?:$|[{end}])"
        rf"|(?P<{groups[1]}>{prefix}dir)(?:$|[;|&`]|{space}[\s+]*{DIR_NEXT})"
    )


# What follows a command word and makes it one: arguments shaped like a command's (an option,
# a path, a file name, a URL, a quote, a variable, a number that ends the value or comes
# before another argument), not an ordinary word ("dogs; cat food", "Pet Shop | Echo Dot",
# "news; curl up with a book", "PHP Deprecated ... line 40; PHP message: ...").
ARGUMENT = (
    r"[\s+]+(?:-{1,2}\w|[/~'\"`*]|\$[a-z_{(]|\./"
    r"|\d[\w.:-]*(?:$|[;|&`)'\"#]|[\s+]+(?:[-/.\d'\"$&|;]|$))"
    r"|[\w:-]*(?:/|\.\w))"
)
# The command ends where it is written: the end of the value, a separator, a redirection, a
# quote, a shell comment ("#" ends a command line: ``;id%23``).
CLOSED = r"(?:$|[;|&`)<>'\"$#]|[\s+]+$)"
# The same after a weak separator, except where a list goes on: a separator and then a word
# that is no command ends an item of a list, not a command line (``fields=name;id;email``,
# ``kinds=dog|cat|bird``). A command line goes on with another command, or ends.
_LIST_CLOSED = (
    r"(?:$|[&`)<>'\"$#]|[\s+]+$"
    rf"|[;|\n][\s+]*(?:$|[^a-z_\s+]|{COMMAND_WORDS}(?:$|[^\w-])))"
)
# Command names that are no English word: "x | id" and "; ls" need nothing after them.
_BARE = (
    r"(?:id|uname|whoami|ls|pwd|ps|ifconfig|ipconfig|systeminfo|printenv|netstat|tasklist"
    r"|hostname|nslookup|powershell|wget|curl|cmd(?:\.exe)?|net\s+(?:user|localgroup|view|share))"
)
# More file readers and tools, counted only written against the separator and with an
# argument (``;tac index.php``, ``;head -c 999 config.php``, ``;socat tcp:...``).
_MORE_COMMANDS = (
    r"(?:tac|head|tail|more|less|nl|od|xxd|strings|awk|gawk|sed|find|socat|printf|base64"
    r"|touch|cp|mv|dd|kill|chown|openssl|node|gcc|lua)"
)
_BIN = r"(?:/?(?:usr/(?:local/)?)?s?bin/)"
# ";" "|" and a line break also join words of ordinary text: a command after them has to look
# like one. "&&" and "$(" do not. A backtick opens a substitution where a value starts, after a
# separator or glued to a word (``a`sleep 60```); after ".", ",", "(" or a space it quotes an
# SQL identifier (phpMyAdmin's "FROM `orders` ORDER BY `orders`.`id`", "COUNT(`id`)").
# Shellshock's function definition where a value starts (``() { :;};``): bash runs whatever
# follows it, an ordinary word too ("echo vulnerable").
_SHELLSHOCK = r"(?:^|[\n/?=&\"':])\s*\(\s*\)\s*\{\s*[:\w]{0,8}\s*;\s*\}\s*;"
_WEAK = r"[;|\n]\(?"
_TICK = r"(?:(?:^|[=;|&\n'\"]|\$\()`[\s+]*|\w`)"
CHAIN = (
    rf"(?P<frag>{_WEAK}{_BIN}?{COMMAND_WORDS}){_LIST_CLOSED}"
    rf"|(?P<frag6>{_WEAK}{_BIN}?(?:{COMMAND_WORDS}|{_MORE_COMMANDS})){ARGUMENT}"
    rf"|(?P<frag7>{_WEAK}[\s+]+\(?(?:{_BARE}|{_BIN}{COMMAND_WORDS})){_LIST_CLOSED}"
    rf"|(?P<frag8>{_WEAK}[\s+]+\(?{_BIN}?{COMMAND_WORDS}){ARGUMENT}"
    rf"|(?P<frag13>{_SHELLSHOCK}[\s+]*{_BIN}?(?:{COMMAND_WORDS}|{_MORE_COMMANDS}))"
    rf"(?:$|[\s+{END}])"
    rf"|(?P<frag9>(?:&&|\$\()[\s+]*\(?{_BIN}?(?:{COMMAND_WORDS}|{_MORE_COMMANDS}))"
    rf"(?:$|[\s+{END}])"
    rf"|(?P<frag10>{_TICK}{_BIN}?(?:{COMMAND_WORDS}|{_MORE_COMMANDS}))(?:$|[\s+{END}])"
    rf"|(?P<frag1>(?:[;|`\n]|&&|\$\()[\s+]*{_BIN}?dir)(?:$|[;|&`]|[\s+][\s+]*{DIR_NEXT})"
)


# Command names as a shell reads them through quotes that split them (``c'a't``,
# ``who'am'i``, ``c"a"t``: the quotes vanish). Names of three letters or more: an apostrophe
# in a shorter word is English ("i'd").
def _split_by_quotes(name: str) -> str:
    """``name`` with at least one quote between its letters: the first after each of them
    in turn, more optional after it (the plain name is the other branches' business)."""
    return "|".join(
        name[:cut] + "['\"]{1,2}" + "['\"]{0,2}".join(name[cut:]) for cut in range(1, len(name))
    )


QUOTE_SPLIT = "|".join(
    _split_by_quotes(name)
    for name in (
        "cat", "whoami", "uname", "wget", "curl", "bash", "ping", "sleep", "echo", "nslookup",
        "ifconfig", "ipconfig", "netstat", "python", "perl", "chmod", "busybox", "hostname",
    )
)  # fmt: skip
# Two-letter names split by a pair of quotes, as a shell accepts them (``i'd'``, ``'l's``,
# ``p"s"``): one apostrophe alone is unbalanced, no command, and English ("i'd").
SHORT_SPLIT = "|".join(
    f"{q}{a}{q}{b}|{a}{q}{b}{q}"
    for a, b in ("id", "ls", "ps", "nc", "sh", "rm")
    for q in ("'", '"')
)

# A glob standing for a command in a binary directory (``;/bin/wh?ami``, ``;/usr/bin/who*i``).
GLOB = r"|(?P<frag11>(?:[;|\n(]|&&|\$\()[\s+]*/(?:usr/(?:local/)?)?s?bin/[\w-]*[?*\[][\w?*\[\]-]*)"
# A file run by its path: ``;./x.sh``, ``;. /tmp/x`` (sourced), a name in a world-writable
# directory (``;/tmp/x``, not a list of documents there: ``/tmp/a.txt;/tmp/b.txt``).
RUN_FILE = (
    r"|(?P<frag12>(?:[;|\n(]|&&|\$\()[\s+]*(?:\./[\w-][\w.-]*(?:/[\w-][\w.-]*)*"
    r"|\.[\s+]+[/~]\S*|/(?:tmp|var/tmp|dev/shm)/\.?[\w-]+(?:\.(?:sh|py|pl|elf|bin|run))?))"
    r"(?:$|[\s;|&`)'\"#])"
)


# What a shell reads as nothing inside a command name: empty expansions (``who$()ami``,
# ``wh$@oami``, ``w${x}hoami``) and a backslash-newline, which joins two lines
# (``w\\<newline>hoami``; decoding reads the backslash as "/").
_EMPTY_EXPANSIONS = ("$@", "$*", "$()", "/\n")
_BRACED = re.compile(r"\$\{[a-z_0-9]{0,30}\}")


def joined(text: str) -> str:
    """``text`` (lower-cased) with what :data:`_EMPTY_EXPANSIONS` and ``${name}`` stand for
    removed: a few C-level passes, bounded as the text is."""
    for empty in _EMPTY_EXPANSIONS:
        if empty in text:
            text = text.replace(empty, "")
    if "${" in text:
        text = _BRACED.sub("", text)
    return text
