"""Per-key and per-client rate limits: 429 with Retry-After past either, counted per key and per address."""

from __future__ import annotations

import httpx
import pytest

from common.settings import ServiceSettings, Settings
from service.api.ratelimit import RateLimitSettingError
from tests.service.test_api_faults import serving


def _key(name: str) -> dict:
    return {"Authorization": f"Bearer {name}"}


def test_each_key_and_each_client_has_its_own_budget(tmp_path):
    settings = Settings(data_dir=tmp_path, service=ServiceSettings(
        api_keys="key-a,key-b,key-c", rate_limit_per_key="2/minute", rate_limit_per_client="6/minute"))
    with serving(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        statuses = [client.get("/v1/models", headers=_key("key-a")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = client.get("/v1/models", headers=_key("key-a"))
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Another key has its own budget, until the address's budget (6, counting requests a key limit refused) is
        # spent: then a fresh key from the same address is refused too.
        assert [client.get("/v1/models", headers=_key("key-b")).status_code for _ in range(2)] == [200, 200]
        assert client.get("/v1/models", headers=_key("key-c")).status_code == 429
        assert client.get("/healthz").status_code == 200  # probes are not counted
        assert "helpdesk_rate_limited_total 3.0" in client.get("/metrics").text


def test_a_wrong_key_buys_no_budget_of_its_own(tmp_path):
    settings = Settings(data_dir=tmp_path, service=ServiceSettings(
        api_keys="key-a", rate_limit_per_key="100/minute", rate_limit_per_client="3/minute"))
    with serving(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        statuses = [client.get("/v1/models", headers=_key(f"guess-{i}")).status_code for i in range(4)]
        assert statuses == [401, 401, 401, 429]


def test_a_malformed_limit_is_a_named_error():
    from service.api import create_app

    with pytest.raises(RateLimitSettingError, match="HELPDESK_RATE_LIMIT_PER_CLIENT"):
        create_app(Settings(service=ServiceSettings(rate_limit_per_client="lots")), with_ui=False)
