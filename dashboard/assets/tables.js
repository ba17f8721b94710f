/* Tables with links (dashboard/components/tables.py): their CSV export, and in-app
   navigation when a link in a table is clicked. */
(function () {
  // "[text](href)" as the table's markdown cell holds it -> "text", unescaped.
  const MARKDOWN_LINK = /^\[((?:\\.|[^\]\\])*)\]\([^)]*\)$/;
  function plain(value) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value !== "string") { return String(value); }
    const link = MARKDOWN_LINK.exec(value);
    return link ? link[1].replace(/\\(.)/g, "$1") : value;
  }
  function field(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    sloboard: {
      // The rows shown, in the order shown, under the column names; numbers unrounded.
      exportCsv: function (_clicks, rows, columns, tableId) {
        const lines = [columns.map(c => field(String(c.name))).join(",")];
        (rows || []).forEach(row => lines.push(columns.map(c => field(plain(row[c.id]))).join(",")));
        // The byte-order mark makes spreadsheet programs read the file as UTF-8 (✓, ✕, →).
        return {content: "\ufeff" + lines.join("\r\n") + "\r\n", filename: tableId + ".csv", type: "text/csv"};
      },
    },
  });

  // A plain left click on a link inside a table stays in the app (as dcc.Link does);
  // middle-click, modifier keys and "copy link" keep the browser's own behaviour.
  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest(".dash-table-container a[href]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) { return; }
    event.preventDefault();
    window.history.pushState({}, "", url.pathname + url.search + url.hash);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  });
})();
