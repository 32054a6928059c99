// The results on a map (Leaflet, markers clustered), drawn from the list the server rendered:
// the list stays the primary view; the map follows it each time the results change.
(() => {
  "use strict";
  const container = document.getElementById("results-map");
  const results = document.getElementById("search-results");
  if (!container || !results || !window.L || !L.markerClusterGroup) return;
  let map = null;
  let layer = null;

  function draw() {
    const items = [...results.querySelectorAll("[data-list=main] li[data-lat]")];
    container.hidden = items.length === 0;
    if (!items.length) return;
    if (!map) {
      map = L.map(container, { scrollWheelZoom: false, maxZoom: 18 });
      if (container.dataset.tiles) {
        L.tileLayer(container.dataset.tiles, { attribution: container.dataset.attribution, maxZoom: 18 }).addTo(map);
      }
    }
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
    const place = results.querySelector(".count[data-lat]");
    if (place) {
      const searched = [Number(place.dataset.lat), Number(place.dataset.lon)];
      layer.addLayer(L.circleMarker(searched, { radius: 8, color: "#b45309", fillOpacity: 0.6 }).bindTooltip("Lieu recherché"));
      points.push(searched);
    }
    layer.addTo(map);
    map.fitBounds(points, { padding: [30, 30], maxZoom: 13 });
  }

  results.addEventListener("results:updated", draw);
  draw();
})();
