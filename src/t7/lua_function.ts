// A serialized Lua function: LuaJIT (or Lua) bytecode plus its upvalues. It is kept
// opaque and written back unchanged; mpelu never loads or runs it.

/** Type tags a function can carry in a .t7 file. */
export type LuaFunctionTag = 6 | 7 | 8;

/** A serialized Lua function (bytecode and upvalues), kept opaque: read and written back unchanged, never run. */
export class LuaFunction {
  /** string.dump output (LuaJIT bytecode starts 1b 4c 4a). */
  bytecode: Uint8Array;
  /**
   * What the file stores after the bytecode: for tag 8 a table of {name, id, value}
   * records (one per upvalue), for tags 6/7 a table of the upvalue values in order.
   */
  upvalues: unknown;
  /**
   * 8 = TYPE_RECUR_FUNCTION (what Torch7 writes), 7 = its legacy form, 6 = the old
   * TYPE_FUNCTION without an object index (not shared by reference).
   */
  tag: LuaFunctionTag;

  /**
   * @param bytecode string.dump's output.
   * @param upvalues what the file stores after the bytecode.
   * @param tag the type tag to write (default 8, what Torch7 writes).
   */
  constructor(bytecode: Uint8Array, upvalues: unknown = undefined, tag: LuaFunctionTag = 8) {
    this.bytecode = bytecode;
    this.upvalues = upvalues;
    this.tag = tag;
  }

  /** Upvalue names and values from tag-8 records (empty when the records are not tables). */
  upvalueList(): { name: unknown; id: unknown; value: unknown }[] {
    const out: { name: unknown; id: unknown; value: unknown }[] = [];
    const list = this.upvalues as { toArray?: () => unknown[] } | undefined;
    if (!list || typeof list.toArray !== 'function') return out;
    for (const rec of list.toArray()) {
      const r = rec as { get?: (k: unknown) => unknown };
      if (this.tag === 8 && r && typeof r.get === 'function') out.push({ name: r.get('name'), id: r.get('id'), value: r.get('value') });
      else out.push({ name: undefined, id: undefined, value: rec });
    }
    return out;
  }
}
