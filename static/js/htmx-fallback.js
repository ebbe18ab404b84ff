// Runs straight after the CDN's htmx tag. On an intranet that cannot reach the
// CDN, load the copy we ship. document.write keeps it a parser-blocking script,
// so htmx starts on DOMContentLoaded as usual (a script injected later would
// miss that event and never initialise).
if (!window.htmx) {
  document.write('<script src="' + document.currentScript.getAttribute("data-local") + '"><\/script>');
}
