"""The alert rules and the Prometheus/Alertmanager configuration (docs/metrics-and-alerts.md).

With the host's `promtool` (Debian: `apt-get install prometheus`): the rules' unit tests in
compose/prometheus/tests/, `promtool check rules` and `promtool check config`; without it
those are skipped, saying so. Always: every rule has a summary, a window and `for:` in its
comment, and a unit test; every metric an alert names is one a service or an exporter of
the sandbox exports; every scrape target is a service of the topology.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import services.platform.gauges  # noqa: F401 - registers the db_pool_* collector
from services.platform.metrics import HTTP_LATENCY

REPO = Path(__file__).resolve().parents[1]
PROM_DIR = REPO / "compose" / "prometheus"
ALERTS = PROM_DIR / "alerts.yml"
RULE_TESTS = sorted((PROM_DIR / "tests").glob("*.yml"))
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="no promtool on this host (Debian: apt-get install -y prometheus)")

# What the exporters of the sandbox export, by name, from their documentation, for the
# versions Debian bookworm packages (the names the rules and docs rely on, not all of them).
EXPORTER_METRICS: dict[str, set[str]] = {
    # rabbitmq-server 3.10.8, rabbitmq_prometheus, /metrics/per-object (labels vhost, queue)
    "rabbitmq_prometheus": {
        "rabbitmq_queue_messages", "rabbitmq_queue_messages_ready",
        "rabbitmq_queue_messages_unacked", "rabbitmq_queue_consumers",
        "rabbitmq_connections", "rabbitmq_channels", "rabbitmq_consumers", "rabbitmq_queues",
    },
    # prometheus-postgres-exporter 0.11.1
    "postgres_exporter": {
        "pg_up", "pg_stat_database_numbackends", "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback", "pg_database_size_bytes", "pg_locks_count",
        "pg_stat_activity_count", "pg_exporter_last_scrape_error",
    },
    # prometheus-redis-exporter 1.45.0
    "redis_exporter": {
        "redis_up", "redis_connected_clients", "redis_memory_used_bytes",
        "redis_commands_processed_total", "redis_keyspace_hits_total",
        "redis_keyspace_misses_total", "redis_exporter_last_scrape_error",
    },
    # prometheus-nginx-exporter 0.11.0, from stub_status
    "nginx_exporter": {
        "nginx_up", "nginx_connections_accepted", "nginx_connections_active",
        "nginx_connections_handled", "nginx_connections_reading", "nginx_connections_waiting",
        "nginx_connections_writing", "nginx_http_requests_total",
    },
    # Prometheus itself, for every target
    "prometheus": {"up", "scrape_duration_seconds", "scrape_samples_scraped"},
}
_SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",),
             "histogram": ("_bucket", "_count", "_sum", "_created"),
             "summary": ("_count", "_sum", "_created"), "info": ("_info",)}
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
             "group_left", "group_right", "inf", "nan"}


def service_metrics() -> set[str]:
    """Sample names the services export: the platform's registry (metrics.py, gauges.py)."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + s for s in _SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads.

    >>> sorted(metric_names('sum by (service) (rate(a_total{x="y"}[1m])) / b > 0.5 and on (q) c'))
    ['a_total', 'b', 'c']
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = set()
    for match in re.finditer(r"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        rest = text[match.end():].lstrip()
        if rest.startswith("(") or match.group().lower() in _KEYWORDS:
            continue  # a function, an aggregation or a keyword
        found.add(match.group())
    return found


def rules() -> list[dict]:
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_the_rules_are_the_expected_alerts() -> None:
    assert {r["alert"] for r in rules()} == {
        "TargetDown", "HighLatency", "HighErrorRate", "QueueBacklog", "QueueNoConsumer",
        "DeadLetterNotEmpty", "OutboxStuck"}


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_every_rule_has_a_summary_and_a_severity(rule: dict) -> None:
    assert rule["annotations"]["summary"].strip()
    assert rule["labels"]["severity"] in {"warning", "critical"}


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_every_rule_states_its_window_and_for_in_its_comment(rule: dict) -> None:
    lines = ALERTS.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- alert: {rule['alert']}")
    comment = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        comment.insert(0, line.strip("# ").strip())
    text = " ".join(comment)
    assert "window" in text, f"{rule['alert']}: say its window in the comment above it"
    assert "for:" in text, f"{rule['alert']}: say its `for:` in the comment above it"
    # a `for:` stated as "no `for:`" or as the rule's own value
    stated = rule.get("for")
    assert stated is None or f"for: {stated}" in text, f"{rule['alert']}: comment says another for:"


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_every_rule_has_a_promtool_unit_test(rule: dict) -> None:
    tested = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    tested.add(check["alertname"])
    assert rule["alert"] in tested, f"no test in compose/prometheus/tests fires {rule['alert']}"


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r["alert"])
def test_every_metric_an_alert_reads_is_exported(rule: dict) -> None:
    known = service_metrics().union(*EXPORTER_METRICS.values())
    names = metric_names(rule["expr"])
    assert names, rule["expr"]
    assert names <= known, f"{rule['alert']} reads metrics nothing exports: {names - known}"


