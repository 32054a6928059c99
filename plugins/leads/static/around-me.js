// "Autour de moi" on the request form: the browser's position fills the place field as
// "lat,lon", which the server turns into the nearest commune. Without JavaScript the button
// stays hidden and the field works alone.
(function () {
  const button = document.querySelector("[data-around-me]");
  const field = document.getElementById("champ-near");
  const status = document.getElementById("near-status");
  if (!button || !field || !status || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(function (position) {
      field.value = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
      status.textContent = "Position trouvée : la commune la plus proche sera retenue à l'envoi.";
    }, function (error) {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? "Vous avez refusé la géolocalisation : indiquez votre code postal ou votre commune."
        : "Votre position n'a pas pu être trouvée à temps : indiquez votre code postal ou votre commune.";
    }, {timeout: 10000, maximumAge: 600000});
  });
})();
