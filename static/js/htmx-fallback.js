// Runs after the CDN's htmx tag (both are deferred, so in order). On an intranet
// that cannot reach the CDN, load the copy we ship instead.
(function () {
  if (window.htmx) return;
  var local = document.createElement("script");
  local.src = document.currentScript.getAttribute("data-local");
  document.head.appendChild(local);
})();
