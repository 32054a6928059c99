// "Autour de moi": the browser's position becomes the place searched around ("lat,lon"),
// which the server names ("près de Quimper (29)"). Without JavaScript the button stays hidden.
(() => {
  "use strict";
  const ASK_PLACE = " Indiquez votre code postal ou votre commune.";
  const MESSAGES = {
    1: "Vous n'avez pas autorisé la localisation." + ASK_PLACE,
    2: "Votre position est indisponible." + ASK_PLACE,
    3: "Votre position n'a pas pu être trouvée à temps." + ASK_PLACE,
  };
  if (!("geolocation" in navigator)) return;
  for (const form of document.querySelectorAll("form[role=search]")) {
    const button = form.querySelector(".around-me");
    const status = form.querySelector(".around-me-status");
    const near = form.elements.namedItem("near");
    if (!button || !status || !near) continue;
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
