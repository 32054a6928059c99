// Live search: the form works without this script; with it, results follow the typing.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const results = document.getElementById("search-results");
  const datalist = document.getElementById("places");
  if (!form || !results) return;
  const labels = JSON.parse(document.getElementById("search-labels").textContent);
  let timer = null;
  let inFlight = null;

  function formParams(page) {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (value !== "") params.append(key, value);
    }
    if (page && page > 1) params.set("page", String(page));
    return params;
  }

  function apiParams(params) {
    const api = new URLSearchParams(params);
    for (const flag of ["on_site", "remote"]) {
      if (api.get(flag) === "1") api.set(flag, "true");
    }
    if (!api.get("near")) api.delete("radius_km");
    return api;
  }

  // A place name after "de", as the page writes it: "de Lyon", "d'Aurillac", "du Havre", "des Sables-d'Olonne".
  function ofPlace(name) {
    if (name.startsWith("Le ")) return "du " + name.slice(3);
    if (name.startsWith("Les ")) return "des " + name.slice(4);
    return /^[aeiouyàâäéèêëîïôöùûüÿ]/i.test(name) ? "d'" + name : "de " + name;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  function frenchKm(km) {
    return km.toFixed(1).replace(".", ",");
  }

  function render(data, params) {
    const fragment = document.createDocumentFragment();
    const count = element("p", { class: "count" }, element("strong", {}, String(data.total)),
      data.total > 1 ? " prestataires" : " prestataire");
    if (data.near && data.near.place) count.append(" autour ", element("strong", {}, ofPlace(data.near.place.label)));
    fragment.append(count);
    const list = element("ul", { class: "results" });
    for (const hit of data.hits) {
      const place = hit.postal_code + " " + hit.commune + (hit.distance_km === null ? "" : " · à " + frenchKm(hit.distance_km) + " km");
      list.append(element("li", {},
        element("a", { href: hit.url }, element("strong", {}, hit.trade_name)), " ",
        element("span", { class: "kind kind-" + hit.kind }, labels.kinds[hit.kind] || hit.kind), " ",
        element("span", { class: "place" }, place), " ",
        element("span", { class: "services" }, hit.services.slice(0, 4).map((s) => labels.services[s] || s).join(" · "))));
    }
    if (!data.hits.length) {
      list.append(element("li", { class: "empty" }, "Aucun prestataire ne correspond. Élargissez le rayon ou retirez un filtre."));
    }
    fragment.append(list);
    if (data.pages > 1) {
      const nav = element("nav", { class: "pagination", "aria-label": "Pages de résultats" });
      const link = (page, text, rel) => {
        const target = formParams(page);
        const a = element("a", { href: "?" + target.toString(), rel }, text);
        a.addEventListener("click", (event) => { event.preventDefault(); update(page); });
        return a;
      };
      if (data.page > 1) nav.append(link(data.page - 1, "← Précédente", "prev"), " ");
      nav.append(element("span", {}, "Page " + data.page + " sur " + data.pages));
      if (data.page < data.pages) nav.append(" ", link(data.page + 1, "Suivante →", "next"));
      fragment.append(nav);
    }
    results.replaceChildren(fragment);
    for (const counter of form.querySelectorAll(".count[data-facet]")) {
      const facet = (data.facets || {})[counter.dataset.facet] || {};
      counter.textContent = "(" + (facet[counter.dataset.value] || 0) + ")";
    }
    history.replaceState(null, "", "?" + params.toString());
  }

  function renderError(message) {
    results.replaceChildren(element("p", { class: "error", role: "alert" }, message));
  }

  async function update(page) {
    const params = formParams(page);
    if (!params.get("q") && !params.get("near") && !params.get("kind") && !params.getAll("services").length) return;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    try {
      const response = await fetch("/api/search?" + apiParams(params).toString(),
        { headers: { Accept: "application/json" }, signal: inFlight.signal });
      const data = await response.json();
      if (response.ok) render(data, params);
      else renderError(data.detail || "La recherche n'a pas abouti.");
    } catch (error) {
      if (error.name !== "AbortError") renderError("La recherche n'a pas abouti. Vérifiez votre connexion.");
    }
  }

  async function suggestPlaces(text) {
    if (!datalist || text.length < 2) return;
    const response = await fetch("/api/places?" + new URLSearchParams({ q: text, limit: "8" }).toString());
    if (!response.ok) return;
    const places = await response.json();
    datalist.replaceChildren(...places.map((p) => element("option", { value: (p.postal_codes[0] || "") + " " + p.name }, p.label)));
  }

  form.addEventListener("input", (event) => {
    clearTimeout(timer);
    if (event.target.name === "near") suggestPlaces(event.target.value.trim());
    timer = setTimeout(() => update(1), 200);
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(timer); update(1); });
})();
