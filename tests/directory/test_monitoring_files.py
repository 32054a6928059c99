"""The compose stack's monitoring files: valid YAML, scraping what compose runs, alerting on real figures.

``promtool`` is not part of the project; these checks are what can be known without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
SUFFIXES = ("", "_total", "_count", "_sum", "_bucket")


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_prometheus_scrapes_the_app_and_the_worker_that_compose_runs_with_the_token():
    compose, prometheus = _load(ROOT / "docker-compose.yml"), _load(MONITORING / "prometheus.yml")
    service = compose["services"]["prometheus"]
    assert service["profiles"] == ["monitoring"]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert mounted["/etc/prometheus/prometheus.yml"] == "./deploy/monitoring/prometheus.yml"
    for rules in prometheus["rule_files"]:
        assert mounted[rules] == f"./deploy/monitoring/{Path(rules).name}"
    worker_port = compose["services"]["worker"]["environment"]["CHANNEL_EXPERT_WORKER_METRICS_PORT"]
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]}
    assert targets == {"app": ["app:8000"], "worker": [f"worker:{worker_port}"]}
    secret = service["secrets"][0]
    assert compose["secrets"][secret] == {"environment": "CHANNEL_EXPERT_METRICS_TOKEN"}
    for job in prometheus["scrape_configs"]:
        assert job["authorization"]["credentials_file"] == f"/run/secrets/{secret}"


async def test_every_alert_names_figures_that_a_scrape_shows(client):
    shown = {family.name for family in text_string_to_metric_families((await client.get("/metrics")).text)}
    rules = [rule for group in _load(MONITORING / "alerts.yml")["groups"] for rule in group["rules"]]
    assert {"JobsWaitingForAWorker", "SearchIndexLagging", "MailFailing"} <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert rule["annotations"]["summary"] and rule["for"]
        for name in re.findall(r"\bchannel_expert_\w+", rule["expr"]):
            assert any(name == family + suffix for family in shown for suffix in SUFFIXES), name
