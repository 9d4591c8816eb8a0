/** IPv4 subnet arithmetic for carving the VPC's block: the `index`-th block of `prefix` bits inside `cidr`. */
export function carve(cidr: string, prefix: number, index: number): string {
  const [address, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const octets = (address ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR block`);
  }
  if (prefix < bits || prefix > 28) throw new Error(`a /${prefix} does not fit in ${cidr} (or is smaller than AWS allows)`);
  if (index < 0 || index >= 2 ** (prefix - bits)) throw new Error(`${cidr} holds only ${2 ** (prefix - bits)} /${prefix} blocks`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const start = (base - (base % 2 ** (32 - bits)) + index * 2 ** (32 - prefix)) >>> 0;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.')}/${prefix}`;
}
