/* A "Change" link of "check your answers" leads back to the question with the address of the input
   (#f-...): the page puts the focus in it, as GOV.UK does. An error summary keeps the focus it takes. */
(function () {
  function focusTarget() {
    if (!location.hash || document.querySelector(".error-summary")) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    var input = /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) ? target : target.querySelector("input, select, textarea");
    if (input) {
      input.focus();
      if (input.select && input.type === "text") input.select();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusTarget);
  else focusTarget();
})();
