// The repairer's phone pages (/m/): the signature pad, and a submit button
// that says it is sending (slow connections) and cannot be pressed twice.
(function () {
  "use strict";
  var canvas = document.getElementById("m-sig");
  if (canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false, last = null;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    var point = function (e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    };
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = point(e);
      if (canvas.setPointerCapture && e.pointerId !== undefined) { try { canvas.setPointerCapture(e.pointerId); } catch (_) {} }
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = point(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true; e.preventDefault();
    });
    var stop = function () { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = document.getElementById("m-sig-clear");
    if (clear) {
      clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
    }
    canvas.closest("form").addEventListener("submit", function () {
      document.getElementById("m-sig-data").value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        setTimeout(function () { button.disabled = true; }, 0);
        if (form.dataset.sending) { button.textContent = form.dataset.sending; }
      }
    });
  });
})();
