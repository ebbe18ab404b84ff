// A form that creates a record (it carries a one-time submission_key) is sent once:
// its buttons are disabled while the save is in flight, so a double tap sends one
// request. Without this script the server still saves a submission once
// (cpoms/submissions.py): this only spares the second request and the wait, and
// lets Back and Save send the key the form was saved with.
(function () {
  var KEY = 'input[name="submission_key"]';
  var BUTTONS = 'button[type="submit"], button:not([type]), input[type="submit"]';
  var GIVE_UP_MS = 20000;  // a lost connection must not leave a dead button for good

  function buttons(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll(BUTTONS));
    var outside = form.id ? Array.prototype.slice.call(document.querySelectorAll(
      'button[form="' + form.id + '"], input[type="submit"][form="' + form.id + '"]')) : [];
    return inside.concat(outside);
  }

  function release(form) {
    if (!form.hasAttribute("data-saving")) return;
    form.removeAttribute("data-saving");
    form.removeAttribute("aria-busy");
    buttons(form).forEach(function (button) {
      if (button.hasAttribute("data-save-once-disabled")) {
        button.removeAttribute("data-save-once-disabled");
        button.disabled = false;
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.querySelector(KEY)) return;
    if (form.hasAttribute("data-saving")) {
      // Already on its way: this tap sends nothing (before htmx sees it too).
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    form.setAttribute("data-saving", "");
    form.setAttribute("aria-busy", "true");
    // After the submit event: the browser and htmx have read the form (and which
    // button sent it) by then; a disabled button would be left out.
    window.setTimeout(function () {
      if (!form.hasAttribute("data-saving")) return;
      buttons(form).forEach(function (button) {
        if (!button.disabled) {
          button.disabled = true;
          button.setAttribute("data-save-once-disabled", "");
        }
      });
    }, 0);
    window.setTimeout(function () { release(form); }, GIVE_UP_MS);
  }, true);

  // Back to a form re-fetches it with a new key, and the browser gives back what was
  // typed in it: the key too, once it differs from the page's own value (it is a text
  // input the page hides, for this). Back and Save is then a repeat, not a second record.
  function keepKeys(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(KEY), function (input) {
      var key = input.value;
      input.removeAttribute("value");
      input.value = key;
    });
  }
  keepKeys(document);
  document.addEventListener("htmx:load", function (event) { keepKeys(event.target); });

  function releaseAll() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-saving]"), release);
  }

  // Back to a page kept in the browser's memory: its buttons work again.
  window.addEventListener("pageshow", releaseAll);
  // htmx answered (a form with errors, or a dropped connection): the form can be sent again.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt && event.detail.elt.closest
      ? event.detail.elt.closest("form") : null;
    if (form) release(form);
  });
})();
