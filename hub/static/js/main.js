// The web map at /: MapLibre GL JS (served by the hub from static/vendor, fetched from the npm
// registry at set-up) over the hub's own tiles; details from the GraphQL API.

import * as maplibregl from "../vendor/maplibre-gl@6.17.0/dist/maplibre-gl.mjs";
import { SEARCH, SOURCES, gql } from "./api.js";
import { setupCoverage } from "./coverage.js";
import { applyStatic, lang, nameOf, onLanguage, setLanguage, t } from "./i18n.js";
import { close, el, onFacilityPick, openChoice, openFacility, openPoint } from "./panel.js";
import {
  CATEGORY_COLORS, FACILITY_LAYERS, LABEL_LAYERS, buildStyle, labelField, tileJson, tileSource,
} from "./style.js";

const config = JSON.parse(document.getElementById("hub-config")?.textContent ?? "{}");
const HOKKAIDO = [[139.3, 41.3], [146.0, 45.6]];

/** The hub's tile layers; one whose TileJSON does not answer is left to MapLibre, which
 * reports it, so that search and the panels still work. */
async function tileSources() {
  const sources = {};
  for (const layer of ["municipalities", "facilities"]) {
    try {
      sources[layer] = await tileSource(layer);
    } catch (error) {
      sources[layer] = { type: "vector", url: tileJson(layer) };
    }
  }
  return sources;
}

const map = new maplibregl.Map({
  container: "map",
  style: buildStyle(config, lang(), await tileSources()),
  bounds: HOKKAIDO,
  maxBounds: [[130, 36], [156, 50]],
  attributionControl: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl(), "bottom-right");
// For the browser tests and for poking at the map from the console: the map, and a promise
// that settles once every tile in view is drawn.
window.hubMap = map;
window.hubIdle = () => new Promise((resolve) => (map.loaded() ? resolve() : map.once("idle", resolve)));

// --- attribution: the credits the data's publishers require (table dataset) --------------
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A credit as HTML: its text as written, each page it cites a numbered link (a data set
 * may cite dozens of pages; their addresses in full would cover the map). */
export function creditHtml(text) {
  let n = 0;
  return text.split(/(https?:\/\/[^\s（）「」、。]+)/).map((part, i) => {
    if (i % 2 === 0) return escapeHtml(part);
    n += 1;
    let shown = part;
    try { shown = decodeURI(part); } catch (error) { /* keep it as written */ }
    return `<a href="${escapeHtml(part)}" title="${escapeHtml(shown)}" target="_blank" rel="noopener">[${n}]</a>`;
  }).join("").replace(/\n/g, " / ");
}

async function setupAttribution() {
  let credits = [];
  try {
    credits = (await gql(SOURCES)).dataSources.map((s) => creditHtml(s.attribution));
  } catch (error) {
    credits = [];
  }
  if (config.basemapAttribution) credits.push(escapeHtml(config.basemapAttribution));
  map.addControl(new maplibregl.AttributionControl({
    compact: true, customAttribution: [...new Set(credits)],
  }), "bottom-right");
  document.body.dataset.credits = String(credits.length);
}

// --- the facility legend -------------------------------------------------------------------
function renderCategoryLegend() {
  document.getElementById("legend-categories").replaceChildren(
    ...Object.entries(CATEGORY_COLORS).map(([category, color]) => el("li", {},
      el("span", { class: "dot", style: `background:${color}` }), t("categories")[category])));
}

// --- selection marker --------------------------------------------------------------------
function mark(location) {
  const features = location
    ? [{ type: "Feature", geometry: { type: "Point", coordinates: [location.lon, location.lat] } }]
    : [];
  map.getSource("selection")?.setData({ type: "FeatureCollection", features });
}

async function showFacility(id, fly = false) {
  const facility = await openFacility(id);
  if (facility) {
    mark(facility.location);
    if (fly && facility.location) {
      map.flyTo({ center: [facility.location.lon, facility.location.lat],
        zoom: Math.max(map.getZoom(), 11), speed: 2.5 });
    }
  }
}
onFacilityPick((id) => showFacility(id, true));

// --- clicks: a facility opens its panel, elsewhere lists the nearest and serving ---------
map.on("click", (event) => {
  const { x, y } = event.point;
  const hits = map.queryRenderedFeatures([[x - 6, y - 6], [x + 6, y + 6]], { layers: FACILITY_LAYERS });
  const unique = [...new Map(hits.map((f) => [String(f.properties.id), f])).values()];
  if (unique.length === 1) {
    showFacility(unique[0].properties.id);
  } else if (unique.length > 1) {
    mark(null);
    openChoice(unique);
  } else {
    mark({ lat: event.lngLat.lat, lon: event.lngLat.lng });
    openPoint(event.lngLat);
  }
});

// --- hover: the name under the pointer (facility first, else the municipality) -----------
const hover = document.getElementById("hover");
map.on("mousemove", (event) => {
  const [facility] = map.queryRenderedFeatures(event.point, { layers: FACILITY_LAYERS });
  const feature = facility
    ?? map.queryRenderedFeatures(event.point, { layers: ["municipalities-fill"] })[0];
  map.getCanvas().style.cursor = facility ? "pointer" : "";
  if (!feature) {
    hover.hidden = true;
    return;
  }
  hover.textContent = nameOf(feature.properties);
  hover.style.left = `${event.point.x + 14}px`;
  hover.style.top = `${event.point.y + 10}px`;
  hover.hidden = false;
});
map.on("mouseout", () => { hover.hidden = true; });

// --- search ----------------------------------------------------------------------------
const input = document.getElementById("search-input");
const results = document.getElementById("search-results");
let pending = 0;
let found = [];

function renderResults() {
  results.replaceChildren(...(found.length ? found.map((f) => el("li", {
    tabindex: "0", dataset: { facilityId: f.id },
    onclick: () => pick(f), onkeydown: (e) => e.key === "Enter" && pick(f),
  }, nameOf(f), el("small", {}, `${t("categories")[f.category]} · ${nameOf(f.municipality)}`)))
    : [el("li", { class: "empty" }, t("noResults"))]));
  results.hidden = false;
}

function pick(facility) {
  results.hidden = true;
  showFacility(facility.id, true);
}

async function search() {
  const text = input.value.trim();
  const ticket = ++pending;
  if (!text) {
    results.hidden = true;
    return;
  }
  try {
    const data = await gql(SEARCH, { text });
    if (ticket !== pending) return; // a newer search is on its way
    found = data.facilities.edges.map((e) => e.node);
    renderResults();
  } catch (error) {
    results.replaceChildren(el("li", { class: "error" }, `${t("error")}: ${error.message}`));
    results.hidden = false;
  }
}

let timer = null;
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(search, 200);
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && found.length) pick(found[0]);
  if (event.key === "Escape") results.hidden = true;
});

// --- language ------------------------------------------------------------------------------
document.getElementById("lang-toggle").addEventListener("click", () =>
  setLanguage(lang() === "ja" ? "en" : "ja"));
onLanguage((language) => {
  for (const layer of LABEL_LAYERS) map.setLayoutProperty(layer, "text-field", labelField(language));
  renderCategoryLegend();
  if (!results.hidden && found.length) renderResults();
});
document.addEventListener("keydown", (event) => event.key === "Escape" && close());

map.once("load", () => { document.body.dataset.ready = "true"; });
applyStatic();
renderCategoryLegend();
setupCoverage(map);
setupAttribution();
