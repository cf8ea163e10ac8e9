"""Dates the lineage API cannot match are a 422 with pydantic-shaped details,
never a 500 or a silently misread date (runs are UUIDv7: none predates 1970)."""
import pytest
import requests

import stack


@pytest.mark.parametrize("value", ["0050-01-01T00:00:00Z", "0013-06-01T00:00:00Z", "0001-01-01",
                                   "0012-12-31T00:00:00Z", "1969-12-31T23:59:59Z"])
def test_run_dates_before_the_epoch_are_422(api, access_token, value):
    response = requests.get(f"{api.url}/v1/runs", params={"since": value},
                            headers=stack.bearer(access_token), timeout=10)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["location"] == ["query", "since"]
    assert detail["code"] == "greater_than_equal"


def test_run_dates_from_the_epoch_on_are_answered(api, access_token):
    response = requests.get(f"{api.url}/v1/runs", params={"since": "1970-01-01T00:00:00Z"},
                            headers=stack.bearer(access_token), timeout=10)
    assert response.status_code == 200, response.text
