// The side panel: a facility (services, address, hours, consultation calendar, partner
// facilities' services), or a point of the map (nearest facilities, the ones serving it), or
// the facilities sharing one place. Text goes in as text nodes, never as HTML.

import { FACILITY, AT_POINT, gql, tokyoDate } from "./api.js";
import { lang, nameOf, onLanguage, t } from "./i18n.js";
import { CATEGORY_COLORS } from "./style.js";

const panel = document.getElementById("panel");
const body = document.getElementById("panel-body");
let shown = null; // what to draw again when the language changes
let onPick = () => {};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** What a click on a facility's name in the panel does (main.js opens it). */
export function onFacilityPick(callback) {
  onPick = callback;
}

function badge(category) {
  return el("span", { class: "badge", style: `background:${CATEGORY_COLORS[category] ?? "#777"}` },
    t("categories")[category] ?? category);
}

function facilityLink(facility, extra = null) {
  return el("li", { dataset: { facilityId: facility.id } },
    el("button", { type: "button", onclick: () => onPick(facility.id) }, nameOf(facility)),
    " ", badge(facility.category), extra ? " " : null, extra);
}

function show(content, state) {
  body.replaceChildren(...content.filter((node) => node !== null));
  panel.dataset.state = state;
  panel.hidden = false;
}

export function close() {
  panel.hidden = true;
  shown = null;
  delete panel.dataset.state;
}

function row(label, value) {
  return value ? [el("dt", {}, t(label)), el("dd", {}, value)] : [];
}

function timeRange(session) {
  const locale = lang() === "ja" ? "ja-JP" : "en-GB";
  const day = new Intl.DateTimeFormat(locale, {
    timeZone: "Asia/Tokyo", month: "short", day: "numeric", weekday: "short",
  }).format(new Date(session.startsAt));
  const clock = new Intl.DateTimeFormat(locale, {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit",
  });
  return `${day} ${clock.format(new Date(session.startsAt))}–${clock.format(new Date(session.endsAt))}`;
}

function renderFacility({ facility, consultationSessions: sessions }) {
  const other = lang() === "en" ? facility.nameJa : facility.nameEn;
  const address = [facility.postalCode ? `〒${facility.postalCode}` : null, facility.address]
    .filter(Boolean).join(" ");
  const services = facility.services.map((s) => el("li", { dataset: { service: s.code } }, nameOf(s)));
  const upcoming = sessions.slice(0, 8).map((s) =>
    el("li", { class: "session" }, timeRange(s), " ", s.consultation.title));
  const unknownClosures = facility.consultations.some((c) => !c.closuresKnown);
  const partners = facility.partnerships.flatMap((p) =>
    p.facilities.filter((f) => f.id !== facility.id).map((f) =>
      el("li", { class: "partner", dataset: { facilityId: f.id } },
        el("button", { type: "button", onclick: () => onPick(f.id) }, nameOf(f)),
        el("span", { class: "precision" }, ` (${p.theme})`),
        el("ul", { class: "partner-services" },
          f.services.map((s) => el("li", {}, nameOf(s)))))));
  return [
    el("h3", { id: "facility-name" }, nameOf(facility)),
    el("p", { class: "sub" }, other && other !== nameOf(facility) ? `${other} · ` : "",
      badge(facility.category), " ",
      el("span", { class: "precision", id: "facility-precision" },
        t("precision")[facility.locationPrecision])),
    el("dl", {},
      row("address", address),
      row("building", facility.building),
      row("phone", facility.phone),
      row("hours", facility.hours),
      row("closedDays", facility.closedDays),
      row("operator", facility.operator.name),
      row("activityArea", facility.activityArea),
      facility.url ? row("url", el("a", { href: facility.url, target: "_blank", rel: "noopener" },
        facility.url)) : []),
    el("h4", {}, t("services")),
    el("ul", { id: "facility-services" }, services),
    el("h4", {}, t("calendar")),
    upcoming.length
      ? el("ul", { id: "facility-sessions" }, upcoming)
      : el("p", { id: "facility-sessions", class: "sub" }, t("noSessions")),
    unknownClosures && upcoming.length ? el("p", { class: "precision" }, t("closuresUnknown")) : null,
    el("h4", {}, t("partners")),
    partners.length ? el("ul", { id: "facility-partners" }, partners)
      : el("p", { id: "facility-partners", class: "sub" }, t("noPartners")),
    el("h4", {}, t("sources")),
    el("ul", { id: "facility-sources", class: "sources" }, facility.sources.map((s) => el("li", {},
      /^https?:\/\//.test(s) ? el("a", { href: s, target: "_blank", rel: "noopener" }, s) : s))),
  ];
}

export async function openFacility(id) {
  show([el("p", { class: "sub" }, "…")], "loading");
  try {
    const data = await gql(FACILITY, { id: String(id), from: tokyoDate(0), to: tokyoDate(60) });
    if (!data.facility) throw new Error(`no facility ${id}`);
    shown = () => show(renderFacility(data), "facility");
    shown();
    return data.facility;
  } catch (error) {
    show([el("p", { class: "error" }, `${t("error")}: ${error.message}`)], "error");
    return null;
  }
}

function renderPoint(point, data) {
  const nearest = data.nearestFacilities.map((n) => facilityLink(n.facility,
    el("span", { class: "distance", dataset: { meters: n.distanceMeters } }, t("km")(n.distanceMeters))));
  const serving = data.facilitiesServing.map((f) => facilityLink(f));
  return [
    el("h3", {}, t("here")),
    el("p", { class: "sub", id: "point", dataset: { lat: point.lat, lon: point.lng } },
      `${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}`),
    el("h4", {}, t("nearest")),
    el("ol", { id: "nearest-list" }, nearest),
    el("h4", {}, t("serving")),
    serving.length ? el("ul", { id: "serving-list" }, serving)
      : el("p", { id: "serving-list", class: "sub" }, t("noneServing")),
  ];
}

export async function openPoint(lngLat) {
  show([el("p", { class: "sub" }, "…")], "loading");
  try {
    const data = await gql(AT_POINT, { point: { lat: lngLat.lat, lon: lngLat.lng } });
    shown = () => show(renderPoint(lngLat, data), "point");
    shown();
  } catch (error) {
    show([el("p", { class: "error" }, `${t("error")}: ${error.message}`)], "error");
  }
}

/** Several facilities under the click (they share a building): choose one. */
export function openChoice(features) {
  const render = () => [
    el("h3", {}, t("several")(features.length)),
    el("ul", { id: "choice-list" }, features.map((f) => facilityLink({
      id: String(f.properties.id), nameJa: f.properties.name_ja, nameEn: f.properties.name_en,
      category: f.properties.category,
    }))),
  ];
  shown = () => show(render(), "choice");
  shown();
}

document.getElementById("panel-close").addEventListener("click", close);
onLanguage(() => shown && shown());
