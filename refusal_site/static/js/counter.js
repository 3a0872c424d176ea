// A live count under each field with a length limit ("18,950 of 20,000 characters"). Progressive
// enhancement: without it the form works the same, and the server refuses a text over the limit
// with a message next to the field, keeping the whole text. It never cuts and never blocks sending.
// Screen readers hear the count when they reach the field (aria-describedby), and, after a pause in
// typing, whether the text is over the limit (a polite live region), not every keystroke.
(function () {
  "use strict";
  var PAUSE = 1000; // milliseconds without typing before the live region speaks
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, { numberingSystem: "latn" });

  // As the server counts: NFC, in characters (not UTF-16 units), without the spaces it trims away;
  // a one-line field's runs of spaces count as one.
  function length(field) {
    var text = field.value.normalize("NFC");
    text = field.tagName === "TEXTAREA" ? text.trim() : text.replace(/\s+/g, " ").trim();
    return Array.from(text).length;
  }

  function fill(template, count, over) {
    return template.replace("{count}", numbers.format(count)).replace("{over}", numbers.format(over));
  }

  function watch(field) {
    var counter = document.getElementById(field.id + "-counter");
    var status = document.getElementById(field.id + "-status");
    if (!counter || !status) return;
    var limit = Number(field.getAttribute("data-limit"));
    // A letter's box always shows its count; a one-line field once it nears its limit.
    var threshold = field.tagName === "TEXTAREA" ? 0 : Math.floor(limit * 0.8);
    var wasOver = length(field) > limit;
    var timer = null;
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(counter.id);
    field.setAttribute("aria-describedby", described.join(" "));

    function show() {
      var count = length(field);
      var over = count > limit;
      counter.hidden = count < threshold && !over;
      counter.textContent = fill(counter.getAttribute(over ? "data-over" : "data-count"), count, count - limit);
      counter.classList.toggle("counter--over", over);
      return { count: count, over: over };
    }

    function announce() {
      var now = show();
      if (now.over) {
        status.textContent = counter.textContent;
      } else if (wasOver) {
        status.textContent = fill(counter.getAttribute("data-under"), now.count, 0);
      }
      wasOver = now.over;
    }

    show();
    field.addEventListener("input", function () {
      show();
      window.clearTimeout(timer);
      timer = window.setTimeout(announce, PAUSE);
    });
  }

  document.querySelectorAll("[data-limit][id]").forEach(watch);
})();
