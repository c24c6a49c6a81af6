"""deploy/prometheus/ and deploy/grafana/: the alerts pass promtool (its checks and the cases
in tests/prometheus/alerts_test.yml), the example configuration loads, and every metric the
alerts and the dashboard name is one /metrics gives."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from metrics_support import AUTH, TOKEN, exposed_names
from support import sign

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "campaign_site.json"
METRIC = re.compile(r"\bcampaign_site_[a-z_]+\b")
REQUIRED_ALERTS = {
    "CampaignSiteMailBacklog",
    "CampaignSiteBackupOverdue",
    "CampaignSiteServerErrors",
    "CampaignSiteTrending",
    "CampaignSiteRateLimitStoreDown",
}


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is not installed: `make tools` installs Debian's prometheus")
        pytest.skip("promtool is not installed (make tools)")
    return subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_alerts_pass_promtools_check():
    result = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_alerts_fire_when_they_should_and_only_then():
    result = promtool("test", "rules", str(ROOT / "tests" / "prometheus" / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_scrape_configuration_loads(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    config = (PROMETHEUS / "prometheus.yml").read_text()
    assert "/etc/prometheus/campaign_site_metrics_token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/campaign_site_metrics_token", str(token_file))
    )
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path)
    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _alert_names_and_expressions() -> tuple[set[str], str]:
    """The alerts' names, and their text without comments (no YAML parser is installed;
    promtool has checked the file's shape)."""
    text = (PROMETHEUS / "alerts.yml").read_text()
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    return set(re.findall(r"- alert: (\w+)", text)), "\n".join(lines)


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_dashboard_is_importable_json_on_one_prometheus():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["title"] and dashboard["uid"] and dashboard["panels"]
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}" and panel["targets"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_every_metric_the_alerts_and_the_dashboard_name_is_exposed(app_factory):
    app = app_factory(METRICS_TOKEN=TOKEN, WAIT_FOR_CONTENT=False)
    client = app.test_client()
    sign(client)  # a request and a signing attempt, so the labelled series exist
    exposed = exposed_names(client.get("/metrics", headers=AUTH).get_data(as_text=True))

    alerts, expressions = _alert_names_and_expressions()
    assert REQUIRED_ALERTS <= alerts
    named = {
        name for text in [expressions, *_dashboard_expressions()] for name in METRIC.findall(text)
    }
    assert named, "no metric found in the alerts or the dashboard"
    assert named - exposed == set()
