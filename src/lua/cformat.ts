// C's printf conversions as LuaJIT's string.format uses them (glibc rounding: the exact
// binary value, ties to even), and %d on any double (no 32-bit limit).

import { exactDigits, formatG, signBit } from '../t7/number_format.js';

export interface Spec {
  flags: string;
  width: number;
  precision: number | undefined;
  conv: string;
}

function pad(body: string, spec: Spec, numeric: boolean): string {
  if (body.length >= spec.width) return body;
  if (spec.flags.includes('-')) return body + ' '.repeat(spec.width - body.length);
  if (numeric && spec.flags.includes('0') && /^[-+ ]?[0-9]/.test(body)) {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    return sign + '0'.repeat(spec.width - body.length) + body.slice(sign.length);
  }
  return ' '.repeat(spec.width - body.length) + body;
}

function signed(neg: boolean, body: string, flags: string): string {
  if (neg) return '-' + body;
  if (flags.includes('+')) return '+' + body;
  if (flags.includes(' ')) return ' ' + body;
  return body;
}

function nonFinite(x: number, upper: boolean, flags: string): string {
  const s = Number.isNaN(x) ? 'nan' : 'inf';
  return signed(signBit(x), upper ? s.toUpperCase() : s, flags);
}

/** %.<p>f of |x| (finite): the exact value, halfway cases away from zero (as LuaJIT). */
export function fixedDigits(a: number, p: number): string {
  if (a === 0) return p > 0 ? '0.' + '0'.repeat(p) : '0';
  const { digits, point } = exactDigits(a);
  // value = 0.digits * 10^point; keep `point + p` digits, round the rest half to even
  const keep = point + p;
  let intDigits: bigint;
  if (keep < 0) intDigits = 0n;
  else {
    const head = digits.slice(0, keep).padEnd(keep, '0');
    const rest = digits.slice(keep);
    intDigits = BigInt(head || '0');
    // LuaJIT's own formatter rounds halfway cases away from zero
    if (rest.length && rest[0] >= '5') intDigits += 1n;
  }
  let s = intDigits.toString();
  if (p === 0) return s;
  s = s.padStart(p + 1, '0');
  return `${s.slice(0, s.length - p)}.${s.slice(s.length - p)}`;
}

/** %.<p>e of |x| (finite). */
export function expDigits(a: number, p: number, upper = false): string {
  let mant: string;
  let exp: number;
  if (a === 0) {
    mant = p > 0 ? '0.' + '0'.repeat(p) : '0';
    exp = 0;
  } else {
    const fast = a.toExponential(p);
    const epos = fast.indexOf('e');
    mant = fast.slice(0, epos);
    exp = Number(fast.slice(epos + 1));
  }
  const ae = Math.abs(exp);
  return `${mant}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

/** One conversion of a number. */
export function formatNumber(x: number, spec: Spec): string {
  const { conv, flags } = spec;
  const upper = conv === conv.toUpperCase() && conv !== 'd';
  switch (conv) {
    case 'd':
    case 'i': {
      if (!Number.isFinite(x)) return pad(nonFinite(x, false, flags), spec, false);
      const n = Math.trunc(x);
      let digits = BigInt(Math.abs(n)).toString();
      if (spec.precision !== undefined) digits = spec.precision === 0 && n === 0 ? '' : digits.padStart(spec.precision, '0');
      return pad(signed(n < 0, digits, flags), spec, spec.precision === undefined);
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      let n = BigInt(Math.trunc(x));
      if (n < 0n) n = BigInt.asUintN(64, n);
      let s = n.toString(conv === 'o' ? 8 : conv === 'u' ? 10 : 16);
      if (conv === 'X') s = s.toUpperCase();
      if (spec.precision !== undefined) s = s.padStart(spec.precision, '0');
      if (flags.includes('#') && n !== 0n && conv !== 'u') s = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + s;
      return pad(s, spec, true);
    }
    case 'f':
    case 'F': {
      if (!Number.isFinite(x)) return pad(nonFinite(x, upper, flags), spec, false);
      return pad(signed(signBit(x), fixedDigits(Math.abs(x), spec.precision ?? 6), flags), spec, true);
    }
    case 'e':
    case 'E': {
      if (!Number.isFinite(x)) return pad(nonFinite(x, upper, flags), spec, false);
      return pad(signed(signBit(x), expDigits(Math.abs(x), spec.precision ?? 6, upper), flags), spec, true);
    }
    case 'g':
    case 'G': {
      if (!Number.isFinite(x)) return pad(nonFinite(x, upper, flags), spec, false);
      let s = formatG(Math.abs(x), spec.precision ?? 6);
      if (signBit(x)) s = '-' + s;
      else s = signed(false, s, flags);
      if (upper) s = s.toUpperCase();
      return pad(s, spec, true);
    }
    case 'a':
    case 'A': {
      let s = Math.abs(x).toString(16);
      s = signed(signBit(x), '0x' + s, flags);
      return pad(upper ? s.toUpperCase() : s, spec, false);
    }
    case 'c':
      return pad(String.fromCharCode(Math.trunc(x) & 0xff), spec, false);
  }
  throw new Error(`invalid option '%${conv}' to 'format'`);
}

/** A string for %s (with precision cutting it). */
export function formatString(s: string, spec: Spec): string {
  if (spec.precision !== undefined) s = s.slice(0, spec.precision);
  return pad(s, spec, false);
}

/** %q: a Lua string literal (LuaJIT's escapes). */
export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\\n';
    else if (c === 0) out += /[0-9]/.test(s[i + 1] ?? '') ? '\\000' : '\\0';
    else if (c < 32 || c === 127) out += '\\' + (/[0-9]/.test(s[i + 1] ?? '') ? String(c).padStart(3, '0') : String(c));
    else out += ch;
  }
  return out + '"';
}

/** Parses a format string into literal pieces and specs. */
export function parseFormat(fmt: string): (string | Spec)[] {
  const out: (string | Spec)[] = [];
  const re = /%([-+ #0]*)(\d*)(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    if (m.index > last) out.push(fmt.slice(last, m.index));
    if (m[4] === '%') out.push('%');
    else out.push({ flags: m[1]!, width: m[2] ? Number(m[2]) : 0, precision: m[3] === undefined ? undefined : Number(m[3] || '0'), conv: m[4]! });
    last = re.lastIndex;
  }
  if (last < fmt.length) {
    const rest = fmt.slice(last);
    if (rest.includes('%')) throw new Error(`invalid conversion '${rest.slice(rest.indexOf('%'))}' to 'format'`);
    out.push(rest);
  }
  return out;
}

/** sprintf for numbers only (the tensor printer's formats). */
export function sprintfNumber(fmt: string, x: number): string {
  return parseFormat(fmt).map((p) => (typeof p === 'string' ? p : formatNumber(x, p))).join('');
}

/**
 * LuaJIT's tostring of a number ("%.14g" by LuaJIT's own formatter: halfway cases
 * round away from zero, every NaN prints "nan").
 */
export function luaNumberString(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return signBit(x) ? '-0' : '0';
  const neg = x < 0;
  const fast = Math.abs(x).toExponential(13);
  const epos = fast.indexOf('e');
  const digits = fast.slice(0, epos).replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(fast.slice(epos + 1));
  let body: string;
  if (exp < -4 || exp >= 14) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    body = `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  } else if (exp >= 0) {
    const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    body = frac ? `${intPart}.${frac}` : intPart;
  } else body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return neg ? '-' + body : body;
}
