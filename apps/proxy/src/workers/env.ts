import { STATE_OWNER_ENV } from "./state-protocol.ts";

/** A worker the primary forked as the state owner (it probes and decides ejections for the node). */
export function isStateOwner(): boolean {
  return process.env[STATE_OWNER_ENV] === "1";
}
