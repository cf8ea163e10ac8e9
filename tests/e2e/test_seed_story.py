"""The seed's story end to end, every part real: PostgreSQL, Kafka, the
authority, api, http2kafka and consumer processes, the openlineage-python
client and curl-like HTTP. A person logs in, creates a personal token, an ETL
job emits lineage with it, and the API shows what was emitted; then the token
is revoked and stops working on both edges (tests/support/seed_story.py; the
image test runs the same story through containers)."""
import os

import pytest

import seed_story
import stack

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA) as topic, stack.fresh_database("tg_e2e") as db:
        services = seed_story.start_system(lambda program, env: stack.Service(program, env).start(),
                                           db, KAFKA, topic)
        yield services
        for name in ("consumer", "edge", "api", "authority"):
            services[name].stop()


def test_emitted_lineage_becomes_visible_and_revocation_stops_the_token(system):
    seed_story.run_story(system["api"].url, system["edge"].url)
