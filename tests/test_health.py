"""/health and /metrics through the Flask app, with a controllable clock."""

from __future__ import annotations

from oura_collector.health import Metrics, create_app
from oura_collector.status import CollectorStatus, CycleResult

INTERVAL = 3600


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _result(clock: Clock, ok: bool, **kwargs: object) -> CycleResult:
    return CycleResult(
        ok=ok,
        started_at=clock.now - 20,
        finished_at=clock.now,
        streams={"daily_sleep": {"records": 7, "window": ["2026-11-23", "2026-11-30"]}},
        **kwargs,
    )


def _client(clock: Clock) -> tuple[CollectorStatus, Metrics, object]:
    status, metrics = CollectorStatus(INTERVAL, clock=clock), Metrics()
    return status, metrics, create_app(status, metrics).test_client()


def test_health_goes_starting_ok_failing_ok() -> None:
    clock = Clock()
    status, _metrics, client = _client(clock)
    starting = client.get("/health")
    assert starting.status_code == 200 and starting.json["status"] == "starting"

    clock.now += 30
    status.cycle_finished(_result(clock, True), next_run=clock.now + INTERVAL)
    ok = client.get("/health")
    assert ok.status_code == 200 and ok.json["status"] == "ok"
    assert ok.json["last_cycle"]["streams"] == {"daily_sleep": 7}
    assert ok.json["next_run"] is not None and ok.json["last_error"] is None

    clock.now += INTERVAL
    failed = _result(clock, False, error="Oura answered 503 ... gave up after 4 attempts")
    status.cycle_finished(failed, next_run=clock.now + INTERVAL)
    failing = client.get("/health")
    assert failing.status_code == 503 and failing.json["status"] == "failing"
    assert "gave up" in failing.json["last_error"]
    assert failing.json["last_success"] is not None and failing.json["auth_ok"]

    clock.now += INTERVAL
    status.cycle_finished(_result(clock, True), next_run=clock.now + INTERVAL)
    assert client.get("/health").status_code == 200


def test_no_success_for_two_intervals_is_unhealthy_even_while_a_cycle_runs() -> None:
    clock = Clock()
    status, _, client = _client(clock)
    clock.now += 2 * INTERVAL - 1
    assert client.get("/health").status_code == 200
    status.cycle_started()
    clock.now += 2
    stale = client.get("/health")
    assert stale.status_code == 503
    assert stale.json["running"] and "no successful cycle" in stale.json["reasons"][0]


def test_broken_authorisation_says_so() -> None:
    clock = Clock()
    status, _, client = _client(clock)
    failed = _result(
        clock, False, error="Oura refused the refresh token", error_type="RefreshTokenRejected"
    )
    status.cycle_finished(failed, next_run=None)
    body = client.get("/health").json
    assert body["auth_ok"] is False
    assert any("re-authorise" in reason for reason in body["reasons"])


def test_metrics_count_records_cycles_and_last_success() -> None:
    clock = Clock()
    status, metrics, client = _client(clock)
    for ok in (True, False, True):
        result = _result(clock, ok)
        metrics.observe(result)
        status.cycle_finished(result, next_run=None)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'oura_records_total{stream="daily_sleep"} 21.0' in text
    assert 'oura_cycles_total{outcome="success"} 2.0' in text
    assert 'oura_cycles_total{outcome="failure"} 1.0' in text
    assert "oura_last_success_timestamp_seconds 1.8e+09" in text
    assert "oura_cycle_duration_seconds_count 3.0" in text


def test_liveness_fails_only_for_a_wedged_cycle() -> None:
    clock = Clock()
    status, _, client = _client(clock)
    status.cycle_finished(_result(clock, False, error="Oura is down"), next_run=None)
    assert client.get("/health").status_code == 503  # readiness: not ready
    assert client.get("/health?probe=live").status_code == 200  # but alive: no restart
    status.cycle_started()
    clock.now += 2 * 3600
    assert client.get("/health?probe=live").status_code == 200
    clock.now += 2 * 3600
    wedged = client.get("/health?probe=live")
    assert wedged.status_code == 503 and "running for" in wedged.json["detail"]


def test_old_meltano_run_logs_are_pruned(tmp_path) -> None:
    import os  # noqa: PLC0415
    import time  # noqa: PLC0415

    from oura_collector.pipeline import prune_run_logs  # noqa: PLC0415

    root = tmp_path / "elt"
    old, new = (
        root / "devtap-oura-to-target-postgres" / "a",
        root / "devtap-oura-to-target-postgres" / "b",
    )
    for run in (old, new):
        run.mkdir(parents=True)
        (run / "elt.log").write_text("log")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    assert prune_run_logs(root=root) == 1
    assert not old.exists() and new.exists()
