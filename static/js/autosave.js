// The draft status of a form (templates/_autosave.html): says when a draft could not
// be saved, and saves it again when the connection comes back. The text typed stays
// in the page whatever happens to the request.
(function () {
  var saving = false;  // the form itself is being saved: a late draft would outlive it

  function status() { return document.getElementById("draft-status"); }

  function isDraft(event) { return event.detail.elt === status(); }

  function isForm(event) {  // the form that holds a draft status (it may have been swapped out since)
    var elt = event.detail.elt;
    return elt.tagName === "FORM" && elt.querySelector("#draft-status") !== null;
  }

  document.addEventListener("htmx:confirm", function (event) {
    if (isDraft(event) && saving) event.preventDefault();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isForm(event)) saving = true;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    // Saved, the page moves on (HX-Redirect); anything else leaves the form here to carry on with.
    if (isForm(event) && !event.detail.xhr.getResponseHeader("HX-Redirect")) saving = false;
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (isDraft(event)) event.detail.elt.textContent = "Not saved yet \u2013 offline";
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (isDraft(event)) event.detail.elt.textContent = "Not saved yet";
  });
  window.addEventListener("online", function () {
    var s = status();
    if (s !== null && window.htmx) window.htmx.trigger(s, "draft-retry");
  });
})();
