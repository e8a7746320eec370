// The chat page with JS (IM-03): the htmx SSE extension appends each new message; this drops one the page
// already shows (a resumed stream re-sends the last seconds), clears the empty note and keeps the newest in view.
(function () {
  "use strict";
  function list() { return document.getElementById("im-messages"); }
  function scrollDown() { var l = list(); if (l && l.lastElementChild) { l.lastElementChild.scrollIntoView({block: "end"}); } }
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (event.detail.type !== "msg") { return; }
    var match = /id="(m-\d+)"/.exec(event.detail.data || "");
    var oob = /hx-swap-oob/.test(event.detail.data || "");
    if (match && !oob && document.getElementById(match[1])) { event.preventDefault(); }
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail.type !== "msg") { return; }
    var none = document.getElementById("im-none");
    if (none) { none.remove(); }
    scrollDown();
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail.type !== "unread") { return; }
    var badge = document.getElementById("im-unread");  // another conversation got a message: one more unread
    if (badge) { badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1); badge.hidden = false; }
  });
  document.addEventListener("DOMContentLoaded", scrollDown);
})();
