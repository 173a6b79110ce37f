// Progressive enhancement only: everything works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
});
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("[data-autosubmit]")) return;
  if (box.dataset.confirm && !box.checked && !window.confirm(box.dataset.confirm)) {
    box.checked = true;  // kept on: the owner said no
    return;
  }
  box.form.submit();
});
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autopost]");  // SAML POST binding
  if (form) form.submit();
});
document.addEventListener("submit", (event) => {  // a destructive action asks first
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// Live panels: an element with data-live="SECONDS" is refreshed from its page
// (data-live-src, else this URL), by id.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach((panel) => {
    const every = Math.max(1, Number(panel.dataset.live) || 2) * 1000;
    const refresh = () => {
      if (document.hidden) return;
      fetch(panel.dataset.liveSrc || window.location.href, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : null))
        .then((html) => {
          if (!html) return;
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(panel.id);
          if (fresh && fresh.innerHTML !== panel.innerHTML) panel.innerHTML = fresh.innerHTML;
        })
        .catch(() => {});
    };
    setInterval(refresh, every);
  });
});

// A table wider than a phone scrolls sideways: make it reachable by keyboard too.
const scrollables = () => document.querySelectorAll("table").forEach((table) => {
  if (table.scrollWidth > table.clientWidth + 1) {
    table.tabIndex = 0;
    if (!table.getAttribute("aria-label")) {
      const heading = table.closest("section")?.querySelector("h2, h1");
      table.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "scrolls sideways");
    }
  } else if (table.tabIndex === 0) {
    table.removeAttribute("tabindex");
  }
});
document.addEventListener("DOMContentLoaded", scrollables);
window.addEventListener("resize", scrollables);
