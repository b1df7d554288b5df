// glibc 2.36's log, sin and cos (x86-64 baseline build: no FMA), reproduced bit for bit.
//
// Why: Torch7's normal() is Box-Muller in C (sqrt(-2 log(1-y)) * cos/sin(2 pi x)), so its
// doubles carry libm's last bits. V8's Math.log/cos/sin (fdlibm) differ from glibc in
// about 1 value in 10, and glibc is not correctly rounded either (about 1 in 1000 differ
// from the exact rounding), so matching Torch7 means evaluating glibc's own formulas in
// the same order. JS double arithmetic is IEEE round-to-nearest like SSE2, and without
// FMA every C operation rounds once, so the same expression tree gives the same bits.
//
// Facts used (from glibc-2.36 sysdeps/ieee754/dbl-64: e_log.c, e_log_data.c, s_sin.c,
// usncs.h, sincostab.c): the algorithms, their polynomial coefficients, and the 128
// `invc` table points ARM's search picked for log. Embedded data and its licences (see
// NOTICE): the log table points, ln2 split and log polynomials are ARM optimized-routines'
// math/log_data.c (Copyright (c) 2018 Arm Limited, MIT OR Apache-2.0 WITH LLVM-exception;
// used under MIT), which glibc took them from; the sin/cos constants are glibc's
// IBM Accurate Mathematical Library (LGPL-2.1-or-later) numbers, kept as uncopyrightable
// numeric facts needed for bit-exact results (NOTICE says why). The other table columns are derived
// here exactly as e_log_data.c defines them (logc = round(log c), chi = round(c),
// clo = round(c - chi), c = 1/invc), and the sin/cos table (sin and cos of i/128 as
// a rounded head plus a rounded tail) is computed at first use with 320-bit integers.
// glibc's own sin/cos table tails differ from the exact ones by one unit of ~2^-107 in
// a few entries; that never changed a result in 10^6 checked samples (see
// fixtures/torch7/rng/README.md).
//
// On a CPU with FMA, glibc picks FMA builds of these functions that differ in about
// 1 value in 1500 (log) to 1 in 10000; Torch7 runs there may differ from ours in those
// last bits. Arguments beyond |x| >= 105414350 (glibc's __branred path) fall back to
// Math.sin/Math.cos; Torch's RNG never passes them (its angles lie in [0, 2 pi)).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

function fromWords(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

function hexDouble(bits: string): number {
  return fromWords(parseInt(bits.slice(0, 8), 16), parseInt(bits.slice(8), 16));
}

// ---- exact helpers for the tables (fixed point with P fraction bits) -------------------

const P = 320n;
const ONE = 1n << P;
const TWO_POW_MINUS_P = 2 ** -320;

/** The exact value of a double as a fixed-point integer (|d| >= 2^-320). */
function fixedFromDouble(d: number): bigint {
  if (d === 0) return 0n;
  f64[0] = d;
  const hi = u32[HI]!;
  const lo = u32[LO]!;
  const exp = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff | 0x100000) << 32n) | BigInt(lo);
  const shift = BigInt(exp - 1075) + P;
  const mag = shift >= 0n ? mant << shift : mant >> -shift;
  return d < 0 ? -mag : mag;
}

/** Round-to-nearest double of a fixed-point value (Number(bigint) rounds correctly). */
function fixedToDouble(x: bigint): number {
  return Number(x) * TWO_POW_MINUS_P;
}

/** Product truncated toward zero (so series of negative terms reach 0). */
function mulFixed(a: bigint, b: bigint): bigint {
  const p = a * b;
  return p < 0n ? -(-p >> P) : p >> P;
}

/** log(c) for c in (0.5, 2) by 2 atanh((c - 1) / (c + 1)). */
function logFixed(c: bigint): bigint {
  const t = ((c - ONE) << P) / (c + ONE);
  const t2 = mulFixed(t, t);
  let term = t;
  let sum = t;
  for (let k = 3n; term !== 0n; k += 2n) {
    term = mulFixed(term, t2);
    sum += term / k;
  }
  return 2n * sum;
}

