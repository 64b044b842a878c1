// The list is the page; the map is an extra, shown only when Leaflet and the points load.
window.addEventListener("load", function () {
  "use strict";
  var el = document.getElementById("map");
  if (!window.L || !window.SikesalMap || !el) return;
  fetch(el.dataset.points).then(function (r) { return r.json(); }).then(function (data) {
    if (!data.points.length) return;
    el.hidden = false;
    var map = SikesalMap.create(el);
    var bounds = [];
    data.points.forEach(function (p) {
      var link = document.createElement("a"); link.href = p.url; link.textContent = p.title;
      SikesalMap.marker(el, [p.lat, p.lng], p.title).addTo(map).bindPopup(link);
      bounds.push([p.lat, p.lng]);
    });
    map.fitBounds(bounds, { maxZoom: 16 });
  }).catch(function () { el.hidden = true; });
});
