"""The seed's story through the image: the four services run as containers
(host network, read-only root filesystem, user 10001, no capabilities)
against the tests' PostgreSQL and Kafka, driven by the real OpenLineage
client; the edges serve Swagger UI and the token page from the files the
image carries; SIGTERM stops each container with exit code 0."""
import os
import pathlib
import re

import pytest
import requests

import containers
import seed_story
import stack

KAFKA = os.environ["TOKENGATE_TEST_KAFKA"]
REPO = pathlib.Path(__file__).resolve().parents[2]
# What deploy/docker/build-image.sh copied into the image.
SWAGGER_UI = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", REPO / ".local")) / "npm/node_modules/swagger-ui-dist"


@pytest.fixture(scope="module")
def system():
    with seed_story.kafka_topic(KAFKA, "image") as topic, stack.fresh_database("tg_image") as db, \
            containers.containers() as start:
        yield seed_story.start_system(start, db, KAFKA, topic)


def test_emitted_lineage_becomes_visible_and_revocation_stops_the_token(system):
    seed_story.run_story(system["api"].url, system["edge"].url)


@pytest.mark.parametrize("edge", ["api", "edge"])
def test_docs_page_loads_every_asset_from_the_image(edge, system):
    url = system[edge].url
    page = requests.get(f"{url}/docs", timeout=10)
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(assets) >= 2, page.text
    for asset in assets:
        response = requests.get(url + asset, timeout=10)
        assert response.status_code == 200, asset
        assert response.content == (SWAGGER_UI / asset.rsplit("/", 1)[1]).read_bytes(), asset


def test_token_page_loads_from_the_image(system):
    url = system["api"].url
    page = requests.get(url + "/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assets = re.findall(r'(?:href|src)="/?([\w.-]+\.(?:js|css))"', page.text)
    assert len(assets) >= 2, page.text
    for asset in assets:
        assert requests.get(f"{url}/{asset}", timeout=10).status_code == 200, asset


@pytest.mark.parametrize("name", ["consumer", "edge", "api", "authority"])
def test_sigterm_stops_the_container_with_exit_code_0(name, system):
    system[name].stop()
