// The coverage view: municipalities coloured by gap for a chosen category and distance, from
// the municipal tiles' coverage properties, with a legend whose counts and population come
// from GraphQL `coverage` for the same category and distance (the same semantics).

import { COVERAGE, gql } from "./api.js";
import { onLanguage, t } from "./i18n.js";
import { el } from "./panel.js";
import { COVERAGE_COLORS, coverageLayer, tileSource } from "./style.js";

const toggle = document.getElementById("coverage-toggle");
const category = document.getElementById("coverage-category");
const distance = document.getElementById("coverage-distance");
const legend = document.getElementById("coverage-legend");
const problem = document.getElementById("coverage-error");
let report = null;
let latest = 0; // the newest refresh; an older one that answers later is dropped

function fillCategories() {
  const chosen = category.value || "PARK";
  category.replaceChildren(...Object.entries(t("categories")).map(([value, label]) =>
    el("option", { value }, label)));
  category.value = chosen;
}

function metres() {
  return Math.round(Number(distance.value) * 1000);
}

function classes(rep) {
  const count = { servedByArea: [0, 0], withinReach: [0, 0], gap: [0, 0] };
  for (const unit of rep.municipalities) {
    const key = unit.servedByArea ? "servedByArea" : unit.withinReach ? "withinReach" : "gap";
    count[key][0] += 1;
    count[key][1] += unit.population;
  }
  return count;
}

function renderLegend() {
  if (!report) return;
  const number = new Intl.NumberFormat(document.documentElement.lang);
  const count = classes(report);
  legend.replaceChildren(
    el("table", {},
      el("tr", {}, el("th", {}), el("th", {}), el("th", {}, t("units")), el("th", {}, t("population"))),
      ["servedByArea", "withinReach", "gap"].map((key) =>
        el("tr", { class: "legend-row", dataset: { class: key, units: count[key][0], population: count[key][1] } },
          el("td", {}, el("span", { class: "swatch", style: `background:${COVERAGE_COLORS[key]}` })),
          el("td", {}, t(key)),
          el("td", { class: "num" }, number.format(count[key][0])),
          el("td", { class: "num" }, number.format(count[key][1]))))),
    el("p", { class: "summary", dataset: { populationInGaps: report.populationInGaps } },
      t("gapSummary")(number.format(report.populationInGaps), number.format(report.totalPopulation))),
  );
  legend.hidden = false;
}

function removeLayer(map) {
  if (map.getLayer("coverage-fill")) map.removeLayer("coverage-fill");
  if (map.getSource("coverage")) map.removeSource("coverage");
}

async function refresh(map) {
  const ticket = ++latest;
  removeLayer(map);
  problem.hidden = true;
  if (!toggle.checked) {
    legend.hidden = true;
    report = null;
    return;
  }
  const params = { category: category.value, distance: String(metres()) };
  legend.dataset.state = "loading";
  try {
    const [data, source] = await Promise.all([
      gql(COVERAGE, { filter: { categories: [category.value] }, distance: metres() }),
      tileSource("municipalities", params),
    ]);
    if (ticket !== latest) return;
    report = data.coverage;
    removeLayer(map);
    map.addSource("coverage", source);
    map.addLayer(coverageLayer(), "municipalities-line");
    renderLegend();
    legend.dataset.state = "ready";
    legend.dataset.category = params.category;
    legend.dataset.distance = params.distance;
  } catch (error) {
    if (ticket !== latest) return;
    legend.hidden = true;
    legend.dataset.state = "error";
    problem.textContent = `${t("error")}: ${error.message}`;
    problem.hidden = false;
  }
}

export function setupCoverage(map) {
  fillCategories();
  for (const input of [toggle, category, distance]) {
    input.addEventListener("change", () => refresh(map));
  }
  onLanguage(() => {
    fillCategories();
    renderLegend();
  });
}