def test_metric_names_are_found_in_every_rule_shape() -> None:
    assert metric_names('up == 0 or pg_up == 0') == {"up", "pg_up"}
    assert metric_names('histogram_quantile(0.99, sum by (service, le) '
                        '(rate(h_bucket{route!="/metrics", le="0.5"}[30s]))) > 0.5') == {"h_bucket"}
    assert metric_names('x{queue!~".*[.]dlq"} > 1e3') == {"x"}


def test_the_latency_bound_is_a_bucket_of_the_http_histogram() -> None:
    # HighLatency counts the slow requests as the ones above the le="0.5" bucket
    assert 0.5 in HTTP_LATENCY._upper_bounds  # the histogram's own buckets
    assert 'le="0.5"' in next(r["expr"] for r in rules() if r["alert"] == "HighLatency")


def test_every_scrape_target_is_a_service_of_the_topology() -> None:
    compose = yaml.safe_load((REPO / "compose" / "docker-compose.yml").read_text())
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    hosts = {target.rsplit(":", 1)[0]
             for job in config["scrape_configs"] for static in job["static_configs"]
             for target in static["targets"]}
    assert hosts - {"127.0.0.1"} <= set(compose["services"]), hosts - set(compose["services"])
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"services", "workers", "gateway", "broker", "postgres", "cache"} <= jobs
    broker = next(job for job in config["scrape_configs"] if job["job_name"] == "broker")
    assert broker["metrics_path"] == "/metrics/per-object"  # rabbitmq_queue_* by queue


def test_alertmanager_sends_resolved_notices_soon_to_the_sink() -> None:
    config = yaml.safe_load((REPO / "compose" / "alertmanager" / "alertmanager.yml").read_text())
    route = config["route"]
    assert route["group_wait"] == "5s" and route["group_interval"] == "10s"
    assert {"alertname", "service", "queue"} <= set(route["group_by"])
    [receiver] = [r for r in config["receivers"] if r["name"] == route["receiver"]]
    [hook] = receiver["webhook_configs"]
    assert hook["send_resolved"] is True
    assert hook["url"].endswith("/internal/alerts")


def test_the_docs_describe_every_alert() -> None:
    doc = (REPO / "docs" / "metrics-and-alerts.md").read_text()
    for rule in rules():
        assert f"`{rule['alert']}`" in doc, rule["alert"]


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)


@needs_promtool
def test_promtool_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    done = _promtool("test", "rules", *(p.name for p in RULE_TESTS), cwd=PROM_DIR / "tests")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_checks_the_rules() -> None:
    done = _promtool("check", "rules", ALERTS.name, cwd=PROM_DIR)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_checks_the_config(tmp_path: Path) -> None:
    # the image holds both files in /etc/prometheus: here, side by side in a temp dir
    text = (PROM_DIR / "prometheus.yml").read_text()
    assert "/etc/prometheus/alerts.yml" in text
    (tmp_path / "prometheus.yml").write_text(text.replace("/etc/prometheus/alerts.yml", "alerts.yml"))
    shutil.copy(ALERTS, tmp_path / "alerts.yml")
    done = _promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
