// Keyboard navigation of the matching queue (templates/queue.html): j or
// the down arrow selects the next payment, k or the up arrow the previous
// one, Enter confirms the selected payment's best proposal (the first
// confirm form of its row). Keys typed into a form field are left alone.
// Everything also works with the mouse and without this script.
(function () {
  var table = document.querySelector("[data-queue]");
  if (!table) {
    return;
  }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-row]"));
  function current() {
    return rows.indexOf(document.activeElement);
  }
  function select(i) {
    if (i < 0 || i >= rows.length) {
      return;
    }
    rows.forEach(function (r) { r.removeAttribute("aria-selected"); });
    rows[i].setAttribute("aria-selected", "true");
    rows[i].focus();
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey || (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.tagName === "BUTTON"))) {
      return;
    }
    var i = current();
    switch (e.key) {
      case "j":
      case "ArrowDown":
        select(i < 0 ? 0 : i + 1);
        e.preventDefault();
        break;
      case "k":
      case "ArrowUp":
        select(i < 0 ? 0 : i - 1);
        e.preventDefault();
        break;
      case "Enter":
        if (i >= 0) {
          var form = rows[i].querySelector("form[data-confirm-form]");
          if (form) {
            e.preventDefault();
            form.requestSubmit ? form.requestSubmit() : form.submit();
          }
        }
        break;
    }
  });
  rows.forEach(function (r) {
    r.addEventListener("focus", function () {
      rows.forEach(function (o) { o.removeAttribute("aria-selected"); });
      r.setAttribute("aria-selected", "true");
    });
  });
})();
