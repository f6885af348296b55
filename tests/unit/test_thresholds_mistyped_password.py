"""brute-force-success on a person who mistyped a Basic-auth password (the auditor's false
alert): a few wrong passwords then the right one raise nothing, with the access log alone or
with the error log beside it (each wrong password is logged twice there: a 401 and AH01617);
a password-guessing run of tens of failures then a success still raises it.

The lines go through the pipeline ``lwsyslog scan`` drives, with the built-in defaults.
"""

from __future__ import annotations

import time

import pytest

from tests.unit.test_thresholds_ordinary_users import START, acc, alerts_of, rules_of

CLIENT = "192.0.2.50"


def mismatch(client: str, second: float, user: str) -> str:
    """The error log's line for a wrong Basic password (mod_auth_basic, AH01617)."""
    stamp = time.strftime("%a %b %d %H:%M:%S", time.gmtime(START + second))
    return (
        f"[{stamp}.100000 2025] [auth_basic:error] [pid 100:tid 100] [client {client}:40000] "
        f'AH01617: user {user}: authentication failure for "/private/": Password Mismatch'
    )


def wrong_then_right(
    wrong: int, *, error_log: bool, gap: float = 8.0, client: str = CLIENT
) -> list[str]:
    """A browser's challenge, ``wrong`` wrong passwords ``gap`` seconds apart (each also in
    the error log when ``error_log``), then the right one: the lines in the order logged."""
    lines = [acc(client, 0, "GET", "/private/", 401)]
    for n in range(wrong):
        second = 5 + gap * n
        lines.append(acc(client, second, "GET", "/private/", 401, "alice"))
        if error_log:
            lines.append(mismatch(client, second, "alice"))
    lines.append(acc(client, 5 + gap * wrong, "GET", "/private/", 200, "alice"))
    return lines


@pytest.mark.parametrize("error_log", [False, True], ids=["access log", "both logs"])
@pytest.mark.parametrize("wrong", [3, 4, 5])
def test_a_person_who_mistyped_a_password_then_got_in_raises_no_alert(
    wrong: int, *, error_log: bool
) -> None:
    # 15 s apart: five mistypes take over a minute, as a person types them.
    assert rules_of(wrong_then_right(wrong, error_log=error_log, gap=15.0)) == []


def test_nine_mistypes_with_both_logs_are_nine_failures_not_eighteen() -> None:
    lines = wrong_then_right(9, error_log=True, gap=70.0)  # a minute apart: no auth-brute-force
    assert "brute-force-success" not in rules_of(lines)


@pytest.mark.parametrize("error_log", [False, True], ids=["access log", "both logs"])
def test_tens_of_guesses_then_a_success_are_still_a_likely_compromise(*, error_log: bool) -> None:
    lines = wrong_then_right(30, error_log=error_log, gap=0.5, client="203.0.113.66")
    found = [alert for alert in alerts_of(lines) if alert.rule == "brute-force-success"]
    assert len(found) == 1
    assert "203.0.113.66 logged in as alice after 10 failures" in found[0].message


def test_guesses_seen_only_in_the_error_log_still_arm_the_rule() -> None:
    """A host whose access log keeps no user name: the error log's failures count alone."""
    lines = [mismatch("203.0.113.67", n, "admin") for n in range(12)]
    lines.append(acc("203.0.113.67", 20, "GET", "/private/", 200, "admin"))
    assert "brute-force-success" in rules_of(lines)


def test_five_quick_mistypes_with_both_logs_are_not_a_brute_force() -> None:
    """Five wrong passwords within a minute are ten lines with both logs: five failures."""
    lines = wrong_then_right(5, error_log=True, gap=3.0)
    assert rules_of(lines) == []


@pytest.mark.parametrize("error_log", [False, True], ids=["access log", "both logs"])
def test_a_guessing_run_is_one_brute_force_alert_whichever_logs_are_read(
    *, error_log: bool
) -> None:
    lines = wrong_then_right(30, error_log=error_log, gap=0.5, client="203.0.113.67")[:-1]
    assert rules_of(lines).count("auth-brute-force") == 1
