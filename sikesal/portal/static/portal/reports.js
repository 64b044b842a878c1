// The list is the page; the map is an extra, shown only when Leaflet and the points load.
window.addEventListener("load", function () {
  "use strict";
  var el = document.getElementById("map");
  if (!window.L || !el) return;
  fetch(el.dataset.points).then(function (r) { return r.json(); }).then(function (data) {
    if (!data.points.length) return;
    el.hidden = false;
    var map = L.map(el);
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    var bounds = [];
    data.points.forEach(function (p) {
      var link = document.createElement("a"); link.href = p.url; link.textContent = p.title;
      L.marker([p.lat, p.lng]).addTo(map).bindPopup(link);
      bounds.push([p.lat, p.lng]);
    });
    map.fitBounds(bounds, { maxZoom: 16 });
  }).catch(function () { el.hidden = true; });
});
