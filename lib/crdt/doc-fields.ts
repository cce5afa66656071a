/**
 * The field handles `Doc.getText/getSet/getMap/getRegister/getCounter` return. Each is a thin view:
 * reads go to the field state, writes go through the document (which assigns clocks, opens a
 * transaction and records the update).
 */
import type { JsonValue } from '../codec/json';
import type { Id, ReplicaId } from '../clock/replica';
import type { FieldStateOf } from './doc-log';
import type { TextListener } from './doc-events';

/** The document operations the handles call (implemented by `Doc`). */
export interface FieldHost {
  insertText(field: FieldStateOf<'text'>, index: number, text: string): void;
  deleteText(field: FieldStateOf<'text'>, index: number, length: number): void;
  observeText(field: FieldStateOf<'text'>, listener: TextListener): () => void;
  addToSet(field: FieldStateOf<'set'>, value: string): void;
  removeFromSet(field: FieldStateOf<'set'>, value: string): void;
  setMapKey(field: FieldStateOf<'map'>, key: string, value: JsonValue | undefined): void;
  setRegister(field: FieldStateOf<'register'>, value: JsonValue): void;
  addToCounter(field: FieldStateOf<'counter'>, delta: number): void;
}

/** A text field (RGA sequence). Indices are UTF-16 code units of the visible text. */
export class TextField {
  constructor(
    private readonly state: FieldStateOf<'text'>,
    private readonly host: FieldHost,
  ) {}

  get name(): string {
    return this.state.name;
  }
  get length(): number {
    return this.state.sequence.length;
  }
  toString(): string {
    return this.state.sequence.toString();
  }
  /** Inserts `text` at `index` (throws `SequenceRangeError` when out of range). */
  insert(index: number, text: string): void {
    if (text.length > 0) this.host.insertText(this.state, index, text);
  }
  /** Deletes `length` characters from `index`. */
  delete(index: number, length: number): void {
    if (length > 0) this.host.deleteText(this.state, index, length);
  }
  /** The id of the character at `index` (stable across remote edits; for carets), or null. */
  idAt(index: number): Id | null {
    const id = this.state.sequence.idAt(index);
    return id === null ? null : { replica: id.replica as ReplicaId, clock: id.clock };
  }
  /** The current visible index of a character id (where it would be if deleted), or -1 when unknown. */
  indexOf(id: Id): number {
    return this.state.sequence.indexOf(id);
  }
  /** Calls `listener` with the deltas of every transaction that changes this text; returns an unsubscribe function. */
  observe(listener: TextListener): () => void {
    return this.host.observeText(this.state, listener);
  }
}

/** An add-wins set of strings. */
export class OrSetField {
  constructor(
    private readonly state: FieldStateOf<'set'>,
    private readonly host: FieldHost,
  ) {}
  get name(): string {
    return this.state.name;
  }
  get size(): number {
    return this.state.set.size;
  }
  add(value: string): void {
    this.host.addToSet(this.state, value);
  }
  remove(value: string): void {
    this.host.removeFromSet(this.state, value);
  }
  has(value: string): boolean {
    return this.state.set.has(value);
  }
  /** The elements, sorted. */
  values(): string[] {
    return this.state.set.values();
  }
}

/** A last-writer-wins map from string keys to JSON values. */
export class LwwMapField {
  constructor(
    private readonly state: FieldStateOf<'map'>,
    private readonly host: FieldHost,
  ) {}
  get name(): string {
    return this.state.name;
  }
  set(key: string, value: JsonValue): void {
    this.host.setMapKey(this.state, key, value);
  }
  delete(key: string): void {
    if (this.has(key)) this.host.setMapKey(this.state, key, undefined);
  }
  get(key: string): JsonValue | undefined {
    const winner = this.state.map.winnerOf(key);
    return winner === null ? undefined : winner.value;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  /** [key, value] pairs sorted by key. */
  entries(): [string, JsonValue][] {
    return this.state.map.keys().map((key) => [key, this.get(key)!]);
  }
  toJSON(): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, value] of this.entries()) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  }
}

/** A last-writer-wins register holding one JSON value (null before the first write). */
export class LwwRegisterField {
  constructor(
    private readonly state: FieldStateOf<'register'>,
    private readonly host: FieldHost,
  ) {}
  get name(): string {
    return this.state.name;
  }
  set(value: JsonValue): void {
    this.host.setRegister(this.state, value);
  }
  get(): JsonValue {
    return this.state.register.winner?.value ?? null;
  }
}

/** A counter that can go up and down. */
export class PnCounterField {
  constructor(
    private readonly state: FieldStateOf<'counter'>,
    private readonly host: FieldHost,
  ) {}
  get name(): string {
    return this.state.name;
  }
  get value(): number {
    return this.state.counter.value;
  }
  /** Adds an integer (negative to decrement); 0 is a no-op. */
  add(delta: number): void {
    if (delta !== 0) this.host.addToCounter(this.state, delta);
  }
}
