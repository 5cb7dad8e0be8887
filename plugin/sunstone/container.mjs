// Wraps an esbuild bundle into a Webpack Module Federation container of
// remoteType "var" -- the protocol FireEdge's shell speaks to its remotes
// (modules/utils/tabManifest.js): a global `var <name> = { init, get }`;
// `init(shareScope)` receives webpack's default share scope
// ({ pkg: { version: { get, loaded, from, eager } } }), `get('.')` resolves to
// a factory returning the module's exports. The bundle is evaluated only by
// that factory, with a `require` that answers the bundle's externals from
// the share scope (react, @mui/material: FireEdge's own instances, so its
// theme and contexts apply) or from FireEdge's own remotes (window.<Module>,
// already initialised by the shell). Nothing of React or MUI is bundled.
export function federatedContainer({ name, shared, remotes, body }) {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`container name ${name} is not a JavaScript identifier`);
  return `var ${name} = (function () {
  "use strict";
  var entryUrl = document.currentScript && document.currentScript.src;
  var shared = ${JSON.stringify(shared)}, remotes = ${JSON.stringify(remotes)}, deps = {}, initialised = null, exportsOnce;
  function cmp(a, b) {
    var x = a.split(/[.+-]/), y = b.split(/[.+-]/);
    for (var i = 0; i < Math.max(x.length, y.length); i++) {
      var p = +x[i] || 0, q = +y[i] || 0;
      if (p !== q) return p - q;
    }
    return 0;
  }
  // A singleton as webpack picks it: the version already loaded, else the highest.
  function fromScope(scope, pkg) {
    var versions = scope && scope[pkg];
    if (!versions) return Promise.reject(new Error("${name}: " + pkg + " is not in FireEdge's share scope"));
    var keys = Object.keys(versions), loaded = keys.filter(function (k) { return versions[k].loaded; });
    var key = (loaded.length ? loaded : keys).sort(cmp).pop(), entry = versions[key];
    entry.loaded = 1;
    return Promise.resolve(entry.get()).then(function (factory) { return factory(); });
  }
  function fromRemote(global) {
    var c = window[global];
    if (!c || typeof c.get !== "function") return Promise.reject(new Error("${name}: FireEdge module " + global + " is not loaded"));
    return Promise.resolve(c.get(".")).then(function (factory) { return factory(); });
  }
  function require(id) {
    if (!(id in deps)) throw new Error("${name}: " + id + " was not provided by FireEdge");
    return deps[id];
  }
  function load() {
${body}
    return __exports;
  }
  return {
    init: function (scope) {
      if (!initialised) {
        initialised = Promise.all(shared.map(function (pkg) {
          return fromScope(scope, pkg).then(function (m) { deps[pkg] = m; });
        }).concat(Object.keys(remotes).map(function (id) {
          return fromRemote(remotes[id]).then(function (m) { deps[id] = m; });
        }))).then(function () { deps["oneha:entry"] = { url: entryUrl }; });
      }
      return initialised;
    },
    get: function (module) {
      if (module !== "." && module !== "./index") return Promise.reject(new Error("${name}: no module " + module));
      if (!initialised) return Promise.reject(new Error("${name}: get() before init()"));
      return initialised.then(function () {
        return function () { return exportsOnce || (exportsOnce = load()); };
      });
    }
  };
})();
`;
}
