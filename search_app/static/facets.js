/* Progressive enhancement for long facets: a type-to-filter box inside the facet.
   The page works without this file: "meer tonen" is a native <details> element. */
(function () {
  "use strict";
  function setUp(input) {
    var section = input.closest(".facet");
    var details = section.querySelector("details.meer");
    var items = section.querySelectorAll("li[data-waarde]");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(status);
    input.closest(".facetfilter").hidden = false;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (li) {
        var match = !needle || li.getAttribute("data-waarde").indexOf(needle) !== -1;
        li.hidden = !match;
        if (match) { shown += 1; }
      });
      if (details && needle) { details.open = true; }
      status.textContent = needle ? shown + (shown === 1 ? " waarde" : " waarden") : "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".facetfilter input[data-facet]").forEach(setUp);
  });
})();
