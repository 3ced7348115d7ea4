"""The attack benchmark (issue 14's load target) measures what it says it measures.

A short run with a small cast: the cookie-less budget is filled and the sockets over it are
refused with 1013 and retried, every student resume is checked against the last `iteration`
it received, and the connection-cost probe answers per refusal. Nothing here asserts a timing
(figures are for BENCHMARKS.md §9); these are the harness's own guarantees.
"""

from __future__ import annotations

import orjson
import pytest

from bench import attack


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # 8 sessions in all, so 4 without a cookie (half): 6 attackers leave 2 over the budget.
    monkeypatch.setitem(attack.ATTACK_ENV, "BPL_MAX_SESSIONS", "8")
    monkeypatch.setattr(attack.Attacker, "retry_s", 1.0)
    monkeypatch.setattr(attack, "RECONNECT_S", 4.0)


def test_a_short_attack_refuses_the_extra_sockets_and_every_resume_is_verified(
    small_budget: None,
) -> None:
    result = attack.run(12.0, attackers=6, students=2)

    assert result["student_errors"] == []
    assert result["attacker_sessions"] == 4  # the cookie-less budget, no more
    assert result["attacker_refused_1013"] >= 2  # the two over it, refused (and retrying)
    assert result["attacker_other_failures"] == 0
    assert result["resumes_failed"] == []
    # Each student stepped, dropped its socket and came back at least once in 12 s.
    assert result["resumes_ok"] >= 2
    assert result["student_steps"] > 0
    assert result["healthz_n"] > 0 and result["healthz_failures"] == 0


def test_a_resume_that_comes_back_with_other_weights_is_counted_as_failed(
    small_budget: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is real: one weight remembered 1e-12 off makes the resume count as failed."""
    original = attack.Student.reconnect

    async def reconnect_with_a_wrong_memory(self: attack.Student) -> None:
        if self.last_iteration:
            last = orjson.loads(self.last_iteration)
            last["layers"][0]["W_next"][0][0] += 1e-12
            self.last_iteration = orjson.dumps(last).decode()
        await original(self)

    monkeypatch.setattr(attack.Student, "reconnect", reconnect_with_a_wrong_memory)
    result = attack.run(8.0, attackers=0, students=1)

    assert result["resumes_ok"] == 0
    assert result["resumes_failed"], result


def test_connection_cost_reports_a_figure_per_refusal_and_per_health_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(attack.ATTACK_ENV, "BPL_MAX_SESSIONS", "8")
    cost = attack.connection_cost(count=100)

    assert cost["close_codes"] == [1013]
    assert cost["refusal_cpu_ms"] >= 0 and cost["healthz_cpu_ms"] >= 0
    assert cost["refusal_wall_s"] > 0 and cost["healthz_wall_s"] > 0
