"""Settings are checked when they are read: a value that is not allowed stops start-up, naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from common.settings import Settings


@pytest.mark.parametrize("variable, value", [
    ("HELPDESK_SEARCH_MODE", "semantic"), ("HELPDESK_ANSWER_COMPOSER", "gpt"), ("HELPDESK_ANSWER_RERANK", "cross-encoder"),
])
def test_a_choice_setting_outside_its_values_is_refused_at_start(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_cli_names_the_bad_setting(tmp_path):
    env = {"HELPDESK_DATA_DIR": str(tmp_path), "HELPDESK_SEARCH_MODE": "semantic", "PATH": "/usr/bin:/bin"}
    import os

    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-m", "service", "status"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2 and "HELPDESK_SEARCH_MODE='semantic'" in result.stderr
