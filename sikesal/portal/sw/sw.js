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
    pagesJustLoaded().then(function (loaded) {
      return Promise.all([
        caches.open(STATIC_CACHE).then(function (cache) {
          // "no-cache": a file the page has just loaded is only revalidated (a 304, no body) instead of
          // downloaded again, and a file a deploy changed is never taken from a stale HTTP cache entry
          // (nginx keeps /static/ 30 days under the same name) into the new version's cache.
          return cache.addAll(CONFIG.precache.filter(isStatic).map(function (url) {
            return new Request(url, { cache: "no-cache" });
          }));
        }),
        caches.open(PAGE_CACHE).then(function (cache) {
          return Promise.all(CONFIG.precache.filter(function (url) { return !isStatic(url); }).map(function (url) {
            return precachePage(cache, url, loaded.indexOf(url) >= 0);
          }));
        })
      ]);
    }).then(function () { return self.skipWaiting(); })
  );
});

// On the first install (no earlier worker), the pages open in a window were just downloaded without one:
// their addresses (path and query). An update takes every page fresh from the network.
function pagesJustLoaded() {
  if (self.registration.active) return Promise.resolve([]);
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    return windows.map(function (client) {
      var url = new URL(client.url);
      return url.pathname + url.search;
    });
  });
}

// A page just loaded is kept from the HTTP cache rather than downloaded again; any other from the network.
// One by one: a page that fails (a rate limit, a hiccup) must not stop the install.
function precachePage(cache, url, justLoaded) {
  var copy = justLoaded ? fromHttpCache(url) : Promise.reject(new Error("not loaded yet"));
  return copy.catch(function () {
    return fetch(url, { credentials: "same-origin" });
  }).then(function (response) {
    if (cacheable(url, response)) return cache.put(url, response);
  }).catch(function () {});
}

// The HTTP cache's copy, never the network. Pages vary on Cookie and a first visit asks without one (the
// CSRF cookie comes with that answer), so the copy is asked for that way first, then with the cookie.
function fromHttpCache(url) {
  function ask(credentials) {
    return fetch(url, { cache: "only-if-cached", mode: "same-origin", credentials: credentials }).then(function (response) {
      if (!cacheable(url, response)) throw new Error("no copy to keep");
      return response;
    });
  }
  return ask("omit").catch(function () { return ask("same-origin"); });
}

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
