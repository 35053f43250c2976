/// `/static/dashboard.js`: upload with progress, live scoring progress over server-sent events,
/// cancel, the retention-offer modal, the cluster page's refresh. Vanilla JS, no inline handlers.
enum DashboardScript {
    static let source = #"""
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const fmt = (n) => Math.round(n).toLocaleString("en-US");

  function showError(text) {
    const e = $("progress-error");
    if (e) { e.textContent = text; e.hidden = false; }
  }

  function errorText(xhrOrText) {
    try {
      const o = JSON.parse(xhrOrText);
      if (o && o.error && o.error.message) return o.error.message;
    } catch (_) { /* not JSON */ }
    return String(xhrOrText || "the request failed");
  }

  // Follows a run over server-sent events; goes to its page when it ends.
  function follow(runId, stayOnEnd) {
    const phase = $("progress-phase"), bar = $("progress-bar");
    if (phase) phase.textContent = "Scoring";
    const source = new EventSource("/api/v1/runs/" + runId + "/events");
    source.addEventListener("progress", (ev) => {
      const run = JSON.parse(ev.data);
      if (bar) bar.value = run.progress.fraction;
      $("live-rows").textContent = fmt(run.progress.rowsScored);
      $("live-rate").textContent = fmt(run.progress.rowsPerSecond);
      $("live-workers").textContent = String(run.progress.workers);
      $("progress-text").textContent = Math.round(run.progress.fraction * 100) + "%";
    });
    source.addEventListener("done", (ev) => {
      source.close();
      const run = JSON.parse(ev.data);
      if (run.status === "succeeded" || !stayOnEnd) {
        window.location.assign("/runs/" + runId);
      } else {
        if (phase) phase.textContent = run.status;
        showError(run.error || run.status);
      }
    });
    source.onerror = () => { /* EventSource reconnects by itself */ };
  }

  function setUpUpload() {
    const form = $("upload-form");
    if (!form) return;
    const input = $("file"), drop = $("drop"), text = $("drop-text");
    const chosen = () => { if (input.files.length) text.textContent = input.files[0].name; };
    input.addEventListener("change", chosen);
    ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
    ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; chosen(); }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!input.files.length) return;
      const file = input.files[0];
      const query = new URLSearchParams({ name: file.name, rank_by: $("rank_by").value, top: $("top").value });
      if ($("sheet").value) query.set("sheet", $("sheet").value);
      const xlsx = /\.xlsx$/i.test(file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/runs?" + query.toString());
      xhr.setRequestHeader("Content-Type", xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv");
      $("progress").hidden = false;
      $("progress-error").hidden = true;
      $("upload-button").disabled = true;
      $("progress-phase").textContent = "Uploading";
      xhr.upload.addEventListener("progress", (ev) => {
        if (ev.lengthComputable) {
          $("progress-bar").value = ev.loaded / ev.total;
          $("progress-text").textContent = Math.round(100 * ev.loaded / ev.total) + "%";
        }
      });
      xhr.addEventListener("load", () => {
        $("upload-button").disabled = false;
        if (xhr.status !== 202) { showError(errorText(xhr.responseText)); return; }
        const run = JSON.parse(xhr.responseText);
        $("progress-bar").value = 0;
        follow(run.id, true);
      });
      xhr.addEventListener("error", () => { $("upload-button").disabled = false; showError("the upload failed"); });
      xhr.send(file); // the raw file: the server streams it to disk
    });
  }

  function setUpRun() {
    const run = $("run");
    if (!run) return;
    if (run.dataset.status === "running") follow(run.dataset.run, false);
    const refresh = $("refresh-run");
    if (refresh) refresh.addEventListener("click", () => {
      refresh.disabled = true;
      fetch("/api/v1/runs/" + refresh.dataset.run + "/refresh", { method: "POST" })
        .then((r) => r.text().then((t) => {
          if (r.status === 202) { window.location.assign("/runs/" + JSON.parse(t).id); return; }
          $("refresh-error").textContent = errorText(t);
          $("refresh-error").hidden = false;
          refresh.disabled = false;
        }));
    });
    const cancel = $("cancel-run");
    if (cancel) cancel.addEventListener("click", () => {
      fetch("/api/v1/runs/" + cancel.dataset.run, { method: "DELETE" }).then(() => { cancel.disabled = true; });
    });
  }

  function setUpOffer() {
    const open = $("open-offer"), modal = $("offer-modal");
    if (!open || !modal) return;
    const customer = $("customer").dataset.customer;
    open.addEventListener("click", () => modal.showModal());
    $("offer-cancel").addEventListener("click", () => modal.close());
    $("offer-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const body = JSON.stringify({ subject: $("offer-subject").value, body: $("offer-body").value });
      fetch("/api/v1/customers/" + encodeURIComponent(customer) + "/offers",
            { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
        .then((r) => r.ok ? window.location.reload() : r.text().then((t) => {
          $("offer-error").textContent = errorText(t);
          $("offer-error").hidden = false;
        }));
    });
  }

  function setUpRefresh() {
    const el = document.querySelector("[data-refresh]");
    if (el) setTimeout(() => window.location.reload(), 1000 * Number(el.dataset.refresh));
  }

  document.addEventListener("DOMContentLoaded", () => { setUpUpload(); setUpRun(); setUpOffer(); setUpRefresh(); });
})();
"""#
}
