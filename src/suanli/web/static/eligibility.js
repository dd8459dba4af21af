// Live eligibility preview on the application form: as the startup edits its profile, the
// program's rules are evaluated by the API and the sentences below the form are replaced.
// Without JavaScript the "Check" button does the same through the server.
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  var list = document.getElementById("rule-results");
  var outcome = document.getElementById("rule-outcome");
  if (!form || !list || !outcome || !window.fetch) { return; }
  var timer = null;
  var seq = 0;

  function value(name) {
    var input = form.elements.namedItem(name);
    var text = input && input.value !== undefined ? String(input.value).trim() : "";
    return text === "" ? null : text;
  }

  function profile() {
    var member = value("research_project_member");
    var subsidies = value("other_subsidies");
    var count = function (name) { var v = value(name); return v === null ? null : Number(v); };
    return {
      registered_city: value("registered_city"),
      annual_revenue_cny: value("annual_revenue_cny"),
      research_project_member: member === null ? null : member === "yes",
      research_project_number: value("research_project_number"),
      headcount: count("headcount"),
      founded_on: value("founded_on"),
      model_filings: count("model_filings"),
      credit_record: value("credit_record"),
      organisation_type: value("organisation_type"),
      project_lead: value("project_lead"),
      affiliates: (value("affiliates") || "").split(/[\s,]+/).filter(function (s) {
        return s !== "";
      }),
      other_subsidies: subsidies === null ? [] : subsidies.split(",").map(function (s) {
        return s.trim();
      }).filter(function (s) { return s !== ""; })
    };
  }

  function tag(text, effect) {
    var span = document.createElement("span");
    span.className = "tag" + (effect === "pass" ? " good" : effect === "fail" ? " bad" : "");
    span.textContent = text;
    return span;
  }

  function show(result) {
    var lang = form.dataset.lang;
    outcome.dataset.outcome = result.outcome;
    outcome.replaceChildren(tag(form.dataset["outcome" + key(result.outcome)], result.outcome));
    var items = result.checks.map(function (check) {
      var li = document.createElement("li");
      li.className = "check " + check.effect;
      li.dataset.effect = check.effect;
      li.dataset.field = check.field;
      li.append(tag(form.dataset["label" + key(check.effect)], check.effect), " ",
                lang === "zh" ? check.zh : check.en);
      return li;
    });
    list.replaceChildren.apply(list, items);
    var panel = document.getElementById("tier-panel");
    if (panel && result.tier) {  // which rate tier applies, and why
      panel.dataset.tier = result.tier.key || "base";
      var why = panel.querySelector("[data-testid=tier-why]");
      if (why) { why.textContent = result.tier.why; }
    }
  }

  function key(name) {  // "needs_review" -> "Needs_review", as dataset names it
    return name.charAt(0).toUpperCase() + name.slice(1);
  }

  function problem(body) {
    outcome.dataset.outcome = "invalid";
    var li = document.createElement("li");
    li.className = "check fail";
    li.textContent = body && body.detail ? body.detail : "?";
    outcome.replaceChildren();
    list.replaceChildren(li);
  }

  function preview() {
    var mine = ++seq;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
      body: JSON.stringify({profile: profile()})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (mine !== seq) { return; }  // a newer preview is on its way
      if (answer.ok) { show(answer.body); } else { problem(answer.body); }
    }).catch(function () { /* offline: the Check button still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
}());
