"""Bearer-key checks: admin keys guard changes to the documents; API keys, when configured, guard the rest.

Keys are compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


def _presented(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def key_matches(token: str | None, keys: list[str]) -> bool:
    if token is None:
        return False
    # Check every key so the time taken does not tell which one came close.
    found = False
    for key in keys:
        found |= hmac.compare_digest(token.encode(), key.encode())
    return found


def require_admin(request: Request) -> None:
    keys = request.app.state.core.settings.service.keys("admin")
    if not keys:
        raise HTTPException(401, detail="admin routes are disabled: set HELPDESK_ADMIN_KEYS")
    if not key_matches(_presented(request), keys):
        raise HTTPException(401, detail="a valid admin key is required (Authorization: Bearer ...)",
                            headers={"WWW-Authenticate": "Bearer"})


def require_api_key(request: Request) -> None:
    keys = request.app.state.core.settings.service.keys("api")
    if keys and not key_matches(_presented(request), keys + request.app.state.core.settings.service.keys("admin")):
        raise HTTPException(401, detail="a valid API key is required (Authorization: Bearer ...)",
                            headers={"WWW-Authenticate": "Bearer"})
