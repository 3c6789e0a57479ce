// The repairer's phone pages (/m/): the signature pad, photos shrunk on the
// phone before they are sent, and a submit button that says it is sending
// (slow connections) and cannot be pressed twice. Without this script every
// form still works: the server checks and shrinks the photos itself.
(function () {
  "use strict";
  // Signature pads: a canvas.m-sig in a form, its drawing sent in the form's
  // hidden `signature` field, cleared by the form's .m-sig-clear button.
  document.querySelectorAll("canvas.m-sig").forEach(function (canvas) {
    var form = canvas.closest("form");
    if (!form) { return; }
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
    var clear = form.querySelector(".m-sig-clear");
    if (clear) {
      clear.addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
    }
    form.addEventListener("submit", function () {
      var data = form.querySelector("input[name=signature]");
      if (data) { data.value = drawn ? canvas.toDataURL("image/png") : ""; }
    });
  });

  // Photos: at most MAX_SIDE px on the long side, as JPEG, before sending.
  var MAX_SIDE = 1600, QUALITY = 0.85;

  // Only where the result is sure to be right: the files of an input can be
  // replaced (DataTransfer), and images are drawn upright as their EXIF says
  // (otherwise a photo taken sideways would arrive sideways, with the EXIF
  // that would have turned it gone).
  var canShrink = function () {
    try {
      if (typeof DataTransfer !== "function" || typeof File !== "function" || typeof Promise !== "function" ||
          !window.URL || !URL.createObjectURL || !HTMLCanvasElement.prototype.toBlob) { return false; }
      if (getComputedStyle(document.documentElement).imageOrientation !== "from-image") { return false; }
      var dt = new DataTransfer();
      dt.items.add(new File(["x"], "x.txt", { type: "text/plain" }));
      return dt.files.length === 1;
    } catch (_) {
      return false;
    }
  };

  // One photo shrunk, or the file itself when it is small enough already,
  // not an image we can decode, or when anything goes wrong.
  var shrink = function (file) {
    return new Promise(function (resolve) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { resolve(file); return; }
      var url = URL.createObjectURL(file);
      var img = new Image();
      var done = function (result) { URL.revokeObjectURL(url); resolve(result); };
      img.onerror = function () { done(file); };
      img.onload = function () {
        try {
          var w = img.naturalWidth, h = img.naturalHeight, side = Math.max(w, h);
          if (!side || side <= MAX_SIDE) { done(file); return; }
          var scale = MAX_SIDE / side;
          var c = document.createElement("canvas");
          c.width = Math.max(1, Math.round(w * scale));
          c.height = Math.max(1, Math.round(h * scale));
          var g = c.getContext("2d");
          g.fillStyle = "#fff"; // transparent PNG areas become white, not black
          g.fillRect(0, 0, c.width, c.height);
          g.imageSmoothingEnabled = true;
          g.imageSmoothingQuality = "high";
          g.drawImage(img, 0, 0, c.width, c.height);
          c.toBlob(function (blob) {
            c.width = 0; c.height = 0; // let the phone have its memory back
            if (!blob || blob.size === 0 || blob.size >= file.size) { done(file); return; }
            var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
            try {
              done(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified || Date.now() }));
            } catch (_) {
              done(file);
            }
          }, "image/jpeg", QUALITY);
        } catch (_) {
          done(file);
        }
      };
      img.src = url;
    });
  };

  // The photos one after another (a phone has little memory for several at once).
  var shrinkAll = function (files) {
    var out = [];
    return files.reduce(function (chain, file) {
      return chain.then(function () { return shrink(file); }).then(function (f) { out.push(f); });
    }, Promise.resolve()).then(function () { return out; });
  };

  document.querySelectorAll("form").forEach(function (form) {
    var photos = form.querySelector("input[type=file][name=photos]");
    var prepared = false;
    form.addEventListener("submit", function (e) {
      var button = form.querySelector("button[type=submit]");
      var busy = function (text) {
        if (!button) { return; }
        setTimeout(function () { button.disabled = true; }, 0);
        if (text) { button.textContent = text; }
      };
      if (!prepared && photos && photos.files && photos.files.length && canShrink()) {
        e.preventDefault();
        if (form.dataset.preparing === "1") { return; }
        form.dataset.preparing = "1";
        busy(form.dataset.shrinking || form.dataset.sending);
        var chosen = Array.prototype.slice.call(photos.files);
        var send = function () {
          if (prepared) { return; }
          prepared = true;
          clearTimeout(patience);
          if (button && form.dataset.sending) { button.textContent = form.dataset.sending; }
          // submit() fires no submit event: the signature was taken above.
          HTMLFormElement.prototype.submit.call(form);
        };
        // Should a decoder never answer, the originals go as they are.
        var patience = setTimeout(send, 30000);
        shrinkAll(chosen).then(function (files) {
          if (prepared) { return; }
          try {
            var dt = new DataTransfer();
            files.forEach(function (f) { dt.items.add(f); });
            photos.files = dt.files;
          } catch (_) {
            // The originals are still in the input: the server shrinks them.
          }
          send();
        }, send);
        return;
      }
      busy(form.dataset.sending);
    });
  });
})();
