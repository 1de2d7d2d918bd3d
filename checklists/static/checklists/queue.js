// "My open items": answer an item without reloading the page, then move to the next one.
// Without this script every form still posts normally and the server redirects back.

const queue = document.getElementById("queue");

function openItems() {
  return Array.from(queue.querySelectorAll(".q-item:not(.answered)"));
}

function focusItem(item) {
  if (!item) {
    const filters = document.getElementById("queue-filters");
    if (filters) filters.querySelector("select, input, button").focus();
    return;
  }
  const details = item.querySelector("details");
  details.open = true;
  const primary = item.querySelector("[data-primary]") || item.querySelector("summary");
  primary.focus();
  item.scrollIntoView({ block: "nearest" });
}

function nextOpenAfter(item) {
  const open = openItems();
  const after = open.find((other) => item.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING);
  return after || open[0] || null;
}

function updateCounts() {
  const count = document.getElementById("open-count");
  if (count) count.textContent = String(openItems().length + Number(count.dataset.beyondPage || 0));
  const selected = document.getElementById("selected-count");
  if (selected) {
    const n = queue.querySelectorAll(".q-select:checked").length;
    selected.textContent = n ? `${n} selected` : "";
  }
}

function showProblem(form, text) {
  let problem = form.querySelector(".q-problem");
  if (!problem) {
    problem = document.createElement("p");
    problem.className = "q-error q-problem";
    problem.setAttribute("role", "alert");
    form.prepend(problem);
  }
  problem.textContent = text;
}

async function submitAnswer(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.set(submitter.name, submitter.value);
  const item = form.closest(".q-item");
  item.classList.add("saving");
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
    });
  } catch (error) {
    item.classList.remove("saving");
    showProblem(form, "Not saved: the server could not be reached. Try again.");
    return;
  }
  const template = document.createElement("template");
  template.innerHTML = (await response.text()).trim();
  const replacement = template.content.firstElementChild;
  if (!replacement || !replacement.classList.contains("q-item")) {
    // Not the item's fragment (403, a server error, a login page): say so in the item.
    item.classList.remove("saving");
    showProblem(form, response.status === 403
      ? "You may not answer this item (403)."
      : `Not saved: the server answered ${response.status}. Try again, or reload the page.`);
    return;
  }
  item.replaceWith(replacement);
  updateCounts();
  if (response.ok) {
    focusItem(replacement.classList.contains("answered") ? nextOpenAfter(replacement) : replacement);
  } else {
    const invalid = replacement.querySelector(".q-error");
    const field = invalid && invalid.closest("label") ? document.getElementById(invalid.closest("label").htmlFor) : null;
    (field || replacement.querySelector("textarea") || replacement.querySelector("summary")).focus();
  }
}

if (queue) {
  const count = document.getElementById("open-count");
  if (count) count.dataset.beyondPage = String(Number(count.textContent) - openItems().length);

  queue.addEventListener("submit", (event) => {
    const form = event.target.closest("form.answer-form");
    if (!form) return;
    event.preventDefault();
    submitAnswer(form, event.submitter);
  });
  queue.addEventListener("change", (event) => {
    if (event.target.classList.contains("q-select")) updateCounts();
  });

  // "Select all shown" and "Select all carried": ticks for the bulk form (script only).
  [["select-all", ".q-select"], ["select-carried", ".q-select.q-carried"]].forEach(([id, selector]) => {
    const toggle = document.getElementById(id);
    if (!toggle) return;
    toggle.closest("label").hidden = false;
    toggle.addEventListener("change", () => {
      queue.querySelectorAll(selector).forEach((box) => { box.checked = toggle.checked; });
      updateCounts();
    });
  });

  // Land on the first open item (or the one in the address), ready to answer.
  const target = location.hash ? document.querySelector(location.hash) : null;
  focusItem(target && target.classList.contains("q-item") ? target : openItems()[0]);
}
