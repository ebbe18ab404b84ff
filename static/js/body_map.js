// The body map on the log form: tap or click an outline to add a numbered mark there,
// then describe it. Each mark is a row of the form (area, description, and the exact
// place in hidden fields), so the list of rows is the record and the accessible
// version; the outlines only draw it. Keyboard users add a row and choose its area.
// Loaded with the form; htmx runs it again when it swaps the form in: set up once.
(function () {
  if (window.concernLogBodyMap) { window.concernLogBodyMap(document); return; }
  var W = 200, H = 440, SVG = "http://www.w3.org/2000/svg";

  function setUp(root) {
    var part = root.querySelector && root.querySelector("#body-map");
    if (!part && root.id === "body-map") part = root;
    if (!part || part.dataset.ready) return;
    part.dataset.ready = "1";
    var list = part.querySelector("#body-map-rows");
    var template = part.querySelector("#body-map-row-template");
    var views = part.querySelector("[data-body-map]");
    var addButton = part.querySelector("[data-add-mark]");
    var areas = [].slice.call(template.content.querySelectorAll("option[data-x]")).map(function (o) {
      return { key: o.value, view: o.value.split("-")[0], x: parseFloat(o.dataset.x), y: parseFloat(o.dataset.y) };
    });

    function rows() { return [].slice.call(list.querySelectorAll("[data-mark-row]")); }
    function area(key) { return areas.filter(function (a) { return a.key === key; })[0]; }
    function nearest(view, x, y) {
      var best = null, bestDistance = Infinity;
      areas.forEach(function (a) {
        if (a.view !== view) return;
        var d = Math.pow((a.x - x) * W, 2) + Math.pow((a.y - y) * H, 2);
        if (d < bestDistance) { best = a; bestDistance = d; }
      });
      return best;
    }

    function renumber() {
      rows().forEach(function (row, i) {
        var n = String(i + 1);
        row.querySelectorAll("[data-mark-number]").forEach(function (el) { el.textContent = n; });
        var select = row.querySelector("select"), note = row.querySelector("input[type=text]");
        select.id = "mark-area-" + n; note.id = "mark-note-" + n;
        row.querySelector("label[for^=mark-area]").htmlFor = select.id;
        row.querySelector("label[for^=mark-note]").htmlFor = note.id;
      });
    }

    function draw() {
      views.querySelectorAll(".body-map-marks").forEach(function (g) { g.textContent = ""; });
      rows().forEach(function (row, i) {
        var chosen = area(row.querySelector("select").value);
        if (!chosen) return;
        var xs = row.querySelector("[data-mark-x]").value, ys = row.querySelector("[data-mark-y]").value;
        var x = (xs ? parseFloat(xs) : chosen.x) * W, y = (ys ? parseFloat(ys) : chosen.y) * H;
        var g = views.querySelector("svg[data-view=" + chosen.view + "] .body-map-marks");
        var mark = document.createElementNS(SVG, "g");
        mark.setAttribute("class", "body-map-mark");
        var circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("cx", x); circle.setAttribute("cy", y); circle.setAttribute("r", 10);
        var text = document.createElementNS(SVG, "text");
        text.setAttribute("x", x); text.setAttribute("y", y + 4); text.setAttribute("text-anchor", "middle");
        text.textContent = String(i + 1);
        mark.appendChild(circle); mark.appendChild(text); g.appendChild(mark);
      });
    }

    function wire(row) {
      var remove = row.querySelector("[data-remove-mark]");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        var next = row.nextElementSibling;
        row.remove(); renumber(); draw();
        (next ? next.querySelector("select") : addButton).focus();
      });
      row.querySelector("select").addEventListener("change", function () {
        // Chosen from the list: the mark moves to that area's centre.
        row.querySelector("[data-mark-x]").value = "";
        row.querySelector("[data-mark-y]").value = "";
        draw();
      });
    }

    function addRow(chosen, x, y) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.classList.remove("is-blank");
      list.appendChild(row);
      if (chosen) {
        row.querySelector("select").value = chosen.key;
        row.querySelector("[data-mark-x]").value = x.toFixed(4);
        row.querySelector("[data-mark-y]").value = y.toFixed(4);
      }
      wire(row); renumber(); draw();
      (chosen ? row.querySelector("input[type=text]") : row.querySelector("select")).focus();
    }

    list.querySelectorAll(".is-blank").forEach(function (row) { row.remove(); });
    rows().forEach(wire);
    views.hidden = false;
    addButton.hidden = false;
    part.querySelector(".body-map-tap").hidden = false;
    part.querySelector(".body-map-no-js").hidden = true;
    addButton.addEventListener("click", function () { addRow(null); });

    views.querySelectorAll("svg[data-view]").forEach(function (svg) {
      var start = null;
      svg.addEventListener("pointerdown", function (e) {
        if (e.isPrimary && e.button === 0) start = { x: e.clientX, y: e.clientY };
      });
      svg.addEventListener("pointerup", function (e) {
        // A tap, not the end of a scroll or a drag.
        if (!start || Math.abs(e.clientX - start.x) > 12 || Math.abs(e.clientY - start.y) > 12) { start = null; return; }
        start = null;
        var point = svg.createSVGPoint();
        point.x = e.clientX; point.y = e.clientY;
        var p = point.matrixTransform(svg.getScreenCTM().inverse());
        var x = Math.min(1, Math.max(0, p.x / W)), y = Math.min(1, Math.max(0, p.y / H));
        addRow(nearest(svg.dataset.view, x, y), x, y);
      });
      svg.addEventListener("pointercancel", function () { start = null; });
    });
    renumber(); draw();
  }

  window.concernLogBodyMap = setUp;
  setUp(document);
  document.addEventListener("htmx:load", function (e) { setUp(e.target); });
})();
