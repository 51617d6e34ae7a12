/**
 * Addresses an upstream or a health check must not point at unless the operator allows it: loopback, private
 * networks, link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT, unspecified, multicast and
 * reserved. IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped (`::ffff:127.0.0.1`),
 * IPv4-compatible (`::7f00:1`) and 6to4 (`2002:7f00:1::`); NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) and
 * site-local (`fec0::/10`) are refused whole.
 */
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The 8 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 part included). */
const groupsOf = (address: string): number[] => {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const front = part(head);
  const back = part(tail);
  return tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
};

const v4Of = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries (mapped, compatible or 6to4), or null. */
export const embeddedIPv4 = (address: string): string | null => {
  const g = groupsOf(address);
  if (g.length !== 8) return null;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return v4Of(g[6]!, g[7]!);
  // IPv4-compatible (deprecated, but stacks still route it): ::a.b.c.d, other than :: and ::1.
  if (zeros(6) && (g[6] !== 0 || g[7]! > 1)) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4Of(g[1]!, g[2]!);
  return null;
};

/** Whether an IP address (v4, v6 or v4-in-v6) is loopback, private, link-local or otherwise not public. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return blocked.check(address, 'ipv4');
  const v4 = embeddedIPv4(address);
  if (v4 !== null && blocked.check(v4, 'ipv4')) return true;
  return blocked.check(address.replace(/%.*$/, ''), 'ipv6');
};
