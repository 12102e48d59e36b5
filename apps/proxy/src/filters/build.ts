import type { THttpFilter } from "@switchyard/config-model";
import type { THttpFilterInstance } from "./chain.ts";
import { compileCors } from "./cors/config.ts";
import { createCorsFilter } from "./cors/filter.ts";
import { compileJwtAuthn } from "./jwt-authn/config.ts";
import { createJwtAuthnFilter } from "./jwt-authn/filter.ts";
import { compileRbac } from "./rbac/config.ts";
import { createRbacFilter } from "./rbac/filter.ts";

/** A listener's httpFilters compiled once per version, in config order (the router runs after them). */
export function buildHttpFilters(filters: readonly THttpFilter[]): THttpFilterInstance[] {
  return filters.map((f) => {
    switch (f.type) {
      case "cors":
        return createCorsFilter(compileCors(f));
      case "jwtAuthn":
        return createJwtAuthnFilter(compileJwtAuthn(f));
      case "rbac":
        return createRbacFilter(compileRbac(f));
    }
  });
}
