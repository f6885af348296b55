"""Least privilege: the omprog program gives up root before it reads a single line.

rsyslog starts its omprog children as itself, which on Debian is root with every capability.
The program needs none of that: it reads lines on a pipe, writes its state directory, the
messages file and datagrams to journald. Started as root, it prepares what only root can (its
state directory, owned by the service user, and the messages file, ``0640`` with group
``adm`` as Debian's logs are), then switches to the service user (``lwsyslog``, made by the
package) and its groups for good: real, effective and saved ids, supplementary groups too.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import stat
from pathlib import Path

from lwsyslog.errors import PrivilegeError

__all__ = ["DEFAULT_USER", "STATE_DIR_MODE", "drop_privileges"]

#: The service user the Debian package creates.
DEFAULT_USER = "lwsyslog"
#: The state directory's mode: the service user's alone (its group may read).
STATE_DIR_MODE = 0o750
_MESSAGES_MODE = 0o640


def drop_privileges(user: str, state_dir: Path, messages_file: str | None) -> str | None:
    """Become ``user`` when running as root; what happened, in words (``None``: nothing to do).

    Raises :class:`PrivilegeError` when root was asked to drop to a user that does not exist or
    the switch fails: running on as root by accident is worse than not starting.
    """
    if os.geteuid() != 0 or user in ("", "root"):
        return None
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise PrivilegeError(
            f"user {user!r} does not exist (create it, or pass --user '' to stay root)"
        ) from None
    groups = {account.pw_gid}
    with contextlib.suppress(KeyError):
        groups.add(grp.getgrnam("adm").gr_gid)  # the messages file's group
    _prepare(state_dir, messages_file, account.pw_uid, account.pw_gid)
    try:
        os.setgroups(sorted(groups))
        os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
        os.setresuid(account.pw_uid, account.pw_uid, account.pw_uid)
    except OSError as error:
        raise PrivilegeError(f"cannot become {user!r}: {error.strerror or error}") from None
    if os.geteuid() == 0 or os.getuid() == 0:
        raise PrivilegeError(f"still root after switching to {user!r}")
    return f"running as {user} (uid {account.pw_uid}), not root"


# Files the program keeps in its state directory (a root run may have left them root's).
_STATE_FILES = ("omprog-*", "alerts.db*", "notify-*", "backlog-*", "cache")


def _prepare(state_dir: Path, messages_file: str | None, uid: int, gid: int) -> None:
    """What only root can make: the state directory and the messages file, for ``uid``."""
    if not state_dir.exists():
        state_dir.mkdir(mode=STATE_DIR_MODE, parents=True)
        os.chown(state_dir, uid, gid)
    elif state_dir.stat().st_uid == 0:
        os.chown(state_dir, uid, gid)
        os.chmod(state_dir, STATE_DIR_MODE)
    for pattern in _STATE_FILES:
        for path in state_dir.glob(pattern):
            _give_state_file(path, uid, gid)
    if messages_file:
        path = Path(messages_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            try:
                adm = grp.getgrnam("adm").gr_gid
            except KeyError:
                adm = gid
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _MESSAGES_MODE)
            try:
                # On the descriptor, not the name: the name may be replaced in between.
                os.fchown(fd, uid, adm)
                os.fchmod(fd, _MESSAGES_MODE)
            finally:
                os.close(fd)


def _give_state_file(path: Path, uid: int, gid: int) -> None:
    """Hand a root-owned state file (or directory) to ``uid``, through a descriptor opened
    without following links.

    The service user can write the state directory: between a check of the name and a
    ``chown`` by name it could put a link to ``/etc/shadow`` there, and a restart as root would
    give it that file. Opened with ``O_NOFOLLOW`` the descriptor is the state file itself or
    nothing; a regular file with a second hard link is left alone too (a link made to a file
    of root's).
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # a link (ELOOP), or gone: nothing of ours to hand over
    try:
        info = os.fstat(fd)
        ours = stat.S_ISDIR(info.st_mode) or (stat.S_ISREG(info.st_mode) and info.st_nlink == 1)
        if ours and info.st_uid == 0:
            os.fchown(fd, uid, gid)
    finally:
        os.close(fd)