/** sin and cos of x (fixed point, |x| < 1) by their Taylor series. */
function sinCosFixed(x: bigint): [bigint, bigint] {
  const x2 = mulFixed(x, x);
  let s = x;
  let c = ONE;
  let ts = x;
  let tc = ONE;
  for (let k = 1n; ts !== 0n || tc !== 0n; k++) {
    tc = -mulFixed(tc, x2) / ((2n * k - 1n) * (2n * k));
    ts = -mulFixed(ts, x2) / ((2n * k) * (2n * k + 1n));
    c += tc;
    s += ts;
  }
  return [s, c];
}

// ---- log ----------------------------------------------------------------------------

// ARM optimized-routines math/log_data.c (N == 128), as in glibc's e_log_data.c:
// tab[i].invc for i = 0..127 (IEEE-754 bit patterns). Copyright (c) 2018 Arm Limited, MIT (NOTICE).
const INVC_BITS =
  '3ff734f0c3e0de9f 3ff713786a2ce91f 3ff6f26008fab5a0 3ff6d1a61f138c7d 3ff6b1490bc5b4d1 3ff69147332f0cba 3ff6719f18224223 3ff6524f99a51ed9 ' +
  '3ff63356aa8f24c4 3ff614b36b9ddc14 3ff5f66452c65c4c 3ff5d867b5912c4f 3ff5babccb5b90de 3ff59d61f2d91a78 3ff5805612465687 3ff56397cee76bd3 ' +
  '3ff54725e2a77f93 3ff52aff42064583 3ff50f22dbb2bddf 3ff4f38f4734ded7 3ff4d843cfde2840 3ff4bd3ec078a3c8 3ff4a27fc3e0258a 3ff4880524d48434 ' +
  '3ff46dce1b192d0b 3ff453d9d3391854 3ff43a2744b4845a 3ff420b54115f8fb 3ff40782da3ef4b1 3ff3ee8f5d57fe8f 3ff3d5d9a00b4ce9 3ff3bd60c010c12b ' +
  '3ff3a5242b75dab8 3ff38d22cd9fd002 3ff3755bc5847a1c 3ff35dce49ad36e2 3ff34679984dd440 3ff32f5cceffcb24 3ff3187775a10d49 3ff301c8373e3990 ' +
  '3ff2eb4ebb95f841 3ff2d50a0219a9d1 3ff2bef9a8b7fd2a 3ff2a91c7a0c1bab 3ff293726014b530 3ff27dfa5757a1f5 3ff268b39b1d3bbf 3ff2539d838ff5bd ' +
  '3ff23eb7aac9083b 3ff22a012ba940b6 3ff2157996cc4132 3ff201201dd2fc9b 3ff1ecf4494d480b 3ff1d8f5528f6569 3ff1c52311577e7c 3ff1b17c74cb26e9 ' +
  '3ff19e010c2c1ab6 3ff18ab07bb670bd 3ff1778a25efbcb6 3ff1648d354c31da 3ff151b990275fdd 3ff13f0ea432d24c 3ff12c8b7210f9da 3ff11a3028ecb531 ' +
  '3ff107fbda8434af 3ff0f5ee0f4e6bb3 3ff0e4065d2a9fce 3ff0d244632ca521 3ff0c0a77ce2981a 3ff0af2f83c636d1 3ff09ddb98a01339 3ff08cabaf52e7df ' +
  '3ff07b9f2f4e28fb 3ff06ab58c358f19 3ff059eea5ecf92c 3ff04949cdd12c90 3ff038c6c6f0ada9 3ff02865137932a9 3ff0182427ea7348 3ff008040614b195 ' +
  '3fefe01ff726fa1a 3fefa11cc261ea74 3fef6310b081992e 3fef25f63ceeadcd 3feee9c8039113e7 3feeae8078cbb1ab 3fee741aa29d0c9b 3fee3a91830a99b5 ' +
  '3fee01e009609a56 3fedca01e577bb98 3fed92f20b7c9103 3fed5cac66fb5cce 3fed272caa5ede9d 3fecf26e3e6b2ccd 3fecbe6da2a77902 3fec8b266d37086d ' +
  '3fec5894bd5d5804 3fec26b533bb9f8c 3febf583eeece73f 3febc4fd75db96c1 3feb951e0c864a28 3feb65e2c5ef3e2c 3feb374867c9888b 3feb094b211d304a ' +
  '3feadbe885f2ef7e 3feaaf1d31603da2 3fea82e63fd358a7 3fea5740ef09738b 3fea2c2a90ab4b27 3fea01a01393f2d1 3fe9d79f24db3c1b 3fe9ae2505c7b190 ' +
  '3fe9852ef297ce2f 3fe95cbaeea44b75 3fe934c69de74838 3fe90d4f2f6752e6 3fe8e6528effd79d 3fe8bfce9fcc007c 3fe899c0dabec30e 3fe87427aa2317fb ' +
  '3fe84f00acb39a08 3fe82a49e8653e55 3fe8060195f40260 3fe7e22563e0a329 3fe7beb377dcb5ad 3fe79baa679725c2 3fe77907f2170657 3fe756cadbd6130c';

