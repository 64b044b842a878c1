/* The device's own store (IndexedDB "sikesal"), shared by the pages and the service worker:
 * - "outbox": reports written while offline, waiting for a signal: their form fields, their photos (as
 *   Blobs) and the idempotency key they were written with;
 * - "reports": the tracking numbers filed from this device, with their last known public status.
 * flush() sends the outbox, one report at a time, under a lock shared by every tab and the worker; each
 * report goes with its own idempotency key, so a send whose answer was lost and is tried again is still
 * one report on the server (complaints/submission.py replays it).
 * Works in a window and in the service worker (importScripts). No user-visible text here: the pages
 * render their own (Indonesian, from the templates' data-attributes).
 */
(function (root) {
  "use strict";
  var DB_NAME = "sikesal", DB_VERSION = 1, LOCK = "sikesal-outbox";
  var SENT = /\/lapor\/terkirim\/([A-Z0-9-]+)\/?/;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
        if (!db.objectStoreNames.contains("reports")) db.createObjectStore("reports", { keyPath: "tracking" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode), result;
        var req = work(tx.objectStore(store));
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all(store) { return run(store, "readonly", function (s) { return s.getAll(); }); }
  function get(store, key) { return run(store, "readonly", function (s) { return s.get(key); }); }
  function put(store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); }
  function remove(store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); }

  // Remember a report filed from this device (merging what is already known of it).
  function remember(report) {
    return get("reports", report.tracking).then(function (known) {
      var merged = Object.assign({ filedAt: Date.now() }, known || {}, report);
      return put("reports", merged);
    }).then(announce);
  }

  function withLock(work) {
    if (root.navigator && root.navigator.locks) return root.navigator.locks.request(LOCK, work);
    return work();
  }

  function cookie(name) {
    if (typeof document === "undefined") return "";
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  // A CSRF token for the POST: the cookie in a page; the worker reads it from a fresh copy of the form.
  function csrfToken(fileUrl) {
    var fromCookie = cookie("csrftoken");
    if (fromCookie) return Promise.resolve(fromCookie);
    return fetch(fileUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) { return r.text(); })
      .then(function (html) {
        var m = html.match(/name="csrfmiddlewaretoken" value="([^"]+)"/);
        return m ? m[1] : "";
      });
  }

  // Send one waiting report. Resolves {tracking} when the server filed it (or had filed it already: same
  // key), {retry: status} when it should be tried again later (429: too many reports from this connection;
  // 403, 5xx), {refused: status, errors} when the server refused it, with its messages per field (the
  // citizen must look at it); rejects on a network error.
  function send(entry, fileUrl) {
    return csrfToken(fileUrl).then(function (token) {
      var body = new FormData();
      entry.fields.forEach(function (pair) {
        if (pair[0] !== "csrfmiddlewaretoken" && pair[0] !== "idempotency_key") body.append(pair[0], pair[1]);
      });
      body.append("idempotency_key", entry.key);
      body.append("confirm_new", "1"); // the citizen pressed "send": no one is there to read duplicate hints
      body.append("csrfmiddlewaretoken", token);
      (entry.files || []).forEach(function (f) { body.append("attachments", f.blob, f.name); });
      return fetch(fileUrl, {
        // The header asks for a refusal's messages as JSON (portal/views.py), not as the form's page.
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token, "X-SIKESAL-Outbox": "1" }
      });
    }).then(function (response) {
      var m = SENT.exec(response.url);
      if (m) return { tracking: m[1] };
      if (response.status === 403 || response.status === 429 || response.status >= 500) return { retry: response.status };
      return response.json().then(function (data) { return data.errors; }, function () { return null; })
        .then(function (errors) { return { refused: response.status, errors: errors }; });
    });
  }

  // Send every waiting report. Resolves {sent: [...], offline: bool, refused: n}.
  function flush(fileUrl) {
    var outcome = { sent: [], offline: false, refused: 0 };
    return withLock(function () {
      return all("outbox").then(function (entries) {
        entries.sort(function (a, b) { return a.created - b.created; });
        return entries.reduce(function (chain, entry) {
          return chain.then(function () {
            if (outcome.offline || entry.refused) return;
            // Another tab or the worker may have sent it while this one waited for the lock.
            return get("outbox", entry.key).then(function (still) {
              if (!still) return;
              return send(entry, fileUrl).then(function (result) {
                if (result.tracking) {
                  outcome.sent.push(result.tracking);
                  return remember({ tracking: result.tracking, title: entry.title, filedAt: entry.created,
                    sentAt: Date.now(), viaOutbox: true }).then(function () { return remove("outbox", entry.key); });
                }
                if (result.refused) {
                  outcome.refused += 1;
                  entry.refused = result.refused;
                  entry.errors = result.errors;
                  return put("outbox", entry);
                }
                entry.held = result.retry; // the pages say why it waits although there is a signal
                return put("outbox", entry);
              }, function () { outcome.offline = true; });
            });
          });
        }, Promise.resolve());
      });
    }).then(function () { return announce().then(function () { return outcome; }); });
  }

  // Tell every page that the store changed (pages re-read it).
  function announce() {
    if (typeof window !== "undefined") {
      window.dispatchEvent(new CustomEvent("sikesal:outbox"));
      return Promise.resolve();
    }
    if (root.clients) {
      return root.clients.matchAll({ type: "window" }).then(function (list) {
        list.forEach(function (client) { client.postMessage({ type: "sikesal:outbox" }); });
      });
    }
    return Promise.resolve();
  }

  // Why a report still waits, for the pages to say: "refused" (the citizen must correct it), "limited" (the
  // server answered 429: too many reports from this connection), "retrying" (it answered, but not with the
  // report filed), "waiting" (no signal). What the server answered last says nothing once offline.
  function waitingState(entry) {
    if (entry.refused) return "refused";
    if (entry.held && root.navigator.onLine) return entry.held === 429 ? "limited" : "retrying";
    return "waiting";
  }

  // A fresh idempotency key (the form's own may come from a cached copy of the page).
  function newKey() {
    var bytes = new Uint8Array(18);
    root.crypto.getRandomValues(bytes);
    return "pwa-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  root.SikesalOutbox = {
    all: all, get: get, put: put, remove: remove, remember: remember, flush: flush, announce: announce,
    newKey: newKey, waitingState: waitingState, SENT: SENT
  };
})(self);
