// Entry point: wires the page's modules together.
const status = document.getElementById("status");
status.textContent = "Ready.";
