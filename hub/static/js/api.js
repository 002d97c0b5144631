// The hub's GraphQL API (/graphql beside this page) and the queries the map asks.

const ENDPOINT = new URL("graphql", document.baseURI).href;

export async function gql(query, variables = {}) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  return body.data;
}

/** Today in Asia/Tokyo (the calendar's time zone), plus `days`, as YYYY-MM-DD. */
export function tokyoDate(days = 0) {
  const when = new Date(Date.now() + days * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(when);
}

const BRIEF = "id code nameJa nameEn category locationPrecision location { lat lon }";

export const SEARCH = `query ($text: String!) {
  facilities(filter: {text: $text}, first: 10) {
    totalCount
    edges { node { ${BRIEF} municipality { nameJa nameEn } } }
  }
}`;

export const FACILITY = `query ($id: ID!, $from: Date!, $to: Date!) {
  facility(id: $id) {
    ${BRIEF} nameKana address postalCode building phone hours closedDays url activityArea sources
    operator { name }
    municipality { nameJa nameEn }
    services { code nameJa nameEn }
    consultations { id title reservationRequired minutesPerPerson note closuresKnown }
    partnerships {
      id theme
      facilities { id nameJa nameEn category services { code nameJa nameEn } }
    }
  }
  consultationSessions(from: $from, to: $to, facilityIds: [$id]) {
    startsAt endsAt consultation { id title }
  }
}`;

export const AT_POINT = `query ($point: GeoPointInput!) {
  nearestFacilities(near: $point, first: 5) {
    distanceMeters
    facility { ${BRIEF} }
  }
  facilitiesServing(point: $point) { ${BRIEF} }
}`;

export const COVERAGE = `query ($filter: FacilityFilter, $distance: Float!) {
  coverage(filter: $filter, maxDistanceMeters: $distance) {
    totalPopulation
    populationInGaps
    municipalities { servedByArea withinReach population }
  }
}`;

export const SOURCES = `{ dataSources { kind name asOf attribution } }`;
