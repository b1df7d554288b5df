// Which names the package exports (src/index.ts, walked with the TypeScript compiler API)
// have no doc comment, as an editor's hover would show it (an override without its own
// comment shows its base's, so it counts as documented).
//
// Walked: every export; the exports of `export * as x` namespaces; the properties of
// exported object constants (nn.Linear, optim.sgd); the public members of exported
// classes and interfaces. A class whose constructor takes arguments must document each
// with @param (on the constructor or the class), since that is where Torch's defaults
// and units are written.

import ts from 'typescript';
import { relative } from 'node:path';

export interface Undocumented {
  /** Dotted name as a user writes it, e.g. 'nn.MPELU' or 'Module#forward'. */
  name: string;
  /** File and line of its declaration. */
  where: string;
  /** What is missing. */
  missing: string;
}

/**
 * Undocumented exported names of the package rooted at `root`, skipping declarations
 * in any of `skipDirs` (paths relative to root, e.g. 'src/torch').
 */
export function undocumentedNames(root: string, skipDirs: string[] = []): Undocumented[] {
  const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  if (!configPath) throw new Error(`no tsconfig.json under ${root}`);
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error(`cannot read ${configPath}`);
  const entry = `${root}/src/index.ts`;
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read ${entry}`);

  const out: Undocumented[] = [];
  const seen = new Set<ts.Symbol>();
  const where = (d: ts.Declaration) => {
    const sf = d.getSourceFile();
    return `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(d.getStart()).line + 1}`;
  };
  const ours = (s: ts.Symbol) => {
    const decls = s.declarations ?? [];
    if (decls.length === 0) return false;
    return decls.every((d) => {
      const file = relative(root, d.getSourceFile().fileName);
      return file.startsWith('src/') && !skipDirs.some((dir) => file.startsWith(`${dir}/`));
    });
  };
  const hasDoc = (s: ts.Symbol) => s.getDocumentationComment(checker).some((p) => p.text.trim() !== '');
  // `/** ... */ export * as x from ...`: the comment is on the export declaration.
  const exportHasDoc = (s: ts.Symbol) =>
    (s.declarations ?? []).some((d) => ts.isNamespaceExport(d) && ts.getJSDocCommentsAndTags(d.parent).some((c) => ts.isJSDoc(c) && !!c.comment));
  const report = (name: string, s: ts.Symbol, missing: string) => out.push({ name, where: where(s.declarations![0]!), missing });
  const isPublic = (s: ts.Symbol) =>
    !s.name.startsWith('_') &&
    !s.name.startsWith('#') &&
    !s.name.startsWith('__@') &&
    (s.declarations ?? []).every((d) => !(ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)));

  const visit = (name: string, sym: ts.Symbol, alias?: ts.Symbol): void => {
    const s = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    if (seen.has(s) || !ours(s)) return;
    seen.add(s);
    const decl = s.declarations![0]!;
    if (ts.isSourceFile(decl)) {
      // `export * as x`: the namespace is documented where it is exported.
      if (alias && !hasDoc(alias) && !exportHasDoc(alias)) report(name, alias, 'doc comment on the export');
      for (const e of checker.getExportsOfModule(s)) visit(`${name}.${e.name}`, e);
      return;
    }
    if (!hasDoc(s) && !(alias && hasDoc(alias))) report(name, s, 'doc comment');
    if (s.flags & ts.SymbolFlags.Class) visitClass(name, s);
    else if (s.flags & ts.SymbolFlags.Interface) visitMembers(name, checker.getDeclaredTypeOfSymbol(s), s);
    else if (s.flags & ts.SymbolFlags.Variable && ts.isVariableDeclaration(decl) && decl.initializer && ts.isObjectLiteralExpression(decl.initializer)) {
      for (const p of checker.getTypeOfSymbol(s).getProperties()) {
        visit(`${name}.${p.name}`, p);
        const cls = classBehind(p);
        if (cls) visit(`${name}.${p.name}`, cls, p);
      }
    } else if (s.flags & ts.SymbolFlags.TypeAlias && ts.isTypeAliasDeclaration(decl) && ts.isTypeLiteralNode(decl.type)) {
      visitMembers(name, checker.getDeclaredTypeOfSymbol(s), s);
    }
  };

  // nn.Linear: torchClass(Linear) -> the class Linear, whose members a user calls.
  const classBehind = (p: ts.Symbol): ts.Symbol | undefined => {
    const d = p.declarations?.[0];
    if (!d || !ts.isPropertyAssignment(d) || !ts.isCallExpression(d.initializer)) return undefined;
    const arg = d.initializer.arguments[0];
    let c = arg && ts.isIdentifier(arg) ? checker.getSymbolAtLocation(arg) : undefined;
    if (c && c.flags & ts.SymbolFlags.Alias) c = checker.getAliasedSymbol(c);
    return c && c.flags & ts.SymbolFlags.Class ? c : undefined;
  };

  const visitMembers = (name: string, type: ts.Type, owner: ts.Symbol, sep = '#') => {
    const own = new Set(owner.declarations);
    for (const p of type.getProperties()) {
      if (!isPublic(p) || !ours(p)) continue;
      if (!(p.declarations ?? []).some((d) => own.has(d.parent as ts.Declaration))) continue; // inherited
      if (!hasDoc(p)) report(`${name}${sep}${p.name}`, p, 'doc comment');
    }
  };

  const visitClass = (name: string, s: ts.Symbol) => {
    visitMembers(name, checker.getDeclaredTypeOfSymbol(s), s);
    // Members inherited from a base the package does not export are the user's too.
    for (const base of checker.getDeclaredTypeOfSymbol(s).getBaseTypes() ?? []) {
      const b = base.getSymbol();
      if (b) visit(`${name}(base ${b.name})`, b);
    }
    visitMembers(name, checker.getTypeOfSymbol(s), s, '.');
    // Constructor arguments: each needs a @param (constructor's or class's doc).
    const classDecl = s.declarations!.find(ts.isClassDeclaration);
    const ctor = classDecl?.members.find(ts.isConstructorDeclaration);
    if (!ctor || ctor.parameters.length === 0) return;
    const documented = new Set<string>();
    for (const node of [ctor, classDecl!]) {
      for (const tag of ts.getJSDocTags(node)) if (ts.isJSDocParameterTag(tag)) documented.add(tag.name.getText());
    }
    const missing = ctor.parameters.map((p) => p.name.getText()).filter((n) => !documented.has(n));
    if (missing.length > 0) out.push({ name: `${name} constructor`, where: where(ctor), missing: `@param ${missing.join(', ')}` });
  };

  for (const e of checker.getExportsOfModule(moduleSymbol)) visit(e.name, e, e);
  return out;
}
