// Hides the cookie banner once a choice has been stored, so returning readers are not asked again.
document.addEventListener("DOMContentLoaded", function () {
  var banner = document.getElementById("cookie-banner") || document.getElementById("cookie-notice");
  if (!banner) return;
  if (window.localStorage && localStorage.getItem("cl-consent")) { banner.classList.add("hidden"); return; }
  banner.addEventListener("click", function (event) {
    var choice = event.target.getAttribute("data-consent") || (event.target.id === "cn-accept-cookie" ? "all" : null);
    if (!choice) return;
    event.preventDefault();
    try { localStorage.setItem("cl-consent", choice); } catch (e) { /* private mode: ask again next time */ }
    banner.classList.add("hidden");
  });
});
