import type { TConfig, TConfigIssue, THeaderMutation } from "@switchyard/config-model";

/**
 * Header values written by the proxy from config (mutations, hostRewrite, hostRedirect,
 * directResponse.contentType) must be valid HTTP field values (RFC 9110 §5.5: no CR, LF,
 * NUL or other controls but tab), or node:http / undici would throw on every request
 * using them. Checked at apply time so such a config is refused with its path instead.
 */
const INVALID_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export function findInvalidHeaderValues(config: TConfig): TConfigIssue[] {
  const issues: TConfigIssue[] = [];
  const check = (path: string, value: string | undefined) => {
    if (value !== undefined && INVALID_FIELD_VALUE.test(value)) {
      issues.push({ path, message: "must be a valid HTTP header value (no CR, LF, NUL or other control characters)" });
    }
  };
  const mutation = (path: string, m: THeaderMutation | undefined) => m?.add.forEach((a, i) => check(`${path}.add[${i}].value`, a.value));
  config.routeConfigs.forEach((rc, i) =>
    rc.virtualHosts.forEach((vh, j) => {
      const vhPath = `routeConfigs[${i}].virtualHosts[${j}]`;
      mutation(`${vhPath}.requestHeaders`, vh.requestHeaders);
      mutation(`${vhPath}.responseHeaders`, vh.responseHeaders);
      vh.routes.forEach((r, k) => {
        const rPath = `${vhPath}.routes[${k}]`;
        mutation(`${rPath}.requestHeaders`, r.requestHeaders);
        mutation(`${rPath}.responseHeaders`, r.responseHeaders);
        check(`${rPath}.route.hostRewrite`, r.route?.hostRewrite);
        check(`${rPath}.redirect.hostRedirect`, r.redirect?.hostRedirect);
        check(`${rPath}.redirect.pathRedirect`, r.redirect?.pathRedirect);
        check(`${rPath}.redirect.prefixRewrite`, r.redirect?.prefixRewrite);
        check(`${rPath}.directResponse.contentType`, r.directResponse?.contentType);
      });
    }),
  );
  return issues;
}
