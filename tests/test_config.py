from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import Settings, SettingsError

_CHECKED = ("HUB_DATABASE_URL", "HUB_HOME", "HUB_PORT", "HUB_DB_PORT", "HUB_POPULATION",
            "HUB_POOL_MIN", "HUB_POOL_MAX", "HUB_STATEMENT_TIMEOUT_MS", "HUB_CORS_ORIGINS",
            "HUB_GEODATA", "HUB_BOUNDARIES")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CHECKED:
        monkeypatch.delenv(name, raising=False)


def test_defaults_use_the_embedded_database() -> None:
    settings = Settings.from_env()
    assert settings.database_url is None
    assert settings.port == 8000
    assert settings.db_port == 0
    assert settings.cors_origins == ("*",)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://u@h/d")
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_PORT", "9000")
    monkeypatch.setenv("HUB_GEODATA", str(tmp_path / "geo"))
    monkeypatch.setenv("HUB_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings.from_env()
    assert (settings.database_url, settings.home, settings.port) == (
        "postgresql://u@h/d", tmp_path, 9000,
    )
    assert settings.geodata_dir == tmp_path / "geo"
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PORT", "")
    assert Settings.from_env().port == 8000


def test_keyword_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_PORT", "9000")
    assert Settings(port=9100, geodata_dir=tmp_path).port == 9100
    assert Settings(geodata_dir=tmp_path).geodata_dir == tmp_path


@pytest.mark.parametrize(("name", "value"), [
    ("HUB_PORT", "eighty"),
    ("HUB_PORT", "70000"),
    ("HUB_STATEMENT_TIMEOUT_MS", "0"),
    ("HUB_POPULATION", "guess"),
    ("HUB_BOUNDARIES", "medium"),
    ("HUB_DB_PORT", "-1"),
    ("HUB_POOL_TIMEOUT_S", "0"),
    ("HUB_POOL_MAX_WAITING", "0"),
    ("HUB_POOL_RECONNECT_S", "-1"),
    ("HUB_READY_TIMEOUT_S", "0"),
    ("HUB_POOL_CONNECT_TIMEOUT_S", "0"),
    ("HUB_RETRY_AFTER_S", "0"),
])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str,
                                        value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name) as caught:
        Settings.from_env()
    assert repr(value) in str(caught.value)


def test_the_pool_minimum_must_not_exceed_its_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_POOL_MIN", "8")
    monkeypatch.setenv("HUB_POOL_MAX", "4")
    with pytest.raises(SettingsError, match=r"HUB_POOL_MIN \(8\) must not exceed HUB_POOL_MAX"):
        Settings.from_env()


def test_the_population_table_is_chosen_by_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().population_file().name == "hokkaido_population.csv"
    monkeypatch.setenv("HUB_POPULATION", "census")
    assert Settings.from_env().population_file().name == (
        "hokkaido_population_census2025_preliminary.csv"
    )


def test_boundaries_are_full_resolution_unless_the_simplified_file_is_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.from_env().boundaries_file().name == "hokkaido_municipalities_full.geojson"
    monkeypatch.setenv("HUB_BOUNDARIES", "simplified")
    assert Settings.from_env().boundaries_file().name == "hokkaido_municipalities.geojson"
    assert Settings.from_env().boundaries_file().exists()


def test_the_command_line_prints_a_bad_setting_as_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub", "db", "status"], capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HUB_PORT": "eighty"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "HUB_PORT='eighty'" in result.stderr
