// Boots GraphiQL on QuantVista's page (gateway/graphiql/page.html). Everything it needs was
// loaded from this server before it runs: React and ReactDOM as window.React/window.ReactDOM,
// GraphiQL as window.GraphiQL. Settings come from the page's data attributes, never from code
// built per request, so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");

  function fail(message) {
    var status = document.createElement("p");
    status.className = "qv-graphiql-status qv-graphiql-error";
    status.textContent = message;
    root.replaceChildren(status);
  }

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    fail(
      "GraphiQL could not start: its scripts did not load from this server. " +
        "Reload the page; if it persists, the gateway's log may say why."
    );
    return;
  }

  // GraphiQL keeps its tabs and query history in localStorage, and (3.8.3) stores each history
  // entry's request headers there even with shouldPersistHeaders off. Headers carry bearer
  // tokens, so this storage drops them from everything it writes.
  var HEADER_BEARING = /^graphiql:(queries|favorites|tabState)$/;
  function withoutHeaders(value) {
    try {
      var stored = JSON.parse(value);
      (stored.queries || stored.tabs || []).forEach(function (entry) {
        delete entry.headers;
      });
      return JSON.stringify(stored);
    } catch (error) {
      return value;
    }
  }
  var storage = {
    getItem: function (key) {
      return window.localStorage.getItem(key);
    },
    setItem: function (key, value) {
      if (key === "graphiql:headers") return;
      window.localStorage.setItem(key, HEADER_BEARING.test(key) ? withoutHeaders(value) : value);
    },
    removeItem: function (key) {
      window.localStorage.removeItem(key);
    },
    clear: function () {
      window.localStorage.clear();
    },
    get length() {
      return window.localStorage.length;
    },
  };

  var endpoint = root.dataset.endpoint;
  var wsScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // Queries and mutations go over HTTP POST; subscriptions over graphql-transport-ws on the
  // same path (GraphiQL's bundle includes the graphql-ws client, which connects lazily).
  var fetcher = window.GraphiQL.createFetcher({
    url: endpoint,
    subscriptionUrl: wsScheme + "//" + window.location.host + endpoint,
  });

  try {
    window.ReactDOM.createRoot(root).render(
      window.React.createElement(window.GraphiQL, {
        fetcher: fetcher,
        storage: storage,
        defaultQuery: root.dataset.defaultQuery,
        isHeadersEditorEnabled: true,
        // Headers may hold bearer tokens: keep them in this page only, never in localStorage.
        shouldPersistHeaders: false,
      })
    );
  } catch (error) {
    fail("GraphiQL could not start: " + error);
  }
})();
