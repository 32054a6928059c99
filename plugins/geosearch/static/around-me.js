// "Autour de moi": the browser's position becomes the place searched around ("lat,lon"),
// which the server names ("près de Quimper (29)"). Without JavaScript the button stays hidden.
// Once the results are there, the field shows the commune found ("Quimper (29)") instead of
// the coordinates; the address keeps them, so a reload or a shared link searches the same point.
(() => {
  "use strict";
  const COORDINATES = /^\s*-?\d{1,2}(\.\d+)?\s*,\s*-?\d{1,3}(\.\d+)?\s*$/;
  const ASK_PLACE = " Indiquez votre code postal ou votre commune.";
  const MESSAGES = {
    1: "Vous n'avez pas autorisé la localisation." + ASK_PLACE,
    2: "Votre position est indisponible." + ASK_PLACE,
    3: "Votre position n'a pas pu être trouvée à temps." + ASK_PLACE,
  };
  const results = document.getElementById("search-results");

  function nameThePosition(near) {
    const place = results && results.querySelector(".count[data-near]");
    if (place && COORDINATES.test(near.value)) near.value = place.dataset.near;
  }

  for (const form of document.querySelectorAll("form[role=search]")) {
    const near = form.elements.namedItem("near");
    if (!near) continue;
    nameThePosition(near);
    if (results) results.addEventListener("results:updated", () => nameThePosition(near));
    const button = form.querySelector(".around-me");
    const status = form.querySelector(".around-me-status");
    if (!("geolocation" in navigator) || !button || !status) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      status.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition((position) => {
        button.disabled = false;
        status.textContent = "";
        near.value = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
        form.requestSubmit();
      }, (error) => {
        button.disabled = false;
        status.textContent = MESSAGES[error.code] || MESSAGES[2];
        near.focus();
      }, { timeout: 10000, maximumAge: 300000 });
    });
  }
})();
