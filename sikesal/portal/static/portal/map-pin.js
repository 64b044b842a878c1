/* The filing form's place (portal/_map_pin.html): a pin placed by a tap, by the keyboard (the arrow keys move
 * the map under the cross in its middle, Enter places the pin there) or by "use my location". A place outside
 * Kota Jambi (the bounds the server checks, settings.SIKESAL_CITY_BOUNDS) is refused at once. Without
 * JavaScript or Leaflet the kecamatan and kelurahan lists are the way. */
(function () {
  "use strict";
  var box = document.getElementById("location-picker");
  if (!box) return;
  var T = box.dataset;
  var lat = document.getElementById("latitude"), lng = document.getElementById("longitude");
  var status = document.getElementById("locate-status");
  var map = null, marker = null;

  function inside(a, b) {
    return a >= +T.south && a <= +T.north && b >= +T.west && b <= +T.east;
  }

  function showPin(a, b) {
    if (!map) return;
    if (marker) marker.setLatLng([a, b]); else marker = SikesalMap.marker(document.getElementById("map"), [a, b]).addTo(map);
  }

  // Keeps the place if it is in the city and says so; otherwise says why not and keeps the previous one.
  function place(a, b, said) {
    if (!inside(a, b)) { status.textContent = T.outside; return false; }
    lat.value = a.toFixed(6); lng.value = b.toFixed(6);
    lat.dispatchEvent(new Event("change", { bubbles: true }));  // the draft (pwa-file.js) keeps it
    showPin(a, b);
    status.textContent = said;
    return true;
  }

  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = T.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var a = pos.coords.latitude, b = pos.coords.longitude;
        if (place(a, b, T.located) && map) map.setView([a, b], 17);
      }, function () {
        status.textContent = T.locateFailed;
        document.getElementById("kecamatan").focus();
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  window.addEventListener("load", function () {
    var el = document.getElementById("map");
    if (!window.L || !window.SikesalMap || !el) return;
    el.hidden = false; document.getElementById("map-hint").hidden = false;
    var city = [[+T.south, +T.west], [+T.north, +T.east]];
    map = SikesalMap.create(el, { maxBounds: city }).fitBounds(city);
    if (lat.value && lng.value) showPin(+lat.value, +lng.value);
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, T.placed); });
    // Leaflet pans with the arrow keys and zooms with + and -; Enter or Space places the pin at the cross.
    el.addEventListener("keydown", function (e) {
      if (e.target !== el || (e.key !== "Enter" && e.key !== " ")) return;
      e.preventDefault();
      var c = map.getCenter();
      place(c.lat, c.lng, T.placed);
    });
  });
})();
