// The rule editor: changing a criterion's fact or test redraws the form through the server
// (the value's picker follows them); any other change re-evaluates the rules, as they stand
// in the form, against the sample applicant (POST .../rules/preview, JSON). Without
// JavaScript the Preview button does both through the server.
(function () {
  "use strict";
  var form = document.getElementById("rules-form");
  var outcome = document.getElementById("preview-outcome");
  var list = document.getElementById("preview-checks");
  var redraw = document.getElementById("preview-rules");
  if (!form || !outcome || !list || !redraw || !window.fetch) { return; }
  var timer = null;
  var seq = 0;

  function tag(text, effect) {
    var span = document.createElement("span");
    span.className = "tag" + (effect === "pass" ? " good" :
                              effect === "fail" || effect === "invalid" ? " bad" : "");
    span.textContent = text;
    return span;
  }

  function show(result) {
    outcome.dataset.outcome = result.outcome;
    outcome.replaceChildren(tag(result.label, result.outcome));
    var items = result.checks.map(function (check) {
      var li = document.createElement("li");
      li.className = "check " + check.effect;
      li.dataset.effect = check.effect;
      li.append(tag(check.label, check.effect), " ", check.text);
      return li;
    });
    Object.keys(result.errors || {}).forEach(function (path) {
      var li = document.createElement("li");
      li.className = "check fail";
      li.dataset.effect = "invalid";
      li.textContent = path + ": " + result.errors[path];
      items.push(li);
    });
    list.replaceChildren.apply(list, items);
  }

  function preview() {
    var mine = ++seq;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRF-Token": form.dataset.csrf},
      body: new URLSearchParams(new FormData(form))
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (body && mine === seq) { show(body); }
    }).catch(function () { /* offline: the Preview button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", function (event) {
    if (event.target.hasAttribute("data-refresh")) {
      redraw.click();  // a new fact or test: the server draws the right picker
    } else {
      later();
    }
  });
}());
