// The console works without JavaScript; this only asks before a deletion and prevents double submits.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
});

// The articles page: follow the background index build until it ends (the page works without this: reload).
const build = document.getElementById("build");
if (build) {
  const show = (s) => {
    build.dataset.state = s.state;
    document.getElementById("build-state").textContent = s.state;
    document.getElementById("build-stage").textContent = s.stage + (s.total ? ` ${s.done}/${s.total}` : "");
    const bar = document.getElementById("build-progress");
    bar.max = s.total || 1;
    bar.value = s.done;
    document.getElementById("build-passages").textContent = s.passages === null ? "" : `${s.passages} passages`;
    const error = document.getElementById("build-error");
    error.textContent = s.error;
    error.hidden = !s.error;
  };
  const poll = async () => {
    try {
      const response = await fetch(build.dataset.statusUrl, { credentials: "same-origin" });
      if (response.ok) {
        const s = await response.json();
        show(s);
        if (s.state !== "running") return;
      }
    } catch (e) { /* the console restarting: try again */ }
    setTimeout(poll, 1000);
  };
  if (build.dataset.state === "running") poll();
}
