"""A small site CA and the TLS certificates the RELP chain needs, made with the ``openssl`` CLI.

The chain authenticates both ends by name (``tls.authMode="name"``): the central server presents
a certificate whose SAN names it, each web host presents a client certificate whose SAN names the
web host, and both are signed by one site CA. This module makes those files; it never needs a
Python crypto library because the ``openssl`` binary is already on every host running rsyslog.

Private keys are written with mode 0600; certificates with 0644. openssl writes to its standard
output and this module writes the files itself: openssl 3.0 ignores a failed write (a full disk
leaves an empty key and exit status 0), Python does not. Each file is written to a temporary
file beside it (a key 0600 from its creation), synced, and renamed into place once complete, so
a run that fails leaves no half-written file under the final name. A run killed before the
rename leaves its temporary file (``.NAME.<16 hex digits>.tmp``); the writer holds a lock on it
while it lives, and :func:`remove_leftovers` deletes the unlocked ones of a later run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lwsyslog.errors import CertError

__all__ = [
    "CA_DAYS",
    "CERT_DAYS",
    "CN_MAX",
    "CertFiles",
    "KeyType",
    "Kind",
    "Plan",
    "ca_paths",
    "cert_names",
    "cert_paths",
    "check_ca_name",
    "check_days",
    "check_name",
    "check_within_ca",
    "existing",
    "make_ca",
    "make_cert",
    "max_days",
    "not_after",
    "plan",
    "remove_leftovers",
]

KeyType = Literal["ec", "rsa"]
"""``ec`` is ECDSA on P-256 (small and fast); ``rsa`` is RSA 2048 for old peers."""

Kind = Literal["server", "client"]
"""A ``server`` certificate is for the central rsyslog (imrelp); ``client`` for a web host."""

CA_DAYS = 3650
"""Validity of the site CA: ten years, it only signs our own certificates."""

CERT_DAYS = 825
"""Validity of a leaf certificate: the longest that common TLS clients still accept."""

CN_MAX = 64
"""The longest common name X.509 allows (``ub-common-name``); openssl refuses a longer one."""

_NAME_RE = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")
_LAST_NOT_AFTER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
"""The latest notAfter X.509 can encode (GeneralizedTime's year has four digits)."""
_ENDDATE = re.compile(r"notAfter=([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4}) GMT")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MARGIN = dt.timedelta(hours=1)
"""Time between the check of ``days`` and openssl's signing, with room to spare."""
# openssl 3 error lines: "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:<data>"
_ERROR_LINE = re.compile(r"^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]*):[^:]*:\d+:(.*)$")
# Progress lines openssl prints to stderr even when it fails: they are not the reason.
_CHATTER = re.compile(r"^(Certificate request self-signature ok|Signature ok|subject=.*)$")
_NOTHING_WRITTEN = ": nothing was written under that name"
_IO_WORDS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "input/output error (a failing disk?)",
    errno.EROFS: "read-only file system",
}


@dataclass(frozen=True, slots=True)
class CertFiles:
    """A certificate and its private key on disk, and the name it was made for."""

    name: str
    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class Plan:
    """What :func:`plan` found for a certificate and key: ``make`` both, make only the
    certificate (``make-cert``, for the key already there) or ``keep`` them; ``note`` names
    the empty files a run that failed left behind, replaced now (empty when there are none)."""

    action: Literal["make", "make-cert", "keep"]
    note: str = ""


def _reason(stderr: str, status: int) -> str:
    """openssl's own reason for failing: its error lines, without the progress it reports."""
    reasons: list[str] = []
    for line in map(str.strip, stderr.splitlines()):
        if not line or _CHATTER.match(line):
            continue
        error = _ERROR_LINE.match(line)
        if error is None:
            reasons.append(line)
        else:
            reason, data = error.group(1), error.group(2).strip()
            reasons.append(f"{reason} ({data})" if data else reason)
    return "; ".join(dict.fromkeys(reasons)) or f"openssl exited with status {status} and no reason"


