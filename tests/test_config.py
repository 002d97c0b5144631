from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import Settings


def test_defaults_use_the_embedded_database(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUB_DATABASE_URL", "HUB_HOME", "HUB_PORT", "HUB_DB_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.database_url is None
    assert settings.port == 8000
    assert settings.db_port == 0


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://u@h/d")
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_PORT", "9000")
    settings = Settings.from_env()
    assert (settings.database_url, settings.home, settings.port) == (
        "postgresql://u@h/d", tmp_path, 9000,
    )


def test_a_malformed_number_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PORT", "eighty")
    with pytest.raises(SystemExit, match="HUB_PORT"):
        Settings.from_env()


def test_the_population_table_is_chosen_by_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_POPULATION", raising=False)
    assert Settings.from_env().population_file().name == "hokkaido_population.csv"
    monkeypatch.setenv("HUB_POPULATION", "census")
    assert Settings.from_env().population_file().name == (
        "hokkaido_population_census2025_preliminary.csv"
    )
    monkeypatch.setenv("HUB_POPULATION", "guess")
    with pytest.raises(SystemExit, match="HUB_POPULATION"):
        Settings.from_env().population_file()


def test_boundaries_are_full_resolution_by_default() -> None:
    assert Settings().boundaries_file().name == "hokkaido_municipalities_full.geojson"
