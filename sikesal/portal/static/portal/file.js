// Enhancements only: the form works without this file.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;

  // One submission, even on a double click (the server also dedupes by idempotency key).
  form.addEventListener("submit", function () {
    var btn = document.getElementById("submit-report");
    setTimeout(function () { btn.disabled = true; }, 0);
  });

  // Live length counters.
  document.querySelectorAll(".counter").forEach(function (el) {
    var input = document.getElementById(el.dataset.for);
    var update = function () { el.textContent = input.value.length + " / " + input.maxLength; };
    input.addEventListener("input", update); update();
  });

  // After a refused submission, take the reader to what needs fixing.
  var summary = document.getElementById("form-errors") || document.getElementById("duplicates");
  if (summary) summary.focus();

  // Service search over names and keywords.
  var search = document.getElementById("service-search");
  var select = document.getElementById("service");
  search.hidden = false; document.getElementById("service-search-label").hidden = false;
  search.addEventListener("input", function () {
    var q = search.value.toLowerCase().trim(), first = null;
    select.querySelectorAll("option[value]").forEach(function (opt) {
      if (!opt.value) return;
      var hit = !q || (opt.textContent + " " + opt.dataset.keywords).toLowerCase().indexOf(q) >= 0;
      opt.hidden = !hit; if (hit && !first) first = opt;
    });
    if (q && first && select.selectedOptions[0] && select.selectedOptions[0].hidden) first.selected = true;
  });

  // A gentle hint from the router once the citizen has described the problem: a click chooses it.
  var hint = document.getElementById("service-hint"), timer = null;
  var askHint = function () {
    var text = (document.getElementById("title").value + " " + document.getElementById("body").value).trim();
    if (select.value || text.length < 10) { hint.hidden = true; return; }
    fetch(hint.dataset.url + "?teks=" + encodeURIComponent(text)).then(function (r) { return r.ok ? r.json() : { services: [] }; })
      .then(function (data) {
        hint.textContent = "";
        if (!data.services.length || select.value) { hint.hidden = true; return; }
        hint.append(hint.dataset.label + " ");
        data.services.forEach(function (s) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "linkish"; b.textContent = s.name; b.dataset.code = s.code;
          b.addEventListener("click", function () { select.value = s.code; select.dispatchEvent(new Event("change")); hint.hidden = true; });
          hint.append(b, " ");
        });
        hint.hidden = false;
      }).catch(function () { hint.hidden = true; });
  };
  ["title", "body"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(askHint, 600); });
  });

  // Only the chosen service's extra questions are shown, unfolded; a service without any shows none.
  var showQuestions = function () {
    var any = false;
    document.querySelectorAll("fieldset.questions").forEach(function (fs) {
      fs.hidden = fs.dataset.service !== select.value;
      any = any || !fs.hidden;
    });
    var folded = document.getElementById("more-questions");
    if (folded) { folded.hidden = !any; folded.open = any; }
  };
  select.addEventListener("change", showQuestions); showQuestions();

  // Kecamatan narrows the kelurahan list.
  var kec = document.getElementById("kecamatan"), area = document.getElementById("area");
  kec.addEventListener("change", function () {
    area.querySelectorAll("optgroup").forEach(function (g) { g.hidden = kec.value && g.dataset.kecamatan !== kec.value; });
    if (area.selectedOptions[0] && area.selectedOptions[0].parentNode.hidden) area.value = "";
  });

  // Client-side file checks (the server checks again, by content).
  var files = document.getElementById("attachments"), fileError = document.getElementById("file-error");
  files.addEventListener("change", function () {
    var max = +files.dataset.maxFiles, maxBytes = +files.dataset.maxBytes, msg = "";
    if (files.files.length > max) msg = files.dataset.msgCount;
    Array.prototype.forEach.call(files.files, function (f) { if (f.size > maxBytes) msg = f.name + ": " + files.dataset.msgSize; });
    fileError.textContent = msg;
    files.setCustomValidity(msg);
  });
})();
