// binary-parser ships its typings beside the CommonJS build only; its ESM entry
// (what NodeNext resolves) has none, so point the module name at them.
declare module 'binary-parser' {
  export { Parser } from 'binary-parser/dist/binary_parser.js';
}
