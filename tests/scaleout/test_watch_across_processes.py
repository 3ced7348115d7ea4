"""Issue 14 item 4: watch links work across processes and after a restart, through nginx.

A teacher projects a student's session: the teacher's own `bpl_browser` cookie routes the watch
socket to whichever process it hashes to, here always the other one. Release 1 answered 4003
(the session was looked up in memory only) and the page gave up for good.
"""

from __future__ import annotations

import json
import secrets

import pytest

from tests.scaleout.conftest import Cluster
from tests.scaleout.test_nginx_scaleout import hello_and_state, other, recv_until, step

FAST = {"BPL_CHECKPOINT_INTERVAL_S": "0.5", "BPL_REAP_INTERVAL_S": "0.2"}


def cookie_for(cluster: Cluster, instance: str) -> str:
    """A browser cookie that nginx routes to `instance` (found by trying: ~2 tries)."""
    for _ in range(40):
        cookie = secrets.token_urlsafe(16)
        ws = cluster.ws("", cookie=cookie)
        served = cluster.served(ws).name
        ws.close()
        if served == instance:
            return cookie
    raise AssertionError(f"no cookie routed to {instance} in 40 tries")


@pytest.mark.parametrize("cluster", [FAST], indirect=True)
def test_a_teacher_watches_a_session_held_by_the_other_process(cluster: Cluster) -> None:
    student = cluster.ws("", cookie=cluster.browser_cookie())
    home = cluster.served(student)
    hello, _ = hello_and_state(student)
    step(student, 5, expect_step=5)
    teacher_cookie = cookie_for(cluster, other(cluster, home).name)
    watch = f"?watch={hello['session']}&key={hello['watch_key']}"
    teacher = cluster.ws(watch, cookie=teacher_cookie)
    assert cluster.served(teacher) is not home, "the watch socket reached the other process"
    seen = recv_until(teacher, "hello")
    assert seen["role"] == "watch" and "token" not in seen
    first = recv_until(teacher, "state")
    assert first["step"] <= 5
    # The student trains on; the spectator follows through the checkpoints (every 0.5 s here).
    step(student, 7, expect_step=12)
    recv_until(teacher, "state", timeout=15, step=12)
    teacher.send(json.dumps({"type": "ping"}))
    recv_until(teacher, "pong")
    teacher.send(json.dumps({"type": "step"}))
    assert recv_until(teacher, "error")["code"] == "read_only"


@pytest.mark.parametrize("cluster", [FAST], indirect=True)
def test_a_spectator_gets_the_session_before_its_student_after_a_restart(cluster: Cluster) -> None:
    student = cluster.ws("", cookie=cluster.browser_cookie())
    home = cluster.served(student)
    hello, _ = hello_and_state(student)
    step(student, 3, expect_step=3)
    student.close()  # checkpointed on disconnect; then its process restarts (stopped here)
    from tests.scaleout.conftest import _stop

    _stop(home.process)
    watch = f"?watch={hello['session']}&key={hello['watch_key']}"
    spectator = cluster.ws(watch)  # lands on the surviving process
    assert recv_until(spectator, "hello")["role"] == "watch"
    assert recv_until(spectator, "state")["step"] == 3