const LOG_N = 128;
const LN2HI = hexDouble('3fe62e42fefa3800');
const LN2LO = hexDouble('3d2ef35793c76730');
// log_data.c's ln2hi/ln2lo and its polynomials: poly (|r| < 1/256 around each table
// point), poly1 (x near 1). Arm Limited, MIT (NOTICE).
const A = ['bfe0000000000001', '3fd555555551305b', 'bfcfffffffeb4590', '3fc999b324f10111', 'bfc55575e506c89f'].map(hexDouble);
const B = [
  'bfe0000000000000', '3fd5555555555577', 'bfcffffffffffdcb', '3fc999999995dd0c', 'bfc55555556745a7', '3fc24924a344de30',
  'bfbfffffa4423d65', '3fbc7184282ad6ca', 'bfb999eb43b068ff', '3fb78182f7afd085', 'bfb5521375d145cd',
].map(hexDouble);

let logTable: { invc: Float64Array; logc: Float64Array; chi: Float64Array; clo: Float64Array } | null = null;

function buildLogTable() {
  const invc = new Float64Array(INVC_BITS.trim().split(/\s+/).map(hexDouble));
  if (invc.length !== LOG_N) throw new Error(`libm: log table has ${invc.length} entries, expected ${LOG_N}`);
  const logc = new Float64Array(LOG_N);
  const chi = new Float64Array(LOG_N);
  const clo = new Float64Array(LOG_N);
  for (let i = 0; i < LOG_N; i++) {
    const c = (ONE << P) / fixedFromDouble(invc[i]!);
    logc[i] = fixedToDouble(logFixed(c));
    chi[i] = fixedToDouble(c);
    clo[i] = fixedToDouble(c - fixedFromDouble(chi[i]!));
  }
  return { invc, logc, chi, clo };
}

const NEAR1_LO = 1.0 - 2 ** -4;
const NEAR1_HI = 1.0 + 0x109 * 2 ** -12; // 1 + 0x1.09p-4
const SPLIT = 2 ** 27;
const TWO_POW_52 = 2 ** 52;

