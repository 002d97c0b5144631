// The map's style: the hub's own vector tiles (/tiles/{layer}.json, TileJSON) with an optional
// raster basemap under them, facilities coloured by category, their precision shown by the
// symbol (a filled dot stands at its building, a hollow ring only at a ward's or
// municipality's representative point).

export const CATEGORY_COLORS = {
  CITIZEN_ACTIVITY: "#E69F00",
  GENDER_EQUALITY: "#CC79A7",
  CONSUMER: "#0072B2",
  PARK: "#009E73",
  INDUSTRY_VOCATIONAL: "#D55E00",
  PUBLIC_HOUSING: "#6A3D9A",
};

export const COVERAGE_COLORS = {
  servedByArea: "#1a9850",
  withinReach: "#a6d96a",
  gap: "#d73027",
};

export const FACILITY_LAYERS = ["facilities-approx", "facilities-exact"];
const APPROX = ["WARD", "MUNICIPALITY"];

/** An absolute URL beside this page (the tile worker resolves nothing relative to it). */
export function hubUrl(path) {
  return new URL(path, document.baseURI).href;
}

export function tileJson(layer, params = {}) {
  const query = new URLSearchParams(params).toString();
  return hubUrl(`tiles/${layer}.json${query ? `?${query}` : ""}`);
}

/** A vector source from the layer's TileJSON, without the TileJSON's attribution: the page
 * shows every credit itself, from GraphQL `dataSources` (the same `dataset` table), with the
 * pages a credit cites as short numbered links rather than in full. */
export async function tileSource(layer, params = {}) {
  const url = tileJson(layer, params);
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) {
    throw new Error(body.errors?.map((e) => e.message).join("; ") ?? `${url}: ${response.status}`);
  }
  const { tiles, minzoom, maxzoom, bounds } = body;
  return { type: "vector", tiles, minzoom, maxzoom, bounds };
}

const categoryColor = [
  "match", ["get", "category"],
  ...Object.entries(CATEGORY_COLORS).flat(),
  "#777777",
];

/** A label in the page's language: English where the data has it, else Japanese. */
export function labelField(language) {
  return language === "en"
    ? ["coalesce", ["get", "name_en"], ["get", "name_ja"]]
    : ["get", "name_ja"];
}

// Drawn by the browser from its own fonts (MapLibre needs no glyph server for this): no
// request leaves the hub.
const LABEL_PAINT = { "text-color": "#2b3640", "text-halo-color": "#ffffff", "text-halo-width": 1.4 };
export const LABEL_LAYERS = ["municipality-labels", "facility-labels"];

export function buildStyle(config, language, tileSources) {
  const sources = {
    ...tileSources,
    selection: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
  };
  const layers = [{ id: "sea", type: "background", paint: { "background-color": "#cfe0ea" } }];
  if (config.basemapUrl) {
    sources.basemap = {
      type: "raster", tiles: [config.basemapUrl], tileSize: 256,
      attribution: config.basemapAttribution || undefined,
    };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  layers.push(
    {
      id: "municipalities-fill", type: "fill", source: "municipalities",
      "source-layer": "municipalities",
      paint: { "fill-color": "#f7f5ef", "fill-opacity": config.basemapUrl ? 0.25 : 1 },
    },
    {
      id: "municipalities-line", type: "line", source: "municipalities",
      "source-layer": "municipalities",
      paint: { "line-color": "#98a2ab", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.4, 10, 1.2] },
    },
    {
      id: "selection", type: "circle", source: "selection",
      paint: {
        "circle-radius": 13, "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-color": "#111111", "circle-stroke-width": 2.5,
      },
    },
    {
      // Hollow: placed only at a ward's or municipality's representative point.
      id: "facilities-approx", type: "circle", source: "facilities", "source-layer": "facilities",
      filter: ["in", ["get", "location_precision"], ["literal", APPROX]],
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 5, 12, 9],
        "circle-color": "#ffffff", "circle-opacity": 0.85,
        "circle-stroke-color": categoryColor, "circle-stroke-width": 3,
      },
    },
    {
      // Filled: at its building (or a surveyed point).
      id: "facilities-exact", type: "circle", source: "facilities", "source-layer": "facilities",
      filter: ["!", ["in", ["get", "location_precision"], ["literal", APPROX]]],
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 4.5, 12, 8],
        "circle-color": categoryColor,
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
      },
    },
    {
      id: "municipality-labels", type: "symbol", source: "municipalities",
      "source-layer": "municipalities", minzoom: 6.5,
      layout: { "text-field": labelField(language), "text-font": ["sans-serif"], "text-size": 12 },
      paint: LABEL_PAINT,
    },
    {
      id: "facility-labels", type: "symbol", source: "facilities", "source-layer": "facilities",
      minzoom: 10,
      layout: {
        "text-field": labelField(language), "text-font": ["sans-serif"], "text-size": 12,
        "text-anchor": "top", "text-offset": [0, 0.9], "text-max-width": 12,
      },
      paint: { ...LABEL_PAINT, "text-color": "#13293d" },
    },
  );
  return { version: 8, sources, layers };
}

/** The coverage layer for a category and distance: municipalities coloured from the tiles'
 * coverage properties (gap, served_by_area, within_reach), placed under the borders. */
export function coverageLayer() {
  const flag = (name) => ["to-boolean", ["get", name]];
  return {
    id: "coverage-fill", type: "fill", source: "coverage", "source-layer": "municipalities",
    filter: ["has", "gap"],
    paint: {
      "fill-color": [
        "case",
        flag("served_by_area"), COVERAGE_COLORS.servedByArea,
        flag("within_reach"), COVERAGE_COLORS.withinReach,
        flag("gap"), COVERAGE_COLORS.gap,
        "#cccccc",
      ],
      "fill-opacity": 0.75,
    },
  };
}
