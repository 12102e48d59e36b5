// The plugin `npm run bench:pipeline` measures: what a typical small plugin does per request
// (read a request header, share it in metadata, set a response header), with its request
// phase synchronous or async (config.async) to show the cost of a promise plus its timeout bound.
export default {
  name: "bench",
  version: "1.0.0",
  configSchema: { type: "object", properties: { async: { type: "boolean", default: false } }, additionalProperties: false },
  create(config) {
    const tag = (req) => {
      req.metadata.set("bench", req.headers.get("user-agent") ?? "");
    };
    return {
      onRequestHeaders: config.async ? async (req) => tag(req) : tag,
      onResponseHeaders(res, req) {
        res.headers.set("x-bench", String(req.metadata.get("bench")));
      },
    };
  },
};
