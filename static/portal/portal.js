// The portal works without this script; it only saves a click or two.
document.addEventListener("DOMContentLoaded", function () {
  // The language menu applies the choice at once (its button stays for browsers without scripts).
  document.querySelectorAll("select.js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll(".js-hide").forEach(function (element) { element.hidden = true; });
  // A form whose button carries data-confirm asks before it is sent (submitting a report, signing).
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
