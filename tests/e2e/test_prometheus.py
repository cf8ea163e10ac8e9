"""The four services as a real Prometheus sees them: Debian's prometheus,
started on loopback with a generated scrape config and the chart's rendered
alert rules, scrapes a stack (PostgreSQL, Kafka, authority, api, http2kafka,
consumer) that ran the seed story (create / verify / ingest / revoke). Every
metric docs/metrics.md names is exposed by the services it names (and nothing
undocumented is), each service's story shows as non-zero series, every
dashboard panel and alert expression is valid PromQL over metrics that exist,
and every log line, all four services logging JSON, parses with json.loads
and holds no token content, token-shaped input included."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest
import requests
import yaml

import seed_story
import stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
HELM = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", ROOT / ".local")) / "bin" / "helm"
NAMESPACE = "tokengate-e2e"
SERVICES = {"authority": "token-authority", "api": "tokengate-api", "edge": "http2kafka",
            "consumer": "lineage-consumer"}
# docs/metrics.md's names for the services.
DOC_NAMES = {"authority": "authority", "api": "api", "http2kafka": "edge", "consumer": "consumer"}
# The settings of this stack that a parenthesised row of docs/metrics.md may depend on.
MET_CONDITIONS = {"with `TOKENGATE_AUDIT_KAFKA_BROKERS`"}
METRIC_NAME = re.compile(r"\b(?:tokengate|lineage)_[a-z0-9_]+")


def documented_metrics():
    """{name: [(service key, condition or None)]} from docs/metrics.md's table."""
    rows = {}
    for line in (ROOT / "docs" / "metrics.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        name, services = cells[0].strip("`"), cells[3]
        match = re.fullmatch(r"\((\w+): (.+)\)", services)
        if match:
            rows[name] = [(DOC_NAMES[match.group(1)], match.group(2))]
        else:
            rows[name] = [(DOC_NAMES[s.strip()], None) for s in services.split(",")]
    assert len(rows) > 40, "the table of docs/metrics.md was not found"
    return rows


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA) as topic, stack.fresh_database("tg_prom") as db:
        def start(program, env):
            env = {**env, "TOKENGATE_LOG_FORMAT": "json"}
            if program == "token-authority":
                env.update(stack.env_of({"metrics_listen": "127.0.0.1:0", "metrics_refresh_seconds": 1,
                                         "audit_kafka_brokers": KAFKA,
                                         "audit_topic": f"audit-{uuid.uuid4().hex[:8]}"}))
            return stack.Service(program, env).start()

        services = seed_story.start_system(start, db, KAFKA, topic)
        try:
            match = stack.eventually(
                lambda: re.search(r"token-authority metrics listening on port (\d+)", services["authority"].log()))
            assert match, services["authority"].log()[-2000:]
            urls = {key: service.url for key, service in services.items()}
            urls["authority"] = f"http://127.0.0.1:{match.group(1)}"
            seed_story.run_story(services["api"].url, services["edge"].url)
            yield services, urls
        finally:
            for name in ("consumer", "edge", "api", "authority"):
                services[name].stop()


def rendered_rules():
    result = subprocess.run([str(HELM), "template", "tg", str(ROOT / "helm" / "tokengate"), "--namespace", NAMESPACE,
                             "-f", str(ROOT / "helm" / "tokengate" / "ci" / "keycloak-values.yaml"),
                             "--set", "metrics.prometheusRule.enabled=true"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (rule,) = [o for o in yaml.safe_load_all(result.stdout) if o and o["kind"] == "PrometheusRule"]
    return rule["spec"]


@pytest.fixture(scope="module")
def prometheus(system):
    _, urls = system
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus missing: deploy/local/install-deps.sh installs Debian's prometheus")
    work = pathlib.Path(tempfile.mkdtemp(prefix="tokengate-prometheus-"))
    (work / "rules.yaml").write_text(yaml.safe_dump(rendered_rules()))
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
              "rule_files": [str(work / "rules.yaml")],
              "scrape_configs": [{"job_name": "tokengate", "static_configs": [
                  {"targets": [url.removeprefix("http://")], "labels": {"namespace": NAMESPACE, "pod": key}}
                  for key, url in urls.items()]}]}
    (work / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = stack.free_port()
    with open(work / "prometheus.log", "w") as log:
        process = subprocess.Popen([binary, f"--config.file={work / 'prometheus.yml'}",
                                    f"--storage.tsdb.path={work / 'data'}",
                                    f"--web.listen-address=127.0.0.1:{port}"],
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
        except requests.ConnectionError:
            return process.poll() is not None

    try:
        assert stack.eventually(ready, timeout=60) and process.poll() is None, (work / "prometheus.log").read_text()
        up = stack.eventually(lambda: len([r for r in query(url, "up == 1")]) == len(urls) or None, timeout=30)
        assert up, f"not every target is up: {query(url, 'up')}"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def query(url, expr):
    """The instant vector `expr` evaluates to (an error fails the test with Prometheus's message)."""
    answer = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
    return answer["data"]["result"]


def value(url, expr):
    result = query(url, expr)
    return float(result[0]["value"][1]) if result else 0.0


def test_every_documented_metric_is_exposed_and_every_exposed_one_documented(system):
    _, urls = system
    families = {}
    for key, url in urls.items():
        text = requests.get(f"{url}/metrics", timeout=10).text
        families[key] = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    documented = documented_metrics()
    missing = [(name, key) for name, where in documented.items() for key, condition in where
               if condition is None or condition in MET_CONDITIONS
               if name not in families[key]]
    assert not missing, f"documented but not exposed: {missing}"
    undocumented = [(name, key) for key, names in families.items() for name in names
                    if name not in documented or key not in [k for k, _ in documented[name]]]
    assert not undocumented, f"exposed but not in docs/metrics.md: {undocumented}"


def test_prometheus_sees_the_story_on_every_service(prometheus):
    expected = {
        "authority issued": 'sum(tokengate_authority_rpcs_total{pod="authority",method="IssueToken",code="OK"})',
        "authority revoked": 'sum(tokengate_authority_rpcs_total{pod="authority",method="RevokeToken",code="OK"})',
        "authority verified": 'sum(tokengate_authority_verify_results_total{pod="authority",result="valid"})',
        "authority streams": 'sum(tokengate_authority_watch_streams{pod="authority"})',
        "authority revocation log": 'max(tokengate_authority_revocation_position{pod="authority"})',
        "authority build": 'sum(tokengate_build_info{pod="authority",program="token-authority"})',
        "api requests": 'sum(tokengate_http_requests_total{pod="api",status="200"})',
        "api revocations learnt": 'min(tokengate_revocation_watch_position{pod="api"})',
        "http2kafka accepted": 'sum(tokengate_http2kafka_events_accepted_total{pod="edge"})',
        "http2kafka refused the revoked token": 'sum(tokengate_http2kafka_responses_total{pod="edge",status="401"})',
        "http2kafka revocations learnt": 'min(tokengate_revocation_watch_position{pod="edge"})',
        "consumer stored": 'sum(lineage_consumer_events_total{pod="consumer",result="stored"})',
    }
    seen = {what: stack.eventually(lambda: value(prometheus, expr), timeout=30) for what, expr in expected.items()}
    assert all(seen.values()), f"zero or absent: {[what for what, v in seen.items() if not v]}"
    assert seen["authority streams"] == 2  # api's and http2kafka's
    assert seen["http2kafka accepted"] >= 2 and seen["consumer stored"] >= 2


def dashboard_expressions():
    dashboard = json.loads((ROOT / "helm" / "tokengate" / "files" / "dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) > 20
    # Grafana's variables as Grafana fills them: all namespaces, a rate window.
    return [e.replace("$namespace", ".*").replace("$__rate_interval", "1m") for e in exprs]


def test_every_dashboard_panel_shows_data(prometheus):
    # Counters that only move when something fails (nothing does in the story).
    failures_only = ("tokengate_http2kafka_kafka_delivery_errors_total", "tokengate_authority_rpc_errors_total")
    empty = [e for e in dashboard_expressions()
             if not any(name in e for name in failures_only)
             and not stack.eventually(lambda: query(prometheus, e), timeout=15)]
    assert not empty, f"panels without data: {empty}"


def test_every_dashboard_and_alert_expression_is_valid_over_metrics_that_exist(prometheus):
    alert_exprs = [r["expr"] for g in rendered_rules()["groups"] for r in g["rules"]]
    documented = documented_metrics()
    for expr in dashboard_expressions() + alert_exprs:
        query(prometheus, expr)  # Parses and evaluates.
        for name in METRIC_NAME.findall(expr):
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            assert family in documented, f"{expr} uses {name}, which no service exposes"
    # Prometheus loaded the same rules and evaluates each without error.
    groups = requests.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(alert_exprs)
    assert stack.eventually(lambda: all(r["health"] == "ok" for g in requests.get(
        f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"] for r in g["rules"]), timeout=15)
    # A healthy stack fires nothing.
    firing = query(prometheus, 'ALERTS{alertstate="firing"}')
    assert not firing, firing


# Last: it stops the stack.
def test_json_logs_parse_line_by_line_and_hold_no_token(system):
    services, urls = system
    api = urls["api"]
    access = stack.login(api, user="log-reader")
    token = stack.create_token(api, access, name="log-check")["content"]
    secret_part = token.removeprefix("personal_token_")
    # The token wherever a client can put text that may reach a log.
    requests.post(f"{api}/v1/auth/token", data={"username": token, "password": token}, timeout=10)
    requests.get(f"{api}/v1/users/me", headers={**stack.bearer(token), "X-Request-ID": token, "User-Agent": token},
                 timeout=10)
    requests.get(f"{api}/v1/users/me", headers=stack.bearer(token[:-2] + "xx"), timeout=10)
    requests.post(f"{api}/v1/personal-tokens", json={"name": token}, headers=stack.bearer(access), timeout=10)
    requests.post(f"{urls['edge']}/v1/openlineage", data=token, headers={**stack.bearer(token), "X-Request-ID": token},
                  timeout=10)
    requests.post(f"{urls['edge']}/v1/openlineage", json={"eventType": token}, headers=stack.bearer(token[:-1]),
                  timeout=10)
    for service in services.values():
        service.stop()  # The whole run, shutdown included.
    for key, service in services.items():
        log = service.log()
        assert secret_part not in log and secret_part[:40] not in log, f"{key}'s log holds token content"
        lines = log.splitlines()
        assert lines, f"{key} logged nothing"
        for line in lines:
            record = json.loads(line)
            assert {"time", "level", "program", "message"} <= record.keys(), line
            assert record["program"] == SERVICES[key], line
