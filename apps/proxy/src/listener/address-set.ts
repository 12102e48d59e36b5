import { BlockList, isIPv4 } from "node:net";

/**
 * A set of addresses given as CIDRs (config-model's isCidr checked them), compiled once
 * into a BlockList: `has(ip)` for a socket's peer address. Dual-stack sockets report IPv4
 * peers as ::ffff:a.b.c.d, which count as the IPv4 address.
 */
export function compileAddressSet(cidrs: readonly string[]): (ip: string | undefined) => boolean {
  if (!cidrs.length) return () => false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = "", bits] = cidr.split("/");
    const v4 = isIPv4(addr);
    list.addSubnet(addr, bits === undefined ? (v4 ? 32 : 128) : Number(bits), v4 ? "ipv4" : "ipv6");
  }
  return (raw) => {
    if (!raw) return false;
    const ip = raw.startsWith("::ffff:") && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
    return list.check(ip, isIPv4(ip) ? "ipv4" : "ipv6");
  };
}