/** glibc's log(x), bit for bit. */
export function glibcLog(x: number): number {
  if (x >= NEAR1_LO && x < NEAR1_HI) {
    if (x === 1) return 0;
    const r = x - 1.0;
    const r2 = r * r;
    const r3 = r * r2;
    let y =
      r3 *
      (B[1]! + r * B[2]! + r2 * B[3]! +
        r3 * (B[4]! + r * B[5]! + r2 * B[6]! + r3 * (B[7]! + r * B[8]! + r2 * B[9]! + r3 * B[10]!)));
    let w = r * SPLIT;
    const rhi = r + w - w;
    const rlo = r - rhi;
    w = rhi * rhi * B[0]!;
    const hi = r + w;
    let lo = r - hi + w;
    lo += B[0]! * rlo * (rhi + r);
    y += lo;
    y += hi;
    return y;
  }
  f64[0] = x;
  let ihi = u32[HI]!;
  let ilo = u32[LO]!;
  const top = ihi >>> 16;
  if (top - 0x0010 >= 0x7ff0 - 0x0010 || top < 0x0010) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return x;
    if (!(x > 0)) return NaN;
    // subnormal: scale into the normal range, then take 52 off the exponent
    f64[0] = x * TWO_POW_52;
    ihi = u32[HI]! - (52 << 20);
    ilo = u32[LO]!;
  }
  const t = logTable ?? (logTable = buildLogTable());
  // tmp = ix - OFF with OFF = 0x3fe6000000000000 (its low word is zero)
  const tmpHi = (ihi - 0x3fe60000) | 0;
  const i = (tmpHi >>> (52 - 7 - 32)) & (LOG_N - 1);
  const k = tmpHi >> 20;
  const z = fromWords((ihi - (tmpHi & 0xfff00000)) >>> 0, ilo);
  const invc = t.invc[i]!;
  const logc = t.logc[i]!;
  const r = (z - t.chi[i]! - t.clo[i]!) * invc;
  const kd = k;
  const w = kd * LN2HI + logc;
  const hi = w + r;
  const lo = w - hi + r + kd * LN2LO;
  const r2 = r * r;
  return lo + r2 * A[0]! + r * r2 * (A[1]! + r * A[2]! + r2 * (A[3]! + r * A[4]!)) + hi;
}

// ---- sin and cos ----------------------------------------------------------------------

// glibc 2.36's constants (s_sin.c: sn3..cs6; usncs.h: s1..s5, the pi/2 splits, big, toint),
// IBM Accurate Mathematical Library, LGPL-2.1-or-later: kept as numeric facts (NOTICE).

const S1 = hexDouble('bfc5555555555555');
const S2 = hexDouble('3f81111111110ece');
const S3 = hexDouble('bf2a01a019db08b8');
const S4 = hexDouble('3ec71de27b9a7ed9');
const S5 = hexDouble('be5addffc2fcdf59');
const SN3 = -1.66666666666664880952546298448555e-1;
const SN5 = 8.33333214285722277379541354343671e-3;
const CS2 = 4.99999999999999999999950396842453e-1;
const CS4 = -4.16666666666664434524222570944589e-2;
const CS6 = 1.38888874007937613028114285595617e-3;
const BIG = 52776558133248; // 0x1.8p45: adding it rounds |x| to a multiple of 1/128
const HP0 = hexDouble('3ff921fb54442d18');
const HP1 = hexDouble('3c91a62633145c07');
const MP1 = hexDouble('3ff921fb58000000');
const MP2 = hexDouble('be4dde973c000000');
const PP3 = hexDouble('bc8cb3b398000000');
const PP4 = hexDouble('bacd747f23e32ed7');
const HPINV = hexDouble('3fe45f306dc9c883');
const TOINT = 6755399441055744; // 0x1.8p52

const SIN_TINY = 2 ** -26; // high word 0x3e500000
const COS_TINY = 2 ** -27; // high word 0x3e400000
const R1 = fromWords(0x3feb6000, 0); // 0.85546875
const R2 = fromWords(0x400368fd, 0); // ~2.426265
const R3 = fromWords(0x419921fb, 0); // ~105414350

const SINCOS_ENTRIES = 110;
let sincosTable: Float64Array | null = null;

function buildSinCosTable(): Float64Array {
  const tab = new Float64Array(4 * SINCOS_ENTRIES);
  for (let i = 0; i < SINCOS_ENTRIES; i++) {
    const [s, c] = sinCosFixed(BigInt(i) << (P - 7n));
    const sn = fixedToDouble(s);
    const cs = fixedToDouble(c);
    tab[4 * i] = sn;
    tab[4 * i + 1] = fixedToDouble(s - fixedFromDouble(sn));
    tab[4 * i + 2] = cs;
    tab[4 * i + 3] = fixedToDouble(c - fixedFromDouble(cs));
  }
  return tab;
}

