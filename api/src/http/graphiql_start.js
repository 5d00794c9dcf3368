// Mounts GraphiQL (the UMD globals React, ReactDOM and GraphiQL) on this server's endpoint.
// Served from a file rather than inline, so the page's Content-Security-Policy needs no
// 'unsafe-inline'.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  root.textContent = "";
  root.style.height = "100vh";
  document.body.style.margin = "0";
  var fetcher = GraphiQL.createFetcher({ url: root.dataset.endpoint });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    })
  );
})();
