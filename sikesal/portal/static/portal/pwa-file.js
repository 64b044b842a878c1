/* The report form as an app (issue #20): drafts that survive a reload, photos made smaller on the phone,
 * and filing without a signal (the report waits in the device's outbox, outbox.js, and
 * is sent by itself when the connection returns, with the idempotency key it was written with).
 * Enhancements only: without JavaScript the form posts as it always did. Text: #pwa-file-text. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var text = document.getElementById("pwa-file-text");
  if (!form || !text) return;
  var T = text.dataset;
  var DRAFT = "sikesal-draft-v1", MAX_SIDE = 1600, QUALITY = 0.85;
  var SKIP = { csrfmiddlewaretoken: 1, idempotency_key: 1, confirm_new: 1 };
  var MEANINGFUL = ["title", "body", "service", "area", "address", "latitude", "name", "phone", "email"];
  var keyInput = form.elements.namedItem("idempotency_key");
  var refused = document.getElementById("form-errors") || document.getElementById("duplicates");
  var outbox = window.SikesalOutbox && window.indexedDB ? window.SikesalOutbox : null;
  var noop = function () {};

  // A key per page view: a copy of the form served offline by the service worker carries an old one.
  if (outbox && !refused) keyInput.value = outbox.newKey();

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  // The form's fields as [name, value] pairs, as the browser would post them (files aside).
  function fields(skipForDraft) {
    var out = [];
    each(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit" || el.type === "button") return;
      // A draft outlives the staged files (portal/staged_uploads.py) a refused form names; the outbox does not.
      if (SKIP[el.name] || (skipForDraft && (el.name === "website" || el.name === "staged"))) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.type === "select-multiple") {
        each(el.selectedOptions, function (o) { out.push([el.name, o.value]); });
        return;
      }
      out.push([el.name, el.value]);
    });
    return out;
  }

  function applyFields(pairs) {
    var byName = {};
    pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    each(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || !(el.name in byName)) return;
      var values = byName[el.name];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
      else if (el.type === "select-multiple") each(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      else el.value = values[0];
      var folded = el.closest && el.closest("details.more"); // a restored answer is shown, not folded away
      if (folded && (el.type === "checkbox" ? el.checked : el.type !== "radio" && values[0])) folded.open = true;
    });
    refreshWidgets();
  }

  function refreshWidgets() {
    document.getElementById("service").dispatchEvent(new Event("change"));
    document.querySelectorAll(".counter").forEach(function (c) {
      var input = document.getElementById(c.dataset.for);
      if (input) c.textContent = input.value.length + " / " + input.maxLength;
    });
  }

  // --- Drafts: saved on every change, restored on the next visit, gone once the report is sent. -------
  var bar = document.getElementById("draft-bar"), barStatus = document.getElementById("draft-status");
  var clearBtn = document.getElementById("draft-clear");

  function showBar(message, withButton) {
    bar.hidden = false;
    barStatus.textContent = message;
    clearBtn.hidden = !withButton;
  }

  function saveDraft() {
    var data = fields(true).filter(function (p) { return p[1] !== ""; });
    var worth = data.some(function (p) { return MEANINGFUL.indexOf(p[0]) >= 0 || p[0].indexOf("answer_") === 0; });
    if (!worth) return;
    try {
      localStorage.setItem(DRAFT, JSON.stringify({ saved: Date.now(), fields: data }));
      showBar(T.draftSaved, true);
    } catch (e) { /* storage full or private mode: no draft */ }
  }

  function clearDraft() {
    try { localStorage.removeItem(DRAFT); } catch (e) { /* nothing to clear */ }
  }

  // --- Errors: the server's rules checked before a report is kept or sent, and the server's own refusals. --
  function value(name) {
    var el = form.elements.namedItem(name);
    return el ? String(el.value || "").trim() : "";
  }

  function check() { // the same rules as complaints/intake.py, with its messages (#pwa-file-text)
    var errors = {}, date = value("incident_date"), email = value("email");
    if (!value("title")) errors.title = [T.checkTitle];
    if (value("body").length < +T.bodyMin) errors.body = [T.checkBody];
    if (date && date > form.elements.namedItem("incident_date").max) errors.incident_date = [T.checkFuture];
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.email = [T.checkEmail];
    return errors;
  }

  // {field: [messages]} as the server shows them: a summary above the form that takes the focus, and each
  // field marked (its folded part opened).
  function showErrors(errors) {
    var box = document.getElementById("form-errors");
    if (!box) {
      box = document.createElement("div");
      box.className = "card";
      box.id = "form-errors";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = "";
    var heading = document.createElement("p"), strong = document.createElement("strong"), list = document.createElement("ul");
    strong.textContent = T.errorsHeading;
    heading.append(strong);
    list.className = "errors";
    Object.keys(errors).forEach(function (name) {
      (errors[name] || []).forEach(function (m) {
        var li = document.createElement("li");
        li.textContent = m;
        list.append(li);
      });
      var el = form.elements.namedItem(name === "location" ? "latitude" : name);
      if (el && !el.closest && el[0]) el = el[0]; // radio buttons
      if (!el || !el.closest) return;
      el.setAttribute("aria-invalid", "true");
      var folded = el.closest("details");
      if (folded) folded.open = true;
    });
    box.append(heading, list);
    box.hidden = false;
    box.focus();
  }

  function resetForm() {
    form.reset();
    ["latitude", "longitude"].forEach(function (id) { document.getElementById(id).value = ""; });
    if (outbox) keyInput.value = outbox.newKey();
    refreshWidgets();
  }

  var timer = null;
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(saveDraft, 300); });
  form.addEventListener("change", saveDraft);
  clearBtn.addEventListener("click", function () {
    clearDraft();
    resetForm();
    showBar(T.draftDeleted, false);
    form.elements.namedItem("title").focus();
  });
  if (!refused) {
    try {
      var draft = JSON.parse(localStorage.getItem(DRAFT) || "null");
      if (draft && draft.fields) {
        applyFields(draft.fields);
        showBar(T.draftRestored, true);
      }
    } catch (e) { clearDraft(); }
  }

  // --- Photos: at most 1600 px on the long side, JPEG, before they leave the phone. -------------------
  var attachments = document.getElementById("attachments"), fileError = document.getElementById("file-error");
  var fileInputs = [attachments, document.getElementById("camera")].filter(Boolean);
  var pending = Promise.resolve();

  function shrink(file) {
    if (!/^image\//.test(file.type) || file.type === "image/gif" || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.type === "image/jpeg") return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
      if (bmp.close) bmp.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob ? new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }) : file);
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function setFiles(input, list) {
    var dt = new DataTransfer();
    list.forEach(function (f) { dt.items.add(f); });
    input.files = dt.files; // no change event: nothing runs twice
  }

  function checkAttachments() { // as file.js does, on the smaller files
    var max = +attachments.dataset.maxFiles, maxBytes = +attachments.dataset.maxBytes, msg = "";
    if (attachments.files.length > max) msg = attachments.dataset.msgCount;
    each(attachments.files, function (f) { if (f.size > maxBytes) msg = f.name + ": " + attachments.dataset.msgSize; });
    fileError.textContent = msg;
    attachments.setCustomValidity(msg);
  }

  fileInputs.forEach(function (input) {
    input.addEventListener("change", function () {
      if (!input.files.length || !window.DataTransfer) return;
      var chosen = Array.prototype.slice.call(input.files);
      pending = Promise.all(chosen.map(shrink)).then(function (smaller) {
        setFiles(input, smaller);
        if (input === attachments) checkAttachments();
      }).catch(noop);
    });
  });

  if (!outbox) return;

  // --- The outbox: reports written without a signal. -------------------------------------------------
  var panel = document.getElementById("outbox-panel");
  var waitingList = document.getElementById("outbox-list"), sentList = document.getElementById("outbox-sent");
  var note = document.createElement("p");
  note.setAttribute("role", "status");
  note.id = "outbox-note";
  panel.insertBefore(note, waitingList);

  function when(ms) {
    return new Date(ms).toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function waitingText(e) { return T[outbox.waitingState(e)]; }

  function renderOutbox() {
    return Promise.all([outbox.all("outbox"), outbox.all("reports")]).then(function (stores) {
      var waiting = stores[0].sort(function (a, b) { return a.created - b.created; });
      var held = waiting.filter(function (e) { return /^(limited|retrying)$/.test(outbox.waitingState(e)); });
      if (held.length) note.textContent = waitingText(held[0]); // not "no signal" while there is one
      var recent = stores[1].filter(function (r) { return r.viaOutbox && r.sentAt && Date.now() - r.sentAt < 86400000; });
      waitingList.textContent = "";
      sentList.textContent = "";
      waiting.forEach(function (e) {
        var li = document.createElement("li");
        li.className = "outbox-entry";
        var state = document.createElement("strong");
        state.textContent = waitingText(e);
        var files = e.files && e.files.length ? " · " + e.files.length + " 📷" : "";
        li.append(state, " · " + (e.title || "—") + files + " · " + T.savedAt + " " + when(e.created));
        if (e.refused) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "linkish";
          b.textContent = T.reopen;
          b.addEventListener("click", function () { reopen(e); });
          li.append(" ", b);
        }
        waitingList.append(li);
      });
      recent.sort(function (a, b) { return b.sentAt - a.sentAt; }).forEach(function (r) {
        var li = document.createElement("li");
        li.className = "outbox-sent";
        var a = document.createElement("a");
        a.href = T.trackUrl + encodeURIComponent(r.tracking) + "/";
        a.className = "outbox-tracking";
        a.textContent = r.tracking;
        li.append(T.sent + " ", a, r.title ? " · " + r.title : "");
        sentList.append(li);
      });
      panel.hidden = !waiting.length && !recent.length;
    }).catch(noop);
  }

  // A report the server refused (a field it would not take): back into the form, with its key and photos.
  function reopen(entry) {
    resetForm();
    applyFields(entry.fields);
    keyInput.value = entry.key;
    if (window.DataTransfer && entry.files) {
      setFiles(attachments, entry.files.map(function (f) { return new File([f.blob], f.name, { type: f.type }); }));
    }
    outbox.remove("outbox", entry.key).then(renderOutbox);
    if (entry.errors) showErrors(entry.errors);
    else form.elements.namedItem("title").focus();
  }

  function queue(entry) {
    return outbox.put("outbox", entry).then(function () {
      clearDraft();
      resetForm();
      bar.hidden = true;
      return renderOutbox();
    }).then(function () {
      note.textContent = T.queued;
      panel.focus();
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready.then(function (reg) {
          if (reg.sync) return reg.sync.register("sikesal-outbox");
        }).catch(noop);
      }
    }, native);
  }

  function native() {
    form.dataset.native = "1";
    HTMLFormElement.prototype.submit.call(form);
  }

  var sending = false;
  form.addEventListener("submit", function (event) {
    if (form.dataset.native) return;
    event.preventDefault();
    if (sending) return;
    var button = document.getElementById("submit-report");
    var errors = check();
    if (Object.keys(errors).length) { // nothing the server would refuse is kept or sent
      showErrors(errors);
      setTimeout(function () { button.disabled = false; }, 0); // file.js disables it on submit
      return;
    }
    sending = true;
    pending.then(function () {
      var entry = {
        key: keyInput.value,
        created: Date.now(),
        title: form.elements.namedItem("title").value.trim(),
        fields: fields(false),
        files: []
      };
      fileInputs.forEach(function (input) {
        each(input.files, function (f) { entry.files.push({ name: f.name, type: f.type, blob: f }); });
      });
      if (!navigator.onLine) return queue(entry);
      return fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }).then(function (response) {
        var m = outbox.SENT.exec(response.url);
        if (!m) return native(); // errors or possible duplicates: the server's page says what to do
        clearDraft();
        return outbox.remember({ tracking: m[1], title: entry.title, filedAt: entry.created, sentAt: Date.now() })
          .catch(noop).then(function () { location.assign(response.url); return "leaving"; });
      }, function () { return queue(entry); }); // the signal dropped on the way
    }).then(function (outcome) {
      if (outcome === "leaving" || form.dataset.native) return;
      sending = false;
      button.disabled = false;
    });
  });

  window.addEventListener("sikesal:outbox", renderOutbox);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "sikesal:outbox") renderOutbox();
    });
  }
  renderOutbox();
})();
