// The page's words in Japanese and English, and which language is showing. Switching calls
// every listener, which re-renders what it drew (panel, legend, map labels).

const STRINGS = {
  ja: {
    title: "北海道 支援施設マップ",
    searchPlaceholder: "施設名で検索（例: 消費者センター）",
    langButton: "English",
    coverage: "空白地域を表示",
    category: "分野",
    distance: "距離 (km)",
    legendCategories: "施設の分野",
    legendPrecision: "位置の精度",
    precisionExactLegend: "建物・測量位置",
    precisionApproxLegend: "区・市町村の代表点（概略）",
    servedByArea: "担当区域内",
    withinReach: "距離内（区域外）",
    gap: "空白地域",
    units: "区域",
    population: "人口",
    gapSummary: (pop, total) => `空白地域の人口 ${pop} 人（全 ${total} 人中）`,
    noResults: "該当する施設はありません",
    services: "サービス",
    address: "住所",
    building: "建物",
    phone: "電話",
    hours: "開館時間",
    closedDays: "休館日",
    url: "ウェブサイト",
    operator: "運営",
    activityArea: "活動区域",
    calendar: "相談日程（今後）",
    noSessions: "今後の相談日程はありません",
    closuresUnknown: "休館日が不明のため、祝日等も含みます",
    reservation: "予約制",
    partners: "連携施設とそのサービス",
    noPartners: "連携施設はありません",
    sources: "出典",
    nearest: "近くの施設",
    serving: "この地点を担当する施設",
    noneServing: "この地点を担当する施設はありません",
    here: "この地点",
    several: (n) => `この場所に ${n} 施設があります`,
    km: (m) => `${(m / 1000).toFixed(1)} km`,
    error: "読み込めませんでした",
    precision: {
      EXACT: "測量された位置", BUILDING: "建物の位置", WARD: "区の代表点（概略の位置）",
      MUNICIPALITY: "市町村の代表点（概略の位置）", NONE: "位置なし",
    },
    categories: {
      CITIZEN_ACTIVITY: "市民活動", GENDER_EQUALITY: "男女共同参画", CONSUMER: "消費生活",
      PARK: "公園", INDUSTRY_VOCATIONAL: "産業・職業能力開発", PUBLIC_HOUSING: "公営住宅",
    },
  },
  en: {
    title: "Hokkaido support facilities",
    searchPlaceholder: "Search facilities (e.g. consumer)",
    langButton: "日本語",
    coverage: "Show coverage gaps",
    category: "Category",
    distance: "Distance (km)",
    legendCategories: "Facility category",
    legendPrecision: "Position precision",
    precisionExactLegend: "Building or surveyed point",
    precisionApproxLegend: "Ward or municipality point (approximate)",
    servedByArea: "In a service area",
    withinReach: "Within reach (outside areas)",
    gap: "Gap",
    units: "Units",
    population: "Population",
    gapSummary: (pop, total) => `Population in gaps: ${pop} of ${total}`,
    noResults: "No facility matches",
    services: "Services",
    address: "Address",
    building: "Building",
    phone: "Phone",
    hours: "Hours",
    closedDays: "Closed",
    url: "Website",
    operator: "Operator",
    activityArea: "Activity area",
    calendar: "Consultation calendar (upcoming)",
    noSessions: "No upcoming consultation sessions",
    closuresUnknown: "Closed days unknown: holidays are not left out",
    reservation: "by reservation",
    partners: "Partner facilities and their services",
    noPartners: "No partner facility",
    sources: "Sources",
    nearest: "Nearest facilities",
    serving: "Facilities serving this point",
    noneServing: "No facility serves this point",
    here: "This point",
    several: (n) => `${n} facilities at this place`,
    km: (m) => `${(m / 1000).toFixed(1)} km`,
    error: "Could not load",
    precision: {
      EXACT: "surveyed point", BUILDING: "building", WARD: "ward's point (approximate)",
      MUNICIPALITY: "municipality's point (approximate)", NONE: "no location",
    },
    categories: {
      CITIZEN_ACTIVITY: "Citizen activity", GENDER_EQUALITY: "Gender equality",
      CONSUMER: "Consumer affairs", PARK: "Park", INDUSTRY_VOCATIONAL: "Industry & vocational",
      PUBLIC_HOUSING: "Public housing",
    },
  },
};

const listeners = [];
let current = localStorage.getItem("hub-lang") === "en" ? "en" : "ja";

export function lang() {
  return current;
}

export function t(key) {
  return STRINGS[current][key];
}

/** The name in the current language; a record without an English name keeps its Japanese one. */
export function nameOf(record) {
  if (!record) return "";
  const ja = record.nameJa ?? record.name_ja ?? "";
  const en = record.nameEn ?? record.name_en;
  return current === "en" && en ? en : ja;
}

export function onLanguage(listener) {
  listeners.push(listener);
}

export function setLanguage(next) {
  current = next;
  localStorage.setItem("hub-lang", next);
  applyStatic();
  for (const listener of listeners) listener(next);
}

/** The words written into the page itself (data-i18n attributes). */
export function applyStatic() {
  document.documentElement.lang = current;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.getElementById("lang-toggle").textContent = t("langButton");
}
