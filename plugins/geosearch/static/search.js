// Live search: the form works without this script; with it, results follow the typing.
// The server renders the results (the page itself, fetched again), so there is one way to show them.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const results = document.getElementById("search-results");
  const datalist = document.getElementById("places");
  if (!form || !results) return;
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

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  function show(page, params) {
    const fresh = page.getElementById("search-results");
    if (!fresh) throw new Error("no results in the page");
    results.replaceChildren(...fresh.childNodes);
    for (const counter of form.querySelectorAll(".count[data-facet]")) {
      const selector = `.count[data-facet="${counter.dataset.facet}"][data-value="${counter.dataset.value}"]`;
      const updated = page.querySelector(selector);
      counter.textContent = updated ? updated.textContent : "(0)";
    }
    document.title = page.title;
    history.replaceState(null, "", "?" + params.toString());
    results.dispatchEvent(new CustomEvent("results:updated"));
  }

  function renderError(message) {
    results.replaceChildren(element("p", { class: "error", role: "alert" }, message));
  }

  // ``live``: an update as one types, which the server does not count as a search the person made.
  async function update(page, live = false) {
    const params = formParams(page);
    if (!params.get("q") && !params.get("near") && !params.get("kind") && !params.getAll("services").length) return;
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    try {
      const headers = live ? { Accept: "text/html", "X-Search-Live": "1" } : { Accept: "text/html" };
      const response = await fetch("/recherche?" + params.toString(), { headers, signal: inFlight.signal });
      if (!response.ok) throw new Error(String(response.status));
      show(new DOMParser().parseFromString(await response.text(), "text/html"), params);
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

  // Links inside the results (pages, other places, remote providers) load in place too.
  results.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='?']");
    if (!link) return;
    event.preventDefault();
    const params = new URLSearchParams(link.getAttribute("href").slice(1));
    for (const field of form.elements) {
      if (!field.name) continue;
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = params.getAll(field.name).includes(field.value) || (field.value === "" && !params.has(field.name));
      }
      else if (field.tagName !== "FIELDSET") field.value = params.get(field.name) || "";
    }
    update(Number(params.get("page") || 1));
  });

  form.addEventListener("input", (event) => {
    clearTimeout(timer);
    // New words are understood anew: what the TPE took back applied to the old ones.
    if (event.target.name === "q" && form.elements.ignore) form.elements.ignore.value = "";
    if (event.target.name === "near") suggestPlaces(event.target.value.trim());
    timer = setTimeout(() => update(1, true), 200);
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(timer); update(1); });
})();
