/* Suggestions as you type: the search box becomes a combobox with a listbox popup, as in
   the WAI-ARIA Authoring Practices ("list autocomplete with manual selection").

   Keys: Down/Up move through the suggestions (Alt+Down opens), Enter follows the chosen
   one (or submits the search when none is chosen), Escape closes the list (a second
   Escape clears the box), Tab leaves. A live region says how many suggestions there are.
   The page works without this file: the box is then a plain search field. */
(function () {
  "use strict";
  var DELAY_MS = 120;
  var MIN_CHARS = 2;
  var KIND_LABELS = { thema: "thema", doelgroep: "doelgroep", titel: "document", zoekterm: "zoekterm" };

  function setUp(wrapper) {
    var input = wrapper.querySelector("input[type=search]");
    var endpoint = wrapper.getAttribute("data-suggest");
    var list = document.createElement("ul");
    var live = document.createElement("p");
    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastAsked = "";

    list.id = "suggesties";
    list.className = "suggesties";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggesties");
    list.hidden = true;
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    wrapper.appendChild(list);
    wrapper.appendChild(live);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!items.length) { return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.text;
      close();
      window.location.assign(item.url);
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      suggestions.forEach(function (item, i) {
        var option = document.createElement("li");
        var text = document.createElement("span");
        var kind = document.createElement("span");
        option.id = "suggestie-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        text.textContent = item.text;
        kind.className = "soort";
        kind.textContent = KIND_LABELS[item.kind] || item.kind;
        option.appendChild(text);
        option.appendChild(document.createTextNode(" "));
        option.appendChild(kind);
        // mousedown, not click: the input would lose focus (and close the list) first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
      });
      active = -1;
      if (suggestions.length) {
        open();
        live.textContent = suggestions.length + (suggestions.length === 1 ?
          " suggestie beschikbaar." : " suggesties beschikbaar.") +
          " Gebruik pijltje omlaag om te kiezen.";
      } else {
        close();
        live.textContent = "";
      }
    }

    function ask() {
      var typed = input.value.trim();
      if (typed === lastAsked) { return; }
      lastAsked = typed;
      if (typed.length < MIN_CHARS) { render([]); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      fetch(endpoint + "?q=" + encodeURIComponent(typed), {
        signal: controller.signal,
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      }).then(function (body) {
        if (input.value.trim() === typed) { render(body.suggestions || []); }
      }).catch(function (error) {
        if (error.name !== "AbortError") { render([]); }
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var count = items.length;
      var expanded = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
          if (!count) { return; }
          event.preventDefault();
          if (!expanded) { open(); if (event.altKey) { return; } }
          highlight(active + 1 >= count ? 0 : active + 1);
          break;
        case "ArrowUp":
          if (!count || !expanded) { return; }
          event.preventDefault();
          highlight(active <= 0 ? count - 1 : active - 1);
          break;
        case "Enter":
          if (expanded && active >= 0) {
            event.preventDefault();
            choose(active);
          }
          break;
        case "Escape":
          if (expanded) {
            event.preventDefault();
            close();
            live.textContent = "Suggesties gesloten.";
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            lastAsked = "";
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-suggest]").forEach(setUp);
  });
})();