def _run(args: Sequence[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("openssl")
    if exe is None:
        raise CertError("the 'openssl' command is not installed")
    # stdin is always given (empty by default): openssl never waits for the terminal's input
    return subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, check=False)


def _openssl(args: Sequence[str], step: str, stdin: str = "") -> str:
    proc = _run(args, stdin)
    if proc.returncode != 0:
        raise CertError(f"openssl failed to {step}: {_reason(proc.stderr, proc.returncode)}")
    return proc.stdout


def _io_error(exc: OSError, doing: str) -> CertError:
    words = _IO_WORDS.get(exc.errno or 0) or exc.strerror or str(exc)
    hint = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "; free some space and run again (what this run finished is kept)"
    return CertError(f"{words} while {doing}{hint}")


def check_name(name: str, *, common_name: bool = False) -> None:
    """Refuse what cannot be a certificate's DNS name (``*.domain`` allowed); with
    ``common_name``, also one too long to be the certificate's common name, which
    :func:`make_cert` makes of the name it is given."""
    if not _NAME_RE.match(name) or len(name) > 253:
        raise CertError(f"not a valid DNS name for a certificate: {name!r}")
    if common_name:
        _check_cn(name, "the name")


def _check_cn(name: str, what: str) -> None:
    if len(name) > CN_MAX:
        raise CertError(
            f"{what} {name!r} is {len(name)} characters long: a certificate's common name "
            f"holds at most {CN_MAX}"
        )


def check_ca_name(name: str) -> None:
    """Refuse a CA name that is empty, has no letter or digit for its files' stem, carries a
    control character or is too long for the certificate's common name."""
    if not name.strip():
        raise CertError("the CA's name is empty: give a label such as example.net")
    if not re.search(r"[A-Za-z0-9]", name):
        raise CertError(f"the CA's name {name!r} has no letter or digit to name its files with")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise CertError(f"the CA's name {name!r} contains a control character")
    _check_cn(name, "the CA's name")


def max_days(now: dt.datetime | None = None) -> int:
    """The most days of validity a certificate made at ``now`` (default: the clock) can
    have: its notAfter must be at most 9999-12-31 23:59:59 UTC."""
    start = (now or dt.datetime.now(dt.UTC)) + _MARGIN
    return (_LAST_NOT_AFTER - start).days


def check_days(days: int, now: dt.datetime | None = None) -> None:
    """Refuse a validity below one day or ending after 9999-12-31 (X.509 cannot say it)."""
    most = max_days(now)
    if not 1 <= days <= most:
        raise CertError(
            f"a validity of {days} days is out of range: from 1 to {most} days (a certificate "
            "cannot be valid after 9999-12-31)"
        )


def not_after(cert: Path) -> dt.datetime:
    """The end of the validity of the certificate ``cert`` (UTC)."""
    text = _openssl(["x509", "-in", str(cert), "-noout", "-enddate"], f"read {cert}")
    found = _ENDDATE.search(text)
    if found is None or found.group(1) not in _MONTHS:
        raise CertError(f"cannot read the end of validity of {cert}: {text.strip()!r}")
    month = _MONTHS.index(found.group(1)) + 1
    day, hour, minute, second, year = (int(found.group(n)) for n in (2, 3, 4, 5, 6))
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def check_within_ca(
    days: int, ca_cert: Path, ca_end: dt.datetime | None = None, now: dt.datetime | None = None
) -> None:
    """Refuse a validity of ``days`` that would outlast the CA certificate ``ca_cert`` (which
    ends at ``ca_end``, read from the file by default): a certificate is not valid past its
    issuer, so the days past the CA's would only mislead whoever reads its end date."""
    end = ca_end or not_after(ca_cert)
    signed = now or dt.datetime.now(dt.UTC)
    most = (end - (signed + _MARGIN)).days
    if days <= most:
        return
    until = f"{end:%Y-%m-%d %H:%M} UTC"
    if most < 1:
        raise CertError(
            f"the CA certificate {ca_cert} is valid only until {until}: it cannot sign a "
            "certificate valid for a day; make a new CA and copy it to every host"
        )
    raise CertError(
        # The end the certificate would bear; the margin only keeps the check on the safe side.
        f"a validity of {days} days would end on {signed + dt.timedelta(days=days):%Y-%m-%d}, "
        f"after the CA certificate {ca_cert} ends on {until}: a certificate is not valid "
        f"past its CA; give at most {most} days (--days {most}), or make a new CA"
    )


def ca_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """Where :func:`make_ca` puts the certificate and key of the CA called ``name``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "lwsyslog"
    return directory / f"{stem}-ca.crt", directory / f"{stem}-ca.key"


def cert_paths(directory: Path, name: str) -> tuple[Path, Path]:
    """Where :func:`make_cert` puts the certificate and key made for ``name``."""
    stem = name.replace("*", "wildcard")
    return directory / f"{stem}.crt", directory / f"{stem}.key"


def _leftover_pattern(name: str) -> re.Pattern[str]:
    """The temporary files of ``name`` this module writes (16 hex digits), and those of the
    versions that used :func:`tempfile.mkstemp` (8 of its characters)."""
    return re.compile(re.escape(f".{name}.") + r"(?:[0-9a-f]{16}|[a-z0-9_]{8})\.tmp")


def remove_leftovers(directory: Path, names: Sequence[str]) -> list[Path]:
    """Delete the temporary files of ``names`` that a run killed before renaming them into
    place left in ``directory`` (a key's may hold a private key); the deleted ones.

    Only regular files of this module's naming pattern go, never through a symbolic link,
    and only when no process holds the lock a live writer keeps on its file (a run going on
    beside this one keeps its files)."""
    patterns = [_leftover_pattern(name) for name in names]
    try:
        with os.scandir(directory) as entries:
            found = [e.name for e in entries if any(p.fullmatch(e.name) for p in patterns)]
    except OSError:
        return []  # no directory yet: nothing left over
    removed: list[Path] = []
    for name in sorted(found):
        path = directory / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue  # a symbolic link (ELOOP), gone already, or not ours to read
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its writer is alive
            path.unlink()
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new file beside ``path``, ``.NAME.<16 hex digits>.tmp`` (mode 0600, never through
    a link), locked for as long as the descriptor is open: what :func:`remove_leftovers`
    recognises and leaves alone while its writer lives."""
    for _ in range(8):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)  # a new file nobody else has locked: never waits
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path.parent))


