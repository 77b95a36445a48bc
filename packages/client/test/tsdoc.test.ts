/**
 * Every public symbol of the package (everything exported from src/index.ts, and every public
 * member of the exported classes and interfaces) carries a TSDoc comment. And, on the same
 * program (building one takes seconds), what users write type-checks: see
 * test/fixtures/consumer-types.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { CLIENT_DIR } from './build-helper.js';

const ENTRY = join(CLIENT_DIR, 'src', 'index.ts');
const CONSUMER = join(CLIENT_DIR, 'test', 'fixtures', 'consumer-types.ts');
let shared: ts.Program | undefined;

function program(): ts.Program {
  shared ??= ts.createProgram([ENTRY, CONSUMER], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  });
  return shared;
}

function undocumented(): string[] {
  const entry = ENTRY;
  const checker = program().getTypeChecker();
  const source = program().getSourceFile(entry);
  assert.ok(source);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  assert.ok(moduleSymbol);

  const missing: string[] = [];
  const hasDoc = (symbol: ts.Symbol, declaration?: ts.Declaration): boolean => {
    if (symbol.getDocumentationComment(checker).length > 0) return true;
    const target = declaration ?? symbol.declarations?.[0];
    return target !== undefined && ts.getJSDocTags(target).length > 0;
  };
  const isPublicMember = (declaration: ts.Declaration): boolean => {
    if (!ts.canHaveModifiers(declaration)) return true;
    const flags = ts.getCombinedModifierFlags(declaration);
    if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    const name = ts.getNameOfDeclaration(declaration);
    return !(name && ts.isPrivateIdentifier(name));
  };
  const isInternal = (declaration: ts.Declaration): boolean =>
    ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'internal');

  const exports = checker.getExportsOfModule(moduleSymbol);
  assert.ok(exports.length > 20, `found ${exports.length} exports`);
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = exported.getName();
    if (!hasDoc(symbol)) missing.push(name);
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined) continue;
    if (!ts.isClassDeclaration(declaration) && !ts.isInterfaceDeclaration(declaration)) continue;
    for (const member of declaration.members) {
      if (!isPublicMember(member) || isInternal(member)) continue;
      if (ts.isConstructorDeclaration(member)) {
        // A constructor that takes parameters documents them in its own comment.
        if (member.parameters.length > 0 && ts.getJSDocCommentsAndTags(member).length === 0)
          missing.push(`${name}.constructor`);
        continue;
      }
      const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (memberName === undefined) continue;
      const memberSymbol = checker.getSymbolAtLocation(member.name!);
      if (memberSymbol === undefined || !hasDoc(memberSymbol, member)) missing.push(`${name}.${memberName}`);
    }
  }
  return missing;
}

test('every exported symbol and public member has a TSDoc comment', () => {
  assert.deepEqual(undocumented(), []);
});

test("users' code type-checks: undici's fetch with a dispatcher is a FetchLike; switch (err.name) narrows after isApiError", () => {
  const source = program().getSourceFile(CONSUMER);
  assert.ok(source);
  // Only this file's diagnostics (its @ts-expect-error lines must each expect an error).
  const diagnostics = [
    ...program().getSyntacticDiagnostics(source),
    ...program().getSemanticDiagnostics(source),
  ];
  assert.deepEqual(
    diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    [],
  );
});
