"""Tests of the test support itself: a sanitizer report in the log of a
program started with stack.Service fails the test that started it, whether
the program is stopped or killed, and even when it exited 0."""
import pytest

import stack

# A program that prints what a sanitizer prints, announces a port, and exits 0 on SIGTERM.
SCRIPT = """
echo '{report}' >&2
echo 'sh listening on port 1'
trap 'exit 0' TERM
while :; do sleep 0.05; done
"""

REPORTS = [
    "==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010",
    "==42==ERROR: LeakSanitizer: detected memory leaks",
    "common/x.cc:3:41: runtime error: signed integer overflow",
]


def started(report):
    return stack.Service("sh", {}, args=["-c", SCRIPT.format(report=report)]).start()


@pytest.mark.parametrize("report", REPORTS)
def test_a_report_fails_stop(report):
    service = started(report)
    with pytest.raises(AssertionError, match="sh reported a sanitizer finding"):
        service.stop()


@pytest.mark.parametrize("report", REPORTS)
def test_a_report_fails_kill(report):
    service = started(report)
    with pytest.raises(AssertionError, match="sh reported a sanitizer finding"):
        service.kill()


def test_a_clean_log_stops_quietly():
    service = started("an ordinary log line")
    service.stop()
    assert not service.running()
