/**
 * fast-check arbitraries for `Doc` scenarios, shared by the property test files.
 * Each scenario is a handful of commands on 3 replicas so 1 000 runs stay quick.
 */
import fc from 'fast-check';
import type { EditChoice, ScenarioCommand } from './doc-testing';
import type { FieldKind } from './update-codec';

export const PROPERTY_SEED = 1_125_2026;
export const PROPERTY_RUNS = 1000;

export function editArb(kinds: readonly FieldKind[]): fc.Arbitrary<EditChoice> {
  return fc.record({ kind: fc.constantFrom(...kinds), a: fc.nat(11), b: fc.nat(11), c: fc.nat(11) });
}

export function scenarioArb(kinds: readonly FieldKind[]): fc.Arbitrary<ScenarioCommand[]> {
  const command: fc.Arbitrary<ScenarioCommand> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ type: fc.constant('edit' as const), replica: fc.nat(2), edits: fc.array(editArb(kinds), { minLength: 1, maxLength: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('sync' as const), from: fc.nat(2), to: fc.nat(2) }) },
  );
  return fc.array(command, { maxLength: 8 });
}

export const TYPES: [string, FieldKind[]][] = [
  ['text', ['text']],
  ['OR-Set', ['set']],
  ['LWW-Register', ['register']],
  ['LWW-Map', ['map']],
  ['PN-Counter', ['counter']],
  ['mixed Doc', ['text', 'set', 'map', 'register', 'counter']],
];

