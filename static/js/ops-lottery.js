/* The lucky draw's board (OPS-07): after a draw the server's result page marks the winning slot; with JS the
   highlight runs round the board first and stops there. Nothing here decides anything. */
(function () {
  var board = document.getElementById("lot-board");
  if (!board || board.getAttribute("data-slot") === "") return;
  var slots = board.querySelectorAll(".lot-slot"), target = parseInt(board.getAttribute("data-slot"), 10);
  var result = document.getElementById("lot-result");
  if (!slots.length || isNaN(target)) return;
  if (result) result.style.visibility = "hidden";
  for (var i = 0; i < slots.length; i++) slots[i].classList.remove("hit");
  var steps = slots.length * 3 + target, n = 0;
  function tick() {
    for (var i = 0; i < slots.length; i++) slots[i].classList.toggle("hit", i === n % slots.length);
    if (n >= steps) { if (result) result.style.visibility = "visible"; return; }
    n += 1;
    setTimeout(tick, 60 + n * 4);
  }
  tick();
})();
