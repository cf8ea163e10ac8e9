"""Shared fixtures for the api's tests: one database, one authority and one
api per test module (real processes on port 0), and a fresh user per test so
tests never see each other's tokens."""
import uuid

import pytest

import stack


@pytest.fixture(scope="module")
def database():
    with stack.fresh_database("tg_api") as url:
        yield url


@pytest.fixture(scope="module")
def authority(database):
    with stack.authority(database) as service:
        yield service


@pytest.fixture(scope="module")
def api(authority, database):
    # The authority applied every migration, lineage tables included.
    with stack.api(authority.address, database_url=database) as service:
        yield service


@pytest.fixture
def user():
    return f"user-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def access_token(api, user):
    return stack.login(api.url, user)
