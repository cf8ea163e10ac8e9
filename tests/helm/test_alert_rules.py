"""The chart's PrometheusRule, as `helm template` renders it, is what Prometheus
accepts (`promtool check rules`) and fires when it should (`promtool test
rules` with synthetic series): the revocation-stream, audit-outbox and
authority-unreachable alerts fire after their `for`, and not on healthy series.
"""
import pathlib
import shutil
import subprocess

import pytest
import yaml

from test_chart_renders import render

NAMESPACE = "lineage"  # test_chart_renders renders into it


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory):
    if shutil.which("promtool") is None:
        pytest.fail("promtool missing: deploy/local/install-deps.sh installs Debian's prometheus")
    objects = render({"metrics": {"prometheusRule": {"enabled": True}}})
    (rule,) = [o for o in objects if o["kind"] == "PrometheusRule"]
    path = tmp_path_factory.mktemp("rules") / "tokengate-rules.yaml"
    path.write_text(yaml.safe_dump(rule["spec"]))
    return path


def annotations(rules_file, alert, substitutions):
    """The alert's annotations with its template expressions replaced as promtool should expand them."""
    (rule,) = [r for g in yaml.safe_load(rules_file.read_text())["groups"] for r in g["rules"]
               if r.get("alert") == alert]
    out = {}
    for key, text in rule["annotations"].items():
        for template, value in substitutions.items():
            text = text.replace(template, value)
        assert "{{" not in text, f"{alert}.{key} has an expression the test does not expand: {text}"
        out[key] = text
    return out


def promtool_test(tmp_path, rules_file, tests):
    spec = tmp_path / "rules_test.yaml"
    spec.write_text(yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "15s",
                                    "tests": tests}))
    result = subprocess.run(["promtool", "test", "rules", str(spec)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_rules_are_valid_prometheus_rules(rules_file):
    result = subprocess.run(["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = [r for g in yaml.safe_load(rules_file.read_text())["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} >= {
        "TokengateAuthorityUnreachable", "TokengateRevocationStreamDown", "TokengateAuditOutboxBehind",
        "TokengateNoticesFailing", "TokengateHttp2kafkaErrors", "TokengateKafkaDeliveryFailures",
        "TokengateConsumerLag"}
    for rule in rules:
        assert f'namespace="{NAMESPACE}"' in rule["expr"], rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert rule["annotations"]["runbook"].startswith("docs/operations.md#"), rule["alert"]


def test_every_runbook_section_exists(rules_file):
    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    anchors = {line.lstrip("#").strip().lower().replace(" ", "-") for line in doc.splitlines()
               if line.startswith("### ")}
    for group in yaml.safe_load(rules_file.read_text())["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["runbook"].split("#")[1] in anchors, rule["alert"]


def test_revocation_stream_down_fires_after_30_seconds_closed(tmp_path, rules_file):
    pod = f'namespace="{NAMESPACE}",pod="api-7"'
    promtool_test(tmp_path, rules_file, [{
        "interval": "15s",
        "input_series": [
            {"series": f"tokengate_revocation_watch_connected{{{pod}}}", "values": "1 1 0 0 0 0 0 0"},
            {"series": f'tokengate_revocation_watch_connected{{namespace="{NAMESPACE}",pod="h2k-1"}}',
             "values": "1x8"}],
        "alert_rule_test": [
            {"eval_time": "45s", "alertname": "TokengateRevocationStreamDown", "exp_alerts": []},
            {"eval_time": "75s", "alertname": "TokengateRevocationStreamDown", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "namespace": NAMESPACE, "pod": "api-7"},
                "exp_annotations": annotations(rules_file, "TokengateRevocationStreamDown",
                                               {"{{ $labels.pod }}": "api-7"})}]}]}])


def test_audit_outbox_older_than_5_minutes_fires(tmp_path, rules_file):
    # Two replicas report the same table; the older age wins, once.
    series = [{"series": f'tokengate_authority_audit_outbox_oldest_seconds{{namespace="{NAMESPACE}",pod="a-{i}"}}',
               "values": "0 60 120 180 240 300 360 420 480 540"} for i in (1, 2)]
    promtool_test(tmp_path, rules_file, [{
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "TokengateAuditOutboxBehind", "exp_alerts": []},
            {"eval_time": "7m", "alertname": "TokengateAuditOutboxBehind", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "namespace": NAMESPACE},
                "exp_annotations": annotations(rules_file, "TokengateAuditOutboxBehind",
                                               {"{{ $value | humanizeDuration }}": "7m 0s"})}]}]}])


def test_authority_unreachable_fires_when_most_verify_rpcs_fail(tmp_path, rules_file):
    pod = f'namespace="{NAMESPACE}",pod="h2k-3"'
    healthy = f'namespace="{NAMESPACE}",pod="api-1"'
    promtool_test(tmp_path, rules_file, [{
        "interval": "30s",
        "input_series": [
            # From 2m on, every RPC of h2k-3 fails; api-1 fails one in ten.
            {"series": f"tokengate_verify_rpcs_total{{{pod}}}", "values": "0+10x20"},
            {"series": f"tokengate_verify_rpc_errors_total{{{pod}}}", "values": "0x4 0+10x16"},
            {"series": f"tokengate_verify_rpcs_total{{{healthy}}}", "values": "0+10x20"},
            {"series": f"tokengate_verify_rpc_errors_total{{{healthy}}}", "values": "0+1x20"}],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": "TokengateAuthorityUnreachable", "exp_alerts": []},
            {"eval_time": "7m", "alertname": "TokengateAuthorityUnreachable", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "namespace": NAMESPACE, "pod": "h2k-3"},
                "exp_annotations": annotations(rules_file, "TokengateAuthorityUnreachable",
                                               {"{{ $labels.pod }}": "h2k-3",
                                                "{{ $value | humanizePercentage }}": "100%"})}]}]}])


def test_notices_failing_fires_on_the_first_failure(tmp_path, rules_file):
    failed = f'tokengate_authority_notices{{namespace="{NAMESPACE}",pod="a-1",channel="webhook",state="failed"}}'
    promtool_test(tmp_path, rules_file, [{
        "interval": "1m",
        "input_series": [{"series": failed, "values": "0 0 0 1 1 1"}],
        "alert_rule_test": [
            {"eval_time": "2m", "alertname": "TokengateNoticesFailing", "exp_alerts": []},
            {"eval_time": "4m", "alertname": "TokengateNoticesFailing", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "namespace": NAMESPACE, "channel": "webhook"},
                "exp_annotations": annotations(rules_file, "TokengateNoticesFailing",
                                               {"{{ $labels.channel }}": "webhook"})}]}]}])
