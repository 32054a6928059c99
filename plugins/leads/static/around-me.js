// "Autour de moi" on the request form: the browser's position is named as the commune the
// directory finds nearest ("Lorient (56)", from /api/places/resolved), and that name fills the
// place field, where the TPE can read and change it. Should the name not come (the search is
// off, the network fails), the field keeps the position as "lat,lon", which the server turns
// into the same commune at sending. Without JavaScript the button stays hidden and the field
// works alone.
(function () {
  const button = document.querySelector("[data-around-me]");
  const field = document.getElementById("champ-near");
  const status = document.getElementById("near-status");
  if (!button || !field || !status || !navigator.geolocation) return;
  const ASK_PLACE = " : indiquez votre code postal ou votre commune.";

  function named(position) {
    const near = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
    field.value = near;
    status.textContent = "Position trouvée : la commune la plus proche sera retenue à l'envoi.";
    if (!button.dataset.resolve) return;
    fetch(button.dataset.resolve + "?" + new URLSearchParams({near: near}), {headers: {accept: "application/json"}})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (resolved) {
        if (!resolved || !resolved.place || field.value !== near) return;  // the TPE typed meanwhile
        field.value = resolved.place.label;
        status.textContent = "Position trouvée : " + resolved.place.label + ". Corrigez-la si besoin.";
      })
      .catch(function () { /* the coordinates stay: the server names them at sending */ });
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(named, function (error) {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? "Vous avez refusé la géolocalisation" + ASK_PLACE
        : "Votre position n'a pas pu être trouvée à temps" + ASK_PLACE;
      field.focus();
    }, {timeout: 10000, maximumAge: 600000});
  });
})();
