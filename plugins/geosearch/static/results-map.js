// The results on a map (Leaflet, markers clustered), drawn from the list the server rendered:
// the list stays the primary view; the map follows it each time the results change.
// Without a tile server the map draws France's départements from a file the app serves
// (data-layer); the searched place has a marker of its own, outside the clusters.
(() => {
  "use strict";
  const container = document.getElementById("results-map");
  const results = document.getElementById("search-results");
  if (!container || !results || !window.L || !L.markerClusterGroup) return;
  // The map frames one territory: metropolitan France, or around an overseas place (±5°). Results
  // elsewhere (an overseas provider in a nationwide list) stay on the map, a zoom out away.
  const METROPOLE = L.latLngBounds([41, -5.5], [51.5, 10]);
  const DEPARTEMENT = { className: "departement", color: "#8a9aab", weight: 1, fillColor: "#fbfaf6", fillOpacity: 1 };
  let map = null;
  let layer = null;
  let searched = null;

  async function drawDepartements(url) {
    try {
      const response = await fetch(url);
      if (!response.ok) return;
      const france = await response.json();
      L.geoJSON(france, { interactive: false, style: DEPARTEMENT }).addTo(map);
      map.attributionControl.addAttribution(france.attribution);
    } catch {
      // The markers still make sense on the plain background.
    }
  }

  function createMap() {
    map = L.map(container, { scrollWheelZoom: false, maxZoom: 18 });
    if (container.dataset.tiles) {
      L.tileLayer(container.dataset.tiles, { attribution: container.dataset.attribution, maxZoom: 18 }).addTo(map);
    } else if (container.dataset.layer) {
      drawDepartements(container.dataset.layer);
    }
  }

  // The place searched around: a ring under the markers, wider than a cluster so that one on
  // the same spot leaves it showing; named for screen readers.
  function markSearchedPlace(place, point) {
    const icon = L.divIcon({ className: "searched-place", iconSize: [48, 48] });
    searched = L.marker(point, { icon, keyboard: false, title: place.dataset.mark, zIndexOffset: -1000 }).addTo(map);
    searched.getElement().setAttribute("role", "img");  // added once the map has its view
    searched.getElement().setAttribute("aria-label", place.dataset.mark);
  }

  // The points in the territory of ``anchor``, the searched place (else the first result in
  // metropolitan France, else the first result).
  function framed(points, anchor) {
    const centre = anchor || points.find((point) => METROPOLE.contains(point)) || points[0];
    const area = METROPOLE.contains(centre) ? METROPOLE : L.latLng(centre).toBounds(1100000);
    return [centre, ...points.filter((point) => area.contains(point))];
  }

  function draw() {
    const items = [...results.querySelectorAll("[data-list=main] li[data-lat]")];
    container.hidden = items.length === 0;
    if (!items.length) return;
    if (!map) createMap();
    map.invalidateSize();
    if (layer) layer.remove();
    layer = L.markerClusterGroup({ showCoverageOnHover: false });
    const points = [];
    for (const item of items) {
      const point = [Number(item.dataset.lat), Number(item.dataset.lon)];
      const link = document.createElement("a");
      link.href = item.dataset.url;
      link.textContent = item.dataset.name;
      layer.addLayer(L.marker(point, { title: item.dataset.name, alt: item.dataset.name }).bindPopup(link));
      points.push(point);
    }
    if (searched) searched.remove();
    const place = results.querySelector(".count[data-lat]");
    const anchor = place && [Number(place.dataset.lat), Number(place.dataset.lon)];
    // Streets come with tiles; the départements alone say more from further out.
    const closest = container.dataset.tiles ? 13 : 9;
    map.fitBounds(framed(points, anchor), { padding: [30, 30], maxZoom: closest });
    layer.addTo(map);
    if (place) markSearchedPlace(place, anchor);
  }

  results.addEventListener("results:updated", draw);
  draw();
})();
