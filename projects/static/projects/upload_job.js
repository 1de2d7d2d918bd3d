// Follows an upload job (projects/upload_job.html): polls its state, shows its progress, and
// reloads the page once the job moves on (running, done, failed, or from preview to import).
(function () {
  "use strict";
  var box = document.getElementById("upload-job");
  if (!box || !box.dataset.stateUrl) {
    return;
  }
  var seen = box.dataset.state + "/" + box.dataset.step;
  var label = box.querySelector("[data-job-progress]");
  var bar = box.querySelector("progress");

  function show(state) {
    if (state.total === null) {
      return;
    }
    if (label) {
      label.textContent = state.processed + " of " + state.total + " " + box.dataset.unit + " processed";
    }
    if (bar) {
      bar.max = state.total;
      bar.value = state.processed;
    }
  }

  function poll() {
    window
      .fetch(box.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.state + "/" + state.step !== seen) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
