/* Every page: the service worker (the portal works offline and can be installed), the report outbox sent
 * as soon as there is a signal, and the tracking number of a report just filed kept on this device.
 * Enhancements only: without JavaScript (or without service workers) the site works as before. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) return;
  var fileUrl = me.dataset.fileUrl;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(me.dataset.sw, { scope: "/" }).catch(function () { /* the site works without */ });
  }
  if (!window.SikesalOutbox || !window.indexedDB) return;

  // The confirmation page: this device filed that report; its draft is done with.
  var number = document.getElementById("tracking-number");
  if (number && number.hasAttribute("data-filed-here")) {
    try { localStorage.removeItem("sikesal-draft-v1"); } catch (e) { /* private mode */ }
    SikesalOutbox.remember({ tracking: number.textContent.trim(), sentAt: Date.now() }).catch(function () {});
  }

  var flushing = false;
  function flush() {
    if (!navigator.onLine || flushing) return;
    flushing = true;
    SikesalOutbox.flush(fileUrl).catch(function () {}).then(function () { flushing = false; });
  }
  window.addEventListener("online", flush);
  flush(); // the next time the app is opened with a signal
})();
