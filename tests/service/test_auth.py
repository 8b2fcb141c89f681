"""Key checks: constant-time, every configured key compared whatever matches first, any characters."""

from __future__ import annotations

import hmac

from service.api import auth


def test_keys_match_exactly_including_non_ascii():
    assert auth.key_matches("k-1", ["other", "k-1"])
    assert not auth.key_matches("k-", ["k-1"]) and not auth.key_matches("k-1 ", ["k-1"])
    assert not auth.key_matches(None, ["k-1"]) and not auth.key_matches("k-1", [])
    assert auth.key_matches("ключ-7", ["ключ-7"])  # compare_digest alone would raise on non-ASCII str


def test_every_key_is_compared_in_constant_time_whichever_matches(monkeypatch):
    compared = []
    constant_time = hmac.compare_digest

    def counting(a, b):
        compared.append((type(a), type(b)))
        return constant_time(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    assert auth.key_matches("first", ["first", "second", "third"])
    assert compared == [(bytes, bytes)] * 3  # no early exit that would tell which key came close
