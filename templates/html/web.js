(function () {
  "use strict";
  var answers = Array.prototype.slice.call(document.querySelectorAll("details.answers"));
  var button = document.getElementById("open-all");
  function label() {
    var closed = answers.some(function (d) { return !d.open; });
    button.textContent = closed ? "Open all answers" : "Fold all answers";
  }
  button.addEventListener("click", function () {
    var open = answers.some(function (d) { return !d.open; });
    answers.forEach(function (d) { d.open = open; });
    label();
  });
  answers.forEach(function (d) { d.addEventListener("toggle", label); });
  button.hidden = false;
  label();
  var printed = [];
  addEventListener("beforeprint", function () {
    printed = answers.filter(function (d) { return !d.open; });
    printed.forEach(function (d) { d.open = true; });
  });
  addEventListener("afterprint", function () {
    printed.forEach(function (d) { d.open = false; });
  });
  var key = "studykit-known:" + document.documentElement.getAttribute("data-guide");
  var known = {};
  try { known = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { known = {}; }
  var count = document.getElementById("known-count");
  function show() {
    var marked = 0;
    document.querySelectorAll("input.known").forEach(function (box) {
      var id = box.getAttribute("data-question");
      box.checked = known[id] === 1;
      marked += box.checked ? 1 : 0;
      document.getElementById("q-" + id).classList.toggle("is-known", box.checked);
      var entry = document.querySelector('.toc a[href="#q-' + CSS.escape(id) + '"]');
      if (entry) { entry.classList.toggle("is-known", box.checked); }
    });
    count.textContent = marked + " of " + answers.length + " marked as known";
  }
  document.querySelectorAll("input.known").forEach(function (box) {
    box.closest("label").hidden = false;
    box.addEventListener("change", function () {
      var id = box.getAttribute("data-question");
      if (box.checked) { known[id] = 1; } else { delete known[id]; }
      try { localStorage.setItem(key, JSON.stringify(known)); } catch (e) { /* storage off: this visit only */ }
      show();
    });
  });
  count.hidden = false;
  show();
})();
