// C printf's %.<P>g, exactly as glibc prints it (Torch's ascii mode writes doubles
// with %.17g and floats with %.9g): correctly rounded, ties to even, trailing zeros
// removed, "inf"/"-inf", "nan"/"-nan" by the sign bit, "-0" for negative zero.

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** True when the sign bit of x is set (also for NaN and -0). */
export function signBit(x: number): boolean {
  f64[0] = x;
  return (u8[LITTLE ? 7 : 0]! & 0x80) !== 0;
}

/** A NaN with the sign bit set (what x86 produces for 0/0; glibc prints it "-nan"). */
export function negativeNaN(): number {
  f64[0] = NaN;
  u8[LITTLE ? 7 : 0] = u8[LITTLE ? 7 : 0]! | 0x80;
  return f64[0]!;
}

/** Exact decimal digits of a finite positive double: value = 0.digits * 10^(point). */
export function exactDigits(a: number): { digits: string; point: number } {
  f64[0] = a;
  const view = new DataView(f64.buffer);
  const bits = view.getBigUint64(0, LITTLE);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) {
    const s = (mant << BigInt(e)).toString();
    return { digits: s, point: s.length };
  }
  // mant / 2^k = mant * 5^k / 10^k
  const k = -e;
  const s = (mant * 5n ** BigInt(k)).toString();
  return { digits: s, point: s.length - k };
}

/**
 * The first `p` significant digits of a finite positive double, rounded to nearest
 * with ties to even, and the decimal exponent of the first digit.
 */
export function roundedDigits(a: number, p: number): { digits: string; exp: number } {
  const fast = a.toExponential(p - 1);
  const epos = fast.indexOf('e');
  let digits = fast.slice(0, epos).replace('.', '');
  let exp = Number(fast.slice(epos + 1));
  // V8 rounds halfway cases away from zero; glibc rounds them to even. A tie needs
  // exactly p+1 significant digits ending in 5, so only then look at the exact value.
  const next = a.toExponential(p);
  const nd = next.slice(0, next.indexOf('e')).replace('.', '');
  if (nd[nd.length - 1] === '5') {
    const ex = exactDigits(a);
    const trimmed = ex.digits.replace(/^0+/, '').replace(/0+$/, '');
    if (trimmed.length === p + 1 && trimmed === nd) {
      // exact tie: keep the truncation when its last digit is even, else round up
      const trunc = nd.slice(0, p);
      const lastDigit = trunc.charCodeAt(p - 1) - 48;
      const texp = Number(next.slice(next.indexOf('e') + 1));
      if (lastDigit % 2 === 0) {
        digits = trunc;
        exp = texp;
      } else {
        const up = (BigInt(trunc) + 1n).toString();
        if (up.length > p) {
          digits = up.slice(0, p);
          exp = texp + 1;
        } else {
          digits = up;
          exp = texp;
        }
      }
    }
  }
  return { digits, exp };
}

/** printf("%.<p>g", x) as glibc does it. */
export function formatG(x: number, p: number): string {
  if (p === 0) p = 1;
  if (Number.isNaN(x)) return signBit(x) ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = signBit(x);
  const a = Math.abs(x);
  if (a === 0) return neg ? '-0' : '0';
  const { digits, exp } = roundedDigits(a, p);
  const sig = digits.replace(/0+$/, '') || '0';
  let body: string;
  if (exp < -4 || exp >= p) {
    const mant = sig.length > 1 ? `${sig[0]}.${sig.slice(1)}` : sig;
    const ae = Math.abs(exp);
    body = `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  } else if (exp >= 0) {
    const intLen = exp + 1;
    const intPart = sig.length >= intLen ? sig.slice(0, intLen) : sig + '0'.repeat(intLen - sig.length);
    const frac = sig.slice(intLen);
    body = frac ? `${intPart}.${frac}` : intPart;
  } else {
    body = `0.${'0'.repeat(-exp - 1)}${sig}`;
  }
  return neg ? `-${body}` : body;
}

/** printf("%.17g") of a double: what Torch's ascii mode writes for a Lua number or a Double. */
export function formatDouble(x: number): string {
  return formatG(x, 17);
}

/** printf("%.9g") of a float (given as the double it widens to). */
export function formatFloat(x: number): string {
  return formatG(x, 9);
}

function nonFinite(x: number): string | null {
  if (Number.isNaN(x)) return signBit(x) ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** printf("%.<p>e", x) as glibc does it (ties to even). */
export function formatE(x: number, p: number): string {
  const special = nonFinite(x);
  if (special) return special;
  const neg = signBit(x);
  const a = Math.abs(x);
  let body: string;
  if (a === 0) body = `${p > 0 ? `0.${'0'.repeat(p)}` : '0'}e+00`;
  else {
    const { digits, exp } = roundedDigits(a, p + 1);
    const ae = Math.abs(exp);
    body = `${digits[0]}${p > 0 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  return neg ? `-${body}` : body;
}

/** printf("%.<p>f", x) as glibc does it (exact value, ties to even). */
export function formatF(x: number, p: number): string {
  const special = nonFinite(x);
  if (special) return special;
  const neg = signBit(x);
  const a = Math.abs(x);
  let n = 0n;
  if (a !== 0) {
    // a = 0.digits * 10^point: keep point + p digits, round on the rest
    const { digits, point } = exactDigits(a);
    const keep = point + p;
    if (keep >= 0) {
      const head = keep <= digits.length ? digits.slice(0, keep) : digits + '0'.repeat(keep - digits.length);
      const rest = keep < digits.length ? digits.slice(keep) : '';
      n = BigInt(head || '0');
      const half = rest !== '' && rest[0]! >= '5';
      const exactHalf = half && rest[0] === '5' && /^0*$/.test(rest.slice(1));
      if (half && (!exactHalf || n % 2n === 1n)) n += 1n;
    }
  }
  const s = n.toString().padStart(p + 1, '0');
  const body = p > 0 ? `${s.slice(0, s.length - p)}.${s.slice(s.length - p)}` : s;
  return neg ? `-${body}` : body;
}
