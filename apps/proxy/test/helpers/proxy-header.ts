/** PROXY protocol headers as a balancer writes them (HAProxy's spec), for tests. */
const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** v2: command 1 = PROXY, 0 = LOCAL; famProto 0x11 = TCP over IPv4, 0x21 = TCP over IPv6, 0x00 = UNSPEC. */
export function proxyV2(command: 0 | 1, famProto: number, addresses: Buffer, tlvs = Buffer.alloc(0)): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(addresses.length + tlvs.length);
  return Buffer.concat([SIG, Buffer.from([0x20 | command, famProto]), len, addresses, tlvs]);
}

/** The v2 address block of TCP over IPv4. */
export function v4Addresses(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  b.set(src.split(".").map(Number), 0);
  b.set(dst.split(".").map(Number), 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

export function proxyV1(src: string, dst = "127.0.0.1", sport = 40000, dport = 80): string {
  return `PROXY ${src.includes(":") ? "TCP6" : "TCP4"} ${src} ${dst} ${sport} ${dport}\r\n`;
}
