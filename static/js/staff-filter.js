// The log form's "Alert other staff" list: with JavaScript, a box that narrows the
// list as a name is typed. Without it the whole list shows, which works as well.
// The form is swapped in by htmx after a pupil picker post, so this listens on the
// document rather than on one input.
(function () {
  function reveal(root) {
    root.querySelectorAll(".staff-filter[hidden]").forEach(function (box) { box.hidden = false; });
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("staff-filter")) return;
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var list = box.parentElement.querySelector(".staff-list");
    if (!list) return;
    list.querySelectorAll("li").forEach(function (item) {
      var text = item.textContent.toLowerCase();
      var checked = item.querySelector("input:checked");
      item.hidden = !checked && !words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  });
  // Enter in the box would submit the whole form: it only narrows the list.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("staff-filter")) {
      event.preventDefault();
    }
  });
  reveal(document);
  document.addEventListener("htmx:load", function (event) { reveal(event.target); });
})();