@contextlib.contextmanager
def _staged(path: Path, text: str, mode: int, what: str = "") -> Iterator[Path]:
    """``text`` in a temporary file beside ``path``, mode ``mode`` from its creation; the
    caller renames it into place with :func:`_install` or it is deleted on the way out.
    ``what`` names it in an error instead of ``path`` (a file never installed)."""
    try:
        fd, tmp = _create_temporary(path)
    except OSError as exc:
        raise _io_error(exc, f"making a temporary file in {path.parent}") from exc
    try:
        try:
            os.fchmod(fd, mode)
            data = text.encode("ascii")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)  # an NFS server or a delayed allocation reports ENOSPC here
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            doing = f"writing {what or path}" + ("" if what else _NOTHING_WRITTEN)
            raise _io_error(exc, doing) from exc
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)  # gone already once installed
        os.close(fd)  # and its lock with it


def _install(staged: Sequence[tuple[Path, Path]]) -> None:
    """Rename each complete temporary file onto its final path, in order (a key before its
    certificate: a key without its certificate is remade, a certificate without its key
    is not), then sync the directory so the renames survive a crash."""
    for tmp, path in staged:
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise _io_error(exc, f"renaming {tmp} to {path}") from exc
    for parent in dict.fromkeys(path.parent for _, path in staged):
        with contextlib.suppress(OSError):  # not every file system syncs a directory
            fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _make_dir(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # 0700 whatever the umask
    except FileExistsError:
        raise CertError(f"{directory} is not a directory") from None
    except OSError as exc:
        raise _io_error(exc, f"making the directory {directory}") from exc


def _key_text(key_type: KeyType) -> str:
    if key_type == "ec":
        algo = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    else:
        algo = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    return _openssl(["genpkey", *algo], "make a private key")


@contextlib.contextmanager
def _key(
    key: Path, key_type: KeyType, keep_key: bool
) -> Iterator[tuple[Path, list[tuple[Path, Path]]]]:
    """The key to sign with: the one at ``key`` (``keep_key``) or a new one staged beside it;
    and what to install (the new key, before its certificate)."""
    if keep_key:
        yield key, []
        return
    with _staged(key, _key_text(key_type), 0o600) as tmp:
        yield tmp, [(tmp, key)]


def make_ca(
    directory: Path,
    name: str,
    *,
    key_type: KeyType = "ec",
    days: int = CA_DAYS,
    keep_key: bool = False,
) -> CertFiles:
    """Make a self-signed site CA ``<name>-ca.crt`` / ``<name>-ca.key`` in ``directory``.

    ``name`` is a label used as the CA's common name (for example ``lwsyslog example.net``).
    With ``keep_key``, the key already at ``<name>-ca.key`` is used and left as it is.
    """
    check_ca_name(name)
    check_days(days)
    _make_dir(directory)
    cert, key = ca_paths(directory, name)
    with _key(key, key_type, keep_key) as (signing_key, install):
        text = _openssl(
            [
                "req", "-new", "-x509", "-key", str(signing_key), "-days", str(days),
                "-subj", f"/CN={_subject_escape(name)}",
                "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "subjectKeyIdentifier=hash",
            ],
            f"make the CA certificate {cert}",
        )  # fmt: skip
        with _staged(cert, text, 0o644) as cert_tmp:
            _install([*install, (cert_tmp, cert)])
    return CertFiles(name=name, cert=cert, key=key)


def make_cert(
    directory: Path,
    ca: CertFiles,
    name: str,
    kind: Kind = "server",
    *,
    alt_names: Sequence[str] = (),
    key_type: KeyType = "ec",
    days: int = CERT_DAYS,
    keep_key: bool = False,
) -> CertFiles:
    """Make ``<name>.crt`` / ``<name>.key`` in ``directory``, signed by ``ca``.

    The certificate names ``name`` (and every ``alt_names`` entry) as SAN DNS names, which is
    what ``tls.permittedPeer`` is matched against; ``kind`` sets the extended key usage.
    With ``keep_key``, the key already at ``<name>.key`` is used and left as it is.
    """
    check_name(name, common_name=True)
    for each in alt_names:
        check_name(each)
    if kind not in ("server", "client"):
        raise CertError(f"unknown certificate kind {kind!r} (server or client)")
    check_days(days)
    check_within_ca(days, ca.cert)
    _make_dir(directory)
    cert, key = cert_paths(directory, name)
    sans = ",".join(f"DNS:{n}" for n in dict.fromkeys((name, *alt_names)))
    usage = "serverAuth" if kind == "server" else "clientAuth"
    extensions = (
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage={usage}\n"
        f"subjectAltName={sans}\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    # The extensions file is staged in the directory too: a full /tmp must not matter.
    with (
        _key(key, key_type, keep_key) as (signing_key, install),
        _staged(cert, extensions, 0o600, f"the extensions of {cert} in {directory}") as ext,
    ):
        request = _openssl(
            ["req", "-new", "-key", str(signing_key), "-subj", f"/CN={name}"],
            f"make the request for {name}",
        )
        text = _openssl(
            [
                "x509", "-req", "-CA", str(ca.cert), "-CAkey", str(ca.key),
                # a random 159-bit serial, as -CAcreateserial makes, without a serial file
                "-set_serial", f"0x{secrets.randbits(159) | 1 << 158:x}",
                "-days", str(days), "-sha256", "-extfile", str(ext),
            ],
            f"sign the certificate for {name}",
            stdin=request,
        )  # fmt: skip
        with _staged(cert, text, 0o644) as cert_tmp:
            _install([*install, (cert_tmp, cert)])
    return CertFiles(name=name, cert=cert, key=key)


def _readable(path: Path, args: Sequence[str]) -> str:
    """How ``path`` is: ``missing``, ``empty``, ``ok``, or why openssl (``args``) cannot
    read it."""
    if not path.exists() and not path.is_symlink():
        return "missing"
    if not path.is_file():
        return "not a regular file"
    try:
        if path.stat().st_size == 0:
            return "empty"
    except OSError as exc:
        return exc.strerror or str(exc)
    proc = _run([*args, "-in", str(path), "-noout"])
    return "ok" if proc.returncode == 0 else _reason(proc.stderr, proc.returncode)


def plan(cert: Path, key: Path, *, ca: bool, name: str = "") -> Plan:
    """What to do about the certificate ``cert`` and key ``key`` already in the directory.

    A file that is missing or empty (0 bytes: what a failed run of an older version left)
    holds nothing to lose and is made; an existing readable key is never replaced, a
    certificate is made for it. Anything else that is in the way, a certificate without its
    key or a file openssl cannot read, is refused with :class:`CertError` naming the file and
    what to do. ``ca`` says whether the pair is the site CA (whose loss concerns every host).
    """
    cert_state = _readable(cert, ["x509"])
    key_state = _readable(key, ["pkey"])
    empties = [str(p) for p, s in ((key, key_state), (cert, cert_state)) if s == "empty"]
    note = ""
    if empties:
        note = f"replaced the empty {' and '.join(empties)} left by a run that failed"
    gone = ("missing", "empty")
    if cert_state == "ok" and key_state == "ok":
        return Plan("keep")
    if key_state not in (*gone, "ok"):
        if ca:
            fix = (
                f"restore the CA's key from your copy, or delete {key}"
                + (f" and {cert}" if cert_state != "missing" else "")
                + " to make a new CA (then every certificate it signed must be made again and "
                "the new CA certificate copied to every host)"
            )
        else:
            fix = f"delete {key}" + (f" and {cert}" if cert_state != "missing" else "")
            fix += f" and run again to make a new key and certificate for {name or cert.stem}"
        raise CertError(f"{key} is not a private key openssl can read ({key_state}): {fix}")
    if cert_state not in (*gone, "ok"):
        if key_state == "ok":
            fix = f"delete {cert} and run again to make a new certificate for the key {key}"
        else:
            fix = f"delete {cert} and run again"
        raise CertError(f"{cert} is not a certificate openssl can read ({cert_state}): {fix}")
    if cert_state == "ok":  # its key is missing or empty
        if ca:
            fix = (
                f"restore the key from your copy, or delete {cert} to make a new CA (then every "
                "certificate it signed must be made again and the new CA certificate copied "
                "to every host)"
            )
        else:
            fix = (
                f"put the key back, or delete {cert} and run again to make a new key and "
                f"certificate for {name or cert.stem}"
            )
        raise CertError(f"{cert} is here but its private key {key} is {key_state}: {fix}")
    if key_state == "ok":
        return Plan("make-cert", note)
    return Plan("make", note)


def existing(cert: Path, key: Path, name: str = "") -> CertFiles:
    """Accept a certificate and key made elsewhere, after checking that they belong together."""
    for path in (cert, key):
        if not path.is_file():
            raise CertError(f"{path}: no such file")
    cert_pub = _openssl(["x509", "-in", str(cert), "-noout", "-pubkey"], f"read {cert}")
    key_pub = _openssl(["pkey", "-in", str(key), "-pubout"], f"read {key}")
    if cert_pub.strip() != key_pub.strip():
        raise CertError(f"{key} is not the private key of {cert}")
    if not name:
        names = cert_names(cert)
        name = names[0] if names else cert.stem
    return CertFiles(name=name, cert=cert, key=key)


def cert_names(cert: Path) -> list[str]:
    """The SAN DNS names of a certificate (what ``tls.permittedPeer`` is matched against)."""
    text = _openssl(["x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"], f"read {cert}")
    return re.findall(r"DNS:([^,\s]+)", text)


def _subject_escape(value: str) -> str:
    # "+" joins the parts of a multi-valued name in openssl's -subj: "a+b" would be refused
    for char in ("\\", "/", "=", "+"):
        value = value.replace(char, "\\" + char)
    return value
