// hemalake's GraphiQL: the study examples (embedded in the page as JSON) as tabs.
// GraphiQL 3.8.3 takes tabs[0].query from defaultTabs but not tabs[0].variables on first load,
// so the first tab's query and variables are also given as the initial editor values.
const tabs = JSON.parse(document.getElementById("hemalake-examples").textContent);
const fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });
const root = ReactDOM.createRoot(document.getElementById("graphiql"));
const first = tabs[0] || {};
root.render(
  React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultTabs: tabs,
    query: first.query,
    variables: first.variables,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  }),
);
