// webpack 5's defaults: `new Worker(new URL(...))` becomes a worker chunk, `new URL("x.wasm",
// import.meta.url)` an asset. Nothing regsight-specific is configured.
export default {
  mode: "production",
  entry: "./app.js",
  output: { path: new URL("./dist", import.meta.url).pathname, filename: "app.js" },
};
