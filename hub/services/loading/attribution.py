"""The credit each data set requires, read from ../shared/geodata/SOURCES.md so that the
words shown with the data are the ones its publishers ask for."""

from __future__ import annotations

import re
from pathlib import Path

#: The credit MLIT requires for 国土数値情報 行政区域 (N03) data, for official files that
#: users download themselves; "を加工して作成" because the hub merges and repairs polygons.
N03_CREDIT = (
    "出典：国土数値情報（行政区域データ）（国土交通省）"
    "（https://nlftp.mlit.go.jp/ksj/gml/datalist/KsjTmplt-N03-v3_1.html）を加工して作成"
)

_CREDIT = re.compile(r"「(出典：[^」]+)」")


def _section(text: str, start: str, end: str | None) -> str:
    begin = text.find(start)
    if begin < 0:
        return ""
    finish = text.find(end, begin + len(start)) if end else -1
    return text[begin : finish if finish >= 0 else len(text)]


def boundaries_credit(sources_md: Path) -> str:
    """Credits for the prepared boundary files: N03 geometry, codes and kana, areas, and the
    notices of the converters whose MIT licences ask to be kept."""
    text = sources_md.read_text(encoding="utf-8")
    credits = _CREDIT.findall(_section(text, "### Boundaries", "### Population"))
    notices = [
        "Geometry converted by Geolonia Inc. (MIT licence, © 2020 Geolonia Inc.)",
        "English names: nobuf/list-of-cities-in-japan (MIT licence, © 2017 Nobu Funaki)",
    ]
    return "\n".join([*dict.fromkeys(credits), *notices])


def population_credit(sources_md: Path, csv_name: str) -> str:
    """The credit for one population table, found after the line that names its file."""
    population = _section(sources_md.read_text(encoding="utf-8"), "### Population", "\n## ")
    section = _section(population, f"`{csv_name}`", "\n- **")
    found: list[str] = _CREDIT.findall(section)
    if not found:
        raise ValueError(f"{sources_md} names no credit for {csv_name}")
    return found[0]
