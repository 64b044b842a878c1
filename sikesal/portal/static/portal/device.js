/* "My reports on this device": the tracking numbers kept in IndexedDB (outbox.js), their last known public
 * status (readable offline), refreshed from the public track page when online, and Web Push per report.
 * All text comes from the template (#device-text data-attributes). */
(function () {
  "use strict";
  var text = document.getElementById("device-text");
  if (!text || !window.SikesalOutbox || !window.indexedDB) return;
  var T = text.dataset;
  var list = document.getElementById("device-reports"), empty = document.getElementById("device-empty");
  var message = document.getElementById("device-message"), refreshBtn = document.getElementById("device-refresh");
  var outboxSection = document.getElementById("device-outbox"), outboxList = document.getElementById("device-outbox-list");
  var canPush = !!(T.pushKey && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window);

  function trackUrl(number) { return T.trackUrl + encodeURIComponent(number) + "/"; }

  function when(ms) {
    return ms ? new Date(ms).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
  }

  function render() {
    return Promise.all([SikesalOutbox.all("reports"), SikesalOutbox.all("outbox")]).then(function (stores) {
      var reports = stores[0].sort(function (a, b) { return (b.filedAt || 0) - (a.filedAt || 0); });
      var waiting = stores[1];
      list.textContent = "";
      reports.forEach(function (r) {
        var li = document.createElement("li");
        li.dataset.tracking = r.tracking;
        var a = document.createElement("a");
        a.href = trackUrl(r.tracking);
        a.className = "device-number";
        a.textContent = r.tracking;
        var strong = document.createElement("strong");
        strong.append(a);
        li.append(strong);
        if (r.title) li.append(" " + r.title);
        li.append(document.createElement("br"));
        var status = document.createElement("span");
        status.className = "status device-status " + (r.statusClass || "");
        status.textContent = r.status || T.unknown;
        li.append(status, " ");
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = r.checkedAt ? T.checked + ": " + when(r.checkedAt) : T.notChecked;
        li.append(meta);
        if (canPush && !r.closed) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "linkish push-toggle";
          b.textContent = r.push ? T.pushOff : T.pushOn;
          b.addEventListener("click", function () { togglePush(r); });
          li.append(document.createElement("br"), b);
        }
        list.append(li);
      });
      outboxList.textContent = "";
      waiting.forEach(function (e) {
        var li = document.createElement("li");
        li.append((e.title || "—") + " · " + when(e.created) + " · " + T[SikesalOutbox.waitingState(e)]);
        outboxList.append(li);
      });
      outboxSection.hidden = !waiting.length;
      empty.hidden = reports.length > 0 || waiting.length > 0;
      refreshBtn.hidden = !reports.length;
      return reports;
    });
  }

  // The public track page is the source: its status badge (portal/_summary.html). Public data only.
  function refreshOne(r) {
    var live = { credentials: "same-origin", cache: "no-store", headers: { "X-SIKESAL-Live": "1" } };
    return fetch(trackUrl(r.tracking), live).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var badge = doc.querySelector("main .status");
      if (!badge) throw new Error("no status");
      var cls = badge.className.replace(/\bstatus\b/, "").trim();
      return SikesalOutbox.put("reports", Object.assign({}, r, {
        status: badge.textContent.trim(), statusClass: cls, closed: cls.indexOf("closed") >= 0, checkedAt: Date.now()
      }));
    });
  }

  function refresh() {
    if (!navigator.onLine) { message.textContent = T.offline; return Promise.resolve(); }
    return SikesalOutbox.all("reports").then(function (reports) {
      var failures = 0, unreachable = 0;
      return reports.reduce(function (chain, r) {
        return chain.then(function () {
          return refreshOne(r).catch(function (err) {
            failures += 1;
            if (err instanceof TypeError) unreachable += 1; // no network: not the server's answer
          });
        });
      }, Promise.resolve()).then(function () {
        if (unreachable && unreachable === reports.length) message.textContent = T.offline;
        else message.textContent = failures ? T.failed : (reports.length ? T.refreshed : "");
        return render();
      });
    });
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : T.csrf;
  }

  function keyBytes(b64) {
    var padded = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function ours(text) { var e = new Error(text); e.sikesal = true; return e; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw ours(data.detail || T.pushError);
        return data;
      });
    });
  }

  function togglePush(r) {
    navigator.serviceWorker.ready.then(function (reg) {
      if (r.push) {
        return reg.pushManager.getSubscription().then(function (sub) {
          var body = { tracking: r.tracking, endpoint: sub ? sub.endpoint : "" };
          return (sub ? post(T.unsubscribeUrl, body) : Promise.resolve()).then(function () {
            message.textContent = T.pushStopped;
            return SikesalOutbox.put("reports", Object.assign({}, r, { push: false }));
          });
        });
      }
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw ours(T.pushDenied);
        return reg.pushManager.getSubscription().then(function (sub) {
          return sub || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(T.pushKey) });
        });
      }).then(function (sub) {
        var json = sub.toJSON();
        return post(T.subscribeUrl, { tracking: r.tracking, endpoint: json.endpoint, keys: json.keys });
      }).then(function () {
        message.textContent = T.pushFollowing;
        return SikesalOutbox.put("reports", Object.assign({}, r, { push: true }));
      });
    }).catch(function (err) {
      message.textContent = err && err.sikesal ? err.message : T.pushError; // not the browser's English
    }).then(render);
  }

  refreshBtn.addEventListener("click", refresh);
  window.addEventListener("sikesal:outbox", render);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "sikesal:outbox") render();
    });
  }
  window.addEventListener("online", refresh);
  render().then(function (reports) {
    if (reports.length && navigator.onLine) return refresh();
    if (!navigator.onLine) message.textContent = T.offline;
  });
})();
