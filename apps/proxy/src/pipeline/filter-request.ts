import type { TFilterRequest } from "../filters/api.ts";
import { FlatHeaderMap, requestHeaderList } from "../filters/header-map.ts";
import { peerIdentity, type TPeerIdentity } from "../listener/peer-identity.ts";
import type { ActiveRequest } from "./active-request.ts";

/**
 * The request as filters see it. Built only when the request's chain has filters, so a
 * request on an empty chain allocates none of this. Its header list, once a filter used it,
 * is what the router forwards (filters' edits included); routing already happened on the
 * original headers.
 */
export class FilterRequest implements TFilterRequest {
  readonly #ar: ActiveRequest;
  readonly #rawHeaders: readonly string[];
  #headers: FlatHeaderMap | null = null;
  #metadata: Map<string, unknown> | null = null;
  #peer: TPeerIdentity | null | undefined = undefined;

  constructor(ar: ActiveRequest, rawHeaders: readonly string[]) {
    this.#ar = ar;
    this.#rawHeaders = rawHeaders;
  }

  /** Built on first use: a chain whose filters never read request headers costs no copy of them. */
  get headers(): FlatHeaderMap {
    return (this.#headers ??= new FlatHeaderMap(requestHeaderList(this.#rawHeaders)));
  }

  /** The filters' edited request header list, or null when no filter looked at the headers. */
  headerListIfBuilt(): string[] | null {
    return this.#headers === null ? null : this.#headers.list;
  }

  /** Created on first use: most requests' filters never share anything. */
  get metadata(): Map<string, unknown> {
    return (this.#metadata ??= new Map());
  }

  /** The shared metadata when a filter set some, else null (the access log's `metadata`). */
  metadataIfAny(): Map<string, unknown> | null {
    return this.#metadata !== null && this.#metadata.size > 0 ? this.#metadata : null;
  }

  get method(): string {
    return this.#ar.method;
  }
  get path(): string {
    return this.#ar.path;
  }
  get query(): string {
    return this.#ar.query;
  }
  get authority(): string {
    return this.#ar.host;
  }
  get scheme(): "http" | "https" {
    return this.#ar.tlsSocket ? "https" : "http";
  }
  get remoteAddress(): string {
    return this.#ar.remoteAddress;
  }
  get requestId(): string {
    return this.#ar.requestId;
  }
  get route(): { readonly name: string } | null {
    return this.#ar.route;
  }
  get hasBody(): boolean {
    return this.#ar.hasBody;
  }
  addResponseFlag(flag: string): void {
    this.#ar.addFlag(flag);
  }
  get peer(): TPeerIdentity | null {
    if (this.#peer === undefined) this.#peer = this.#ar.tlsSocket ? peerIdentity(this.#ar.tlsSocket) : null;
    return this.#peer;
  }
}
