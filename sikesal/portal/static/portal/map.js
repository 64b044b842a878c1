/* Leaflet maps in the page's language: the text comes from the map element's data- attributes
 * (portal/_map_text.html). Used by the filing form's pin (map-pin.js), the public list (reports.js) and the
 * officer's report page, where a [data-map-point] element shows one report's place. */
window.SikesalMap = (function () {
  "use strict";

  function create(el, options) {
    var T = el.dataset;
    var map = L.map(el, Object.assign({ zoomControl: false }, options));
    L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(T.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    return map;
  }

  function marker(el, latlng, label) {
    var text = label || el.dataset.marker;
    return L.marker(latlng, { alt: text, title: text });
  }

  window.addEventListener("load", function () {
    if (!window.L) return;
    document.querySelectorAll("[data-map-point]").forEach(function (el) {
      var point = [+el.dataset.lat, +el.dataset.lng];
      el.hidden = false;
      var map = create(el, { scrollWheelZoom: false }).setView(point, 16);
      marker(el, point).addTo(map);
    });
  });

  return { create: create, marker: marker };
})();
