/* SIKESAL service worker, served by sikesal.portal.pwa.service_worker at /sw.js (scope "/").
 * The view puts its configuration in place of the marker below (version, precache list, which paths may
 * be cached and which never are). Strategy (docs/pwa.md):
 * - static files: cache-first (a small list precached at install, the rest kept as they are used);
 * - public pages (and the manifest): network-first, falling back to the cached copy, then to /offline/;
 * - personal pages, the back office, the APIs, private links, attachments: never cached; a navigation to
 *   one of them while offline gets the offline page;
 * - POST and every other method: never touched (the report outbox lives in IndexedDB, outbox.js).
 */
"use strict";
var CONFIG = self.SIKESAL_SW_CONFIG;
var STATIC_CACHE = "sikesal-static-" + CONFIG.version;
var PAGE_CACHE = "sikesal-pages-" + CONFIG.version;

importScripts(CONFIG.outbox);

self.addEventListener("install", function (event) {
  event.waitUntil(
    Promise.all([
      caches.open(STATIC_CACHE).then(function (cache) {
        return cache.addAll(CONFIG.precache.filter(isStatic));
      }),
      caches.open(PAGE_CACHE).then(function (cache) {
        // One by one: a page that fails (a rate limit, a hiccup) must not stop the install.
        return Promise.all(CONFIG.precache.filter(function (url) { return !isStatic(url); }).map(function (url) {
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (cacheable(url, response)) return cache.put(url, response);
          }).catch(function () {});
        }));
      })
    ]).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("sikesal-") === 0 && name !== STATIC_CACHE && name !== PAGE_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isStatic(url) {
  return new URL(url, self.location.origin).pathname.indexOf(CONFIG.static) === 0;
}

function never(path) {
  return CONFIG.never.some(function (prefix) { return path.indexOf(prefix) === 0; });
}

function mayCache(path) {
  if (never(path)) return false;
  return CONFIG.cacheable.some(function (prefix) {
    return prefix === "/" ? path === "/" : path.indexOf(prefix) === 0;
  });
}

// A response may be stored only when it is a plain, successful, same-origin answer for a public path that
// did not end up elsewhere (a redirect to a log-in page) and did not ask not to be stored.
function cacheable(url, response) {
  if (!response || response.status !== 200 || response.type !== "basic" || response.redirected) return false;
  var cc = (response.headers.get("Cache-Control") || "").toLowerCase();
  if (cc.indexOf("no-store") >= 0 || cc.indexOf("private") >= 0) return false;
  return mayCache(new URL(url, self.location.origin).pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // POST is never cached nor answered from a cache
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.headers.get("X-SIKESAL-Live")) return; // a status refresh wants the server's answer or none
  if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(cacheFirst(request));
  } else if (mayCache(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (request.mode === "navigate") {
    // Not ours to keep (personal, back office...): straight to the network, the offline page without one.
    event.respondWith(fetch(request).catch(offlinePage));
  }
});

function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") cache.put(request, response.clone());
        return response;
      });
    });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (cacheable(request.url, response)) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(request, { ignoreVary: true }).then(function (hit) {
        // The form with a query (?layanan=...) is still the form.
        return hit || cache.match(request, { ignoreVary: true, ignoreSearch: true });
      });
    }).then(function (hit) {
      if (hit) return hit;
      if (request.mode === "navigate") return offlinePage();
      return Response.error();
    });
  });
}

function offlinePage() {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(CONFIG.offline, { ignoreVary: true });
  }).then(function (hit) {
    return hit || new Response("SIKESAL: offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

// Reports written while offline are sent when the connection returns (outbox.js; the page does the same
// on its `online` event: the idempotency key keeps it to one report).
self.addEventListener("sync", function (event) {
  if (event.tag !== "sikesal-outbox") return;
  event.waitUntil(self.SikesalOutbox.flush(CONFIG.fileUrl).then(function (result) {
    if (result.offline) throw new Error("still offline"); // the browser tries again later
  }));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "sikesal:flush") {
    event.waitUntil(self.SikesalOutbox.flush(CONFIG.fileUrl));
  }
});

// Web Push: the server sends only a tracking number and a public status label (integrations/webpush).
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "SIKESAL Kota Jambi", {
    body: data.body || "",
    tag: data.tag || "sikesal",
    icon: CONFIG.icon,
    badge: CONFIG.icon,
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === target && "focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(target);
  }));
});
