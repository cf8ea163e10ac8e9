"""Least privilege end to end (issue 21), every part real: PostgreSQL, Kafka,
the authority, the api, http2kafka and the consumer, and the real
openlineage-python client. Two teams create narrow tokens over REST, as the
page does: each team's write token delivers its own job namespace's events
and nothing else, and each team's read token sees only its own datasets,
jobs, runs and locations, counts included; another team's dataset looked up
by id answers exactly as an unknown id."""
import datetime
import os
import uuid

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

import seed_story
import stack

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
PRODUCER = "https://github.com/tokengate/tests/narrow-tokens"
TEAMS = {
    "a": {"job_namespace": "tg-team-a", "dataset_namespace": "postgres://team-a-db:5432"},
    "b": {"job_namespace": "tg-team-b", "dataset_namespace": "postgres://team-b-db:5432"},
}


def start(program, env):
    return stack.Service(program, env).start()


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA, prefix="narrow") as topic, stack.fresh_database("tg_narrow") as db:
        services = seed_story.start_system(start, db, KAFKA, topic)
        yield services
        for name in ("consumer", "edge", "api", "authority"):
            services[name].stop()


def create(api_url, access, **body):
    response = requests.post(f"{api_url}/v1/personal-tokens", json={"name": f"t-{uuid.uuid4().hex[:10]}", **body},
                             headers=stack.bearer(access), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["content"]


def client_for(edge_url, token):
    """The client as the page's openlineage.yml configures it."""
    config = HttpConfig.from_dict({"type": "http", "url": edge_url, "endpoint": "/v1/openlineage",
                                   "compression": "gzip", "auth": {"type": "api_key", "apiKey": token}})
    return OpenLineageClient(transport=HttpTransport(config))


def emit(client, job_namespace, job_name, dataset_namespace):
    run = Run(runId=str(uuid.uuid4()))
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                             run=run, job=Job(namespace=job_namespace, name=job_name), producer=PRODUCER,
                             inputs=[InputDataset(namespace=dataset_namespace, name=f"{job_name}.in")],
                             outputs=[OutputDataset(namespace=dataset_namespace, name=f"{job_name}.out")]))
    return run.runId


def get(api_url, path, token, **params):
    response = requests.get(f"{api_url}{path}", params=params, headers=stack.bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def teams(system):
    """Each team's owner, write token and read token, and one ingested run per team."""
    api, edge = system["api"].url, system["edge"].url
    out = {}
    for team, spaces in TEAMS.items():
        access = stack.login(api, f"owner-{team}")
        writer = create(api, access, scopes=["all:write"], namespaces=[spaces["job_namespace"]],
                        networks=["127.0.0.0/8", "::1/128"])
        reader = create(api, access, scopes=["all:read"],
                        namespaces=[spaces["job_namespace"], spaces["dataset_namespace"].split(":5432")[0] + "*"])
        run_id = emit(client_for(edge, writer), spaces["job_namespace"], f"etl-{team}", spaces["dataset_namespace"])
        out[team] = {"access": access, "writer": writer, "reader": reader, "run_id": run_id}
    unlimited = create(api, stack.login(api, "auditor"), scopes=["all:read"])
    ingested = stack.eventually(lambda: get(api, "/v1/runs", unlimited, since="2000-01-01T00:00:00Z")
                                ["meta"]["total_count"] == 2 and
                                get(api, "/v1/datasets", unlimited)["meta"]["total_count"] == 4, timeout=30)
    assert ingested, "both teams' runs and datasets should reach the lineage tables"
    out["unlimited"] = unlimited
    return out


def test_write_token_sends_its_namespace_only(system, teams):
    client = client_for(system["edge"].url, teams["a"]["writer"])
    with pytest.raises(Exception) as refused:
        emit(client, "tg-team-b", "intruder", "postgres://team-b-db:5432")
    assert "403" in str(refused.value)


def test_write_token_cannot_read(system, teams):
    response = requests.get(f"{system['api'].url}/v1/datasets", headers=stack.bearer(teams["a"]["writer"]),
                            timeout=10)
    assert response.status_code == 403


def test_read_token_cannot_write(system, teams):
    client = client_for(system["edge"].url, teams["a"]["reader"])
    with pytest.raises(Exception) as refused:
        emit(client, "tg-team-a", "reader-writes", "postgres://team-a-db:5432")
    assert "403" in str(refused.value)


@pytest.mark.parametrize("team", ["a", "b"])
def test_each_team_sees_only_its_own_lineage_counts_included(system, teams, team):
    api, reader = system["api"].url, teams[team]["reader"]
    datasets = get(api, "/v1/datasets", reader)
    assert sorted(d["data"]["name"] for d in datasets["items"]) == [f"etl-{team}.in", f"etl-{team}.out"]
    assert datasets["meta"]["total_count"] == 2 and datasets["meta"]["pages_count"] == 1
    jobs = get(api, "/v1/jobs", reader)
    assert [j["data"]["name"] for j in jobs["items"]] == [f"etl-{team}"]
    assert jobs["meta"]["total_count"] == 1
    runs = get(api, "/v1/runs", reader, since="2000-01-01T00:00:00Z")
    assert [r["id"] for r in runs["items"]] == [teams[team]["run_id"]]
    assert runs["meta"]["total_count"] == 1
    locations = get(api, "/v1/locations", reader)
    assert sorted(loc["data"]["name"] for loc in locations["items"]) == sorted(
        [f"tg-team-{team}", f"team-{team}-db:5432"])
    assert locations["meta"]["total_count"] == 2


def test_paging_counts_what_the_token_may_see(system, teams):
    page = get(system["api"].url, "/v1/datasets", teams["a"]["reader"], page_size=1, page=2)
    assert page["meta"]["total_count"] == 2 and page["meta"]["pages_count"] == 2
    assert not page["meta"]["has_next"] and len(page["items"]) == 1


def test_another_teams_entities_by_id_answer_as_unknown_ids(system, teams):
    api = system["api"].url
    everything = get(api, "/v1/datasets", teams["unlimited"])["items"]
    theirs = next(d["id"] for d in everything if d["data"]["name"].startswith("etl-b."))
    unknown = 10 ** 12
    assert get(api, "/v1/datasets", teams["a"]["reader"], dataset_id=theirs) == \
        get(api, "/v1/datasets", teams["a"]["reader"], dataset_id=unknown)
    assert get(api, "/v1/datasets", teams["a"]["reader"], dataset_id=theirs)["items"] == []
    assert get(api, "/v1/runs", teams["a"]["reader"], run_id=teams["b"]["run_id"])["items"] == []
    job_b = next(j["id"] for j in get(api, "/v1/jobs", teams["unlimited"])["items"] if j["data"]["name"] == "etl-b")
    assert get(api, "/v1/jobs", teams["a"]["reader"], job_id=job_b)["items"] == []


def test_unlimited_reader_sees_both_teams(system, teams):
    assert get(system["api"].url, "/v1/datasets", teams["unlimited"])["meta"]["total_count"] == 4
