// The request form says, as boxes are ticked, which services the provider chosen first does not
// offer: the same notice the server writes on sending, kept in step here. Without JavaScript the
// server's notice comes on sending, before anything is stored.
(function () {
  const region = document.getElementById("ecart-prestataire");
  if (!region) return;
  const offered = new Set(region.dataset.offered.split(" ").filter(Boolean));
  const boxes = Array.from(document.querySelectorAll('input[type="checkbox"][name="services"]'));
  const notice = region.querySelector("[data-gap]");
  const none = region.querySelector("[data-gap-none]");
  const some = region.querySelector("[data-gap-some]");
  const confirm = region.querySelector('input[name="quand_meme"]');
  if (!notice || !none || !some || !confirm) return;

  function update() {
    const ticked = boxes.filter(function (box) { return box.checked; });
    const missing = ticked.filter(function (box) { return !offered.has(box.value); });
    const names = missing.map(function (box) { return box.closest("label").textContent.trim(); }).join(", ");
    const value = missing.map(function (box) { return box.value; }).join(" ");
    if (value !== confirm.value) confirm.checked = false;  // a confirmation holds for what it named
    confirm.value = value;
    region.querySelectorAll("[data-missing]").forEach(function (span) { span.textContent = names; });
    none.hidden = missing.length !== ticked.length;
    some.hidden = !none.hidden;
    notice.hidden = missing.length === 0;
  }

  boxes.forEach(function (box) { box.addEventListener("change", update); });
})();
