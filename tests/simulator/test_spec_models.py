"""Every generated record carries every property of its spec model and validates against it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oura_simulator import Dataset
from oura_simulator.routes import ROUTES, Kind
from tests.simulator.helpers import (
    NOW,
    TODAY,
    Api,
    make_config,
    model_properties,
    model_validator,
    response_validator,
)

DOCUMENT_ROUTES = [route for route in ROUTES if route.kind is Kind.DOCUMENTS]
SERIES_ROUTES = [route for route in ROUTES if route.kind is Kind.SERIES]
# Long enough for rest mode (about once in 45 days) and for rare sleep types.
HISTORY_START = date(2025, 6, 1)
# Records with long sample arrays validate slowly: two weeks of them (DST night included).
HEAVY_ROUTES = {"daily_activity": 14, "sleep": 14, "session": 14}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """Return a dataset of two users with five months of history."""
    return Dataset(make_config(users=2, first_day=HISTORY_START))


@pytest.mark.parametrize("route", DOCUMENT_ROUTES, ids=lambda route: route.name)
def test_every_document_matches_its_model(dataset: Dataset, route) -> None:
    validator, properties = model_validator(route.model), model_properties(route.model)
    days = HEAVY_ROUTES.get(route.name)
    first = TODAY - timedelta(days=days) if days else HISTORY_START
    for user in (0, 1, 2):
        records = dataset.records(route.name, user, first, TODAY)
        assert records, (route.name, user)
        for record in records:
            validator.validate(record)
            assert set(record) == properties, route.name


@pytest.mark.parametrize("route", SERIES_ROUTES, ids=lambda route: route.name)
def test_every_series_row_matches_its_model(dataset: Dataset, route) -> None:
    validator, properties = model_validator(route.model), model_properties(route.model)
    rows = dataset.series(route.name, 1, NOW - timedelta(days=2), NOW)
    assert rows
    for row in rows:
        validator.validate(row)
        assert set(row) == properties


def test_personal_info_matches_its_model(dataset: Dataset) -> None:
    record = dataset.personal_info(1)
    model_validator("PersonalInfoResponse").validate(record)
    assert set(record) == model_properties("PersonalInfoResponse")


def test_cardiovascular_age_of_2024_lacks_its_id_as_oura_s_did() -> None:
    dataset = Dataset(make_config(first_day=date(2024, 12, 28)))
    records = dataset.records("daily_cardiovascular_age", 1, date(2024, 12, 28), date(2025, 1, 3))
    properties = model_properties("PublicDailyCardiovascularAge")
    for record in records:
        expected = properties - {"id"} if record["day"] < "2025-01-01" else properties
        assert set(record) == expected, record["day"]
    assert [r["day"] for r in records if "id" in r] == ["2025-01-01", "2025-01-02", "2025-01-03"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_every_response_body_matches_the_spec(shared_api: Api, route) -> None:
    path = f"/v2/usercollection/{route.name}"
    response = shared_api.get(path, start_date="2025-10-20", end_date="2025-10-30")
    assert response.status_code == 200, response.text
    response_validator(path).validate(response.json())
