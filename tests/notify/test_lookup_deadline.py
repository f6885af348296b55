"""A resolver that never answers cannot hold a notification channel past its deadline: the
host name is looked up within the attempt's ``timeout_secs``, and unanswered lookups of one
host pile up to a small bound, not one more per attempt, without holding other hosts back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lwsyslog.notify.deadline import MAX_PENDING_PER_HOST

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 1.0
MARGIN = 1.0

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
    reason="needs root, unshare and ip",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run tests/notify/silent_resolver.py in its own network and mount namespaces, where
    /etc/resolv.conf names only its silent server on 127.0.0.1."""
    resolv = tmp_path_factory.mktemp("resolver") / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
    script = f'ip link set lo up && mount --bind {resolv} /etc/resolv.conf && exec "$@"'
    command = [
        "unshare", "-m", "-n", "--propagation", "private", "sh", "-c", script, "sh",
        sys.executable, "-m", "tests.notify.silent_resolver",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_silent_resolver_really_holds_a_bare_lookup(report: dict[str, object]) -> None:
    bare = report["bare"]
    assert isinstance(bare, dict)
    assert bare["secs"] >= 3.0, bare  # the resolver's own timeouts, far past any deadline


@pytest.mark.parametrize("attempt", ["email", "email_again"])
def test_email_attempts_end_at_their_deadline_naming_the_lookup(
    report: dict[str, object], attempt: str
) -> None:
    # The second comes after the webhook's host used up its bound: other hosts still wait.
    email = report[attempt]
    assert isinstance(email, dict)
    assert 0.5 < email["secs"] < TIMEOUT + MARGIN, email
    assert "DNS lookup of mail.lwsyslog.test unanswered" in str(email["outcome"])


def test_webhook_attempts_end_at_their_deadline_then_fail_at_once_past_the_bound(
    report: dict[str, object],
) -> None:
    attempts = report["webhook"]
    assert isinstance(attempts, list)
    waited, refused = attempts[:MAX_PENDING_PER_HOST], attempts[MAX_PENDING_PER_HOST:]
    for attempt in waited:
        assert 0.5 < attempt["secs"] < TIMEOUT + MARGIN, attempt
        assert "DNS lookup of hook.lwsyslog.test unanswered" in attempt["outcome"]
    assert refused, attempts
    for attempt in refused:
        assert attempt["secs"] < 0.5, attempt
        assert "too many earlier lookups are still unanswered" in attempt["outcome"]


def test_a_name_the_resolver_refuses_to_encode_fails_the_attempt_with_its_reason() -> None:
    """A label over 63 characters: getaddrinfo raises UnicodeError, not OSError; the lookup's
    thread must hand it back (it died with a traceback, and the attempt said 'no address')."""
    from lwsyslog.notify.deadline import attempt_deadline, deadline_socket

    with attempt_deadline(2.0), pytest.raises(UnicodeError, match="label"):
        deadline_socket(("a" * 64 + ".example", 80), 1.0)
