// "Hide screen": blank the page at once, in place, keeping whatever is being
// typed, until the person presses "Show the screen". Escape hides too. Showing
// again needs the button, so a child pressing keys cannot bring the page back.
(function () {
  var overlay = document.getElementById("privacy-screen");
  var hideLink = document.getElementById("hide-screen");
  if (!overlay || !hideLink) return;
  var showButton = document.getElementById("show-screen");
  var page = [document.querySelector(".site-header"), document.getElementById("main")];
  var title = document.title;
  var returnFocus = null;

  function hide() {
    if (!overlay.hidden) return;
    returnFocus = document.activeElement;
    title = document.title;
    document.title = "Concern log";  // the tab's title can name a child
    page.forEach(function (el) { if (el) el.inert = true; });
    document.documentElement.classList.add("screen-hidden");
    overlay.hidden = false;
    showButton.focus();
  }

  function show() {
    overlay.hidden = true;
    document.documentElement.classList.remove("screen-hidden");
    page.forEach(function (el) { if (el) el.inert = false; });
    document.title = title;
    if (returnFocus && returnFocus.focus) returnFocus.focus();
  }

  hideLink.addEventListener("click", function (event) {
    event.preventDefault();
    hide();
  });
  showButton.addEventListener("click", show);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && overlay.hidden && !event.defaultPrevented) hide();
  });
})();
