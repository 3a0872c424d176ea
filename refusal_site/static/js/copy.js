// "Copy" beside a text meant to be copied (a link, a snippet of HTML). Progressive enhancement:
// without this script the text is shown selectable, and the button is never drawn. The button's
// words come from the page (data-copy-label, data-copied-label), in its language.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (source) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button copy-button";
    button.textContent = source.getAttribute("data-copy-label");
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        status.textContent = source.getAttribute("data-copied-label");
      });
    });
    var line = document.createElement("span");
    line.className = "copy-line";
    line.append(button, status);
    source.insertAdjacentElement("afterend", line);
  });
})();
