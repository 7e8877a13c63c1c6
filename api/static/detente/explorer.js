// Starts GraphiQL on the Détente explorer page. A file, not an inline script, so the page's
// Content-Security-Policy can allow scripts from this origin only. The page passes its settings
// (endpoint, example tabs) in the data-config attribute of #graphiql.
'use strict';

(function () {
  const root = document.getElementById('graphiql');
  const config = JSON.parse(root.dataset.config);
  const fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  const tabs = config.tabs.map(function (query) {
    return { query: query };
  });

  ReactDOM.createRoot(root).render(
    React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        plugins: [explorer],
        visiblePlugin: explorer,
        defaultQuery: tabs[0].query,
        defaultTabs: tabs,
        defaultEditorToolsVisibility: true,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        inputValueDeprecation: true,
      },
      React.createElement(GraphiQL.Logo, null, 'Détente'),
    ),
  );
})();