function copysign(v: number, sign: number): number {
  const neg = sign < 0 || Object.is(sign, -0);
  return neg ? -Math.abs(v) : Math.abs(v);
}

function doCos(x: number, dx: number): number {
  const tab = sincosTable ?? (sincosTable = buildSinCosTable());
  if (x < 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  const j = (u - BIG) * 128 * 4;
  x = ax - (u - BIG) + dx;
  const xx = x * x;
  const s = x + x * xx * (SN3 + xx * SN5);
  const c = xx * (CS2 + xx * (CS4 + xx * CS6));
  const sn = tab[j]!;
  const ssn = tab[j + 1]!;
  const cs = tab[j + 2]!;
  const ccs = tab[j + 3]!;
  const cor = ccs - s * ssn - cs * c - sn * s;
  return cs + cor;
}

function doSin(x: number, dx: number): number {
  const xold = x;
  if (Math.abs(x) < 0.126) {
    const xx = x * x;
    const poly = ((((S5 * xx + S4) * xx + S3) * xx + S2) * xx) + S1;
    const t = (poly * x - 0.5 * dx) * xx + dx;
    return x + t;
  }
  const tab = sincosTable ?? (sincosTable = buildSinCosTable());
  if (x <= 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  const j = (u - BIG) * 128 * 4;
  x = ax - (u - BIG);
  const xx = x * x;
  const s = x + (dx + x * xx * (SN3 + xx * SN5));
  const c = x * dx + xx * (CS2 + xx * (CS4 + xx * CS6));
  const sn = tab[j]!;
  const ssn = tab[j + 1]!;
  const cs = tab[j + 2]!;
  const ccs = tab[j + 3]!;
  const cor = ssn + s * ccs - sn * c + cs * s;
  return copysign(sn + cor, xold);
}

/** reduce_sincos: x = n pi/2 + (a + da); returns n & 3 and sets reduced[0..1]. */
const reduced = new Float64Array(2);
function reduceSinCos(x: number): number {
  const t = x * HPINV + TOINT;
  const xn = t - TOINT;
  const y = x - xn * MP1 - xn * MP2;
  const n = (xn | 0) & 3; // xn is an integer below 2^27 in magnitude: two's complement & 3 is its value mod 4 (fmod is a C call)
  let t1 = xn * PP3;
  const t2 = y - t1;
  let db = y - t2 - t1;
  t1 = xn * PP4;
  const b = t2 - t1;
  db += t2 - b - t1;
  reduced[0] = b;
  reduced[1] = db;
  return n;
}

function doSinCos(a: number, da: number, n: number): number {
  const v = n & 1 ? doCos(a, da) : doSin(a, da);
  return n & 2 ? -v : v;
}

/** glibc's sin(x), bit for bit for |x| < 105414350. */
export function glibcSin(x: number): number {
  const ax = Math.abs(x);
  if (ax < SIN_TINY) return x;
  if (ax < R1) return doSin(x, 0);
  if (ax < R2) return copysign(doCos(HP0 - ax, HP1), x);
  if (ax < R3) {
    const n = reduceSinCos(x);
    return doSinCos(reduced[0]!, reduced[1]!, n);
  }
  return Math.sin(x);
}

/** glibc's cos(x), bit for bit for |x| < 105414350. */
export function glibcCos(x: number): number {
  const ax = Math.abs(x);
  if (ax < COS_TINY) return 1.0;
  if (ax < R1) return doCos(x, 0);
  if (ax < R2) {
    const y = HP0 - ax;
    const a = y + HP1;
    const da = y - a + HP1;
    return doSin(a, da);
  }
  if (ax < R3) {
    const n = reduceSinCos(x);
    return doSinCos(reduced[0]!, reduced[1]!, n + 1);
  }
  return Math.cos(x);
}
