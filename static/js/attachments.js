// File fields: say at once when a chosen file is over the size limit (and take it off),
// rather than after sending it; and if the server still refuses a form as too large
// (413), which htmx would not show, say so on the form. Without JavaScript the
// server's own pages say the same.
(function () {
  if (window.concernLogFiles) return;
  window.concernLogFiles = true;

  function say(form, text) {
    var note = form.querySelector("[data-file-problem]");
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-file-problem", "");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = text;
  }

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var max = parseInt(input.dataset.maxBytes, 10), most = parseInt(input.dataset.maxFiles, 10);
    var problems = [];
    [].forEach.call(input.files, function (file) {
      if (file.size > max) problems.push("“" + file.name + "” is larger than " + input.dataset.maxLabel + ", the most a file may be.");
    });
    if (input.files.length > most) problems.push("Attach at most " + most + " files at a time.");
    var error = input.parentNode.querySelector("[data-file-error]");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.setAttribute("data-file-error", "");
      error.setAttribute("role", "alert");
      input.parentNode.insertBefore(error, input);
    }
    error.textContent = problems.length ? problems.join(" ") + " Choose the files again." : "";
    if (problems.length) input.value = "";
  });

  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, form = e.detail.elt;
    if (!xhr || xhr.status !== 413 || !form || !form.querySelector) return;
    var input = form.querySelector("input[type=file][data-max-bytes]");
    if (!input) return;
    say(form, "That was too large to send: files can be up to " + input.dataset.maxLabel + " each, " +
        input.dataset.maxFiles + " at a time. Nothing was saved; choose smaller files and try again.");
    form.scrollIntoView();
  });
})();
