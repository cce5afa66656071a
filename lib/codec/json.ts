/**
 * A tagged binary encoding of JSON values (the payload of LWW registers and maps).
 * Tags: null, false, true, int (safe integer, varint), float (float64, finite), string, array,
 * object (keys in insertion order). Nesting deeper than `MAX_JSON_DEPTH` is rejected both ways.
 */
import type { Decoder } from './decoder';
import type { Encoder } from './encoder';
import { DecodeError, EncodeError } from './errors';

/** A JSON value. Numbers must be finite. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The deepest nesting of arrays/objects accepted. */
export const MAX_JSON_DEPTH = 64;

const Tag = { null: 0, false: 1, true: 2, int: 3, float: 4, string: 5, array: 6, object: 7 } as const;

/** Thrown when a value handed to a CRDT is not representable as JSON (NaN, undefined, a class instance, too deep). */
export class InvalidJsonValueError extends Error {
  override readonly name = 'InvalidJsonValueError';
  constructor(reason: string) {
    super(`not a JSON value: ${reason}`);
  }
}

/** Throws `InvalidJsonValueError` unless `value` is a plain JSON value within the depth limit. */
export function assertJsonValue(value: unknown, depth = 0): asserts value is JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidJsonValueError(`non-finite number ${value}`);
    return;
  }
  if (depth >= MAX_JSON_DEPTH) throw new InvalidJsonValueError(`nesting deeper than ${MAX_JSON_DEPTH}`);
  if (Array.isArray(value)) {
    for (const item of value) assertJsonValue(item, depth + 1);
    return;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new InvalidJsonValueError('not a plain object');
    for (const item of Object.values(value)) assertJsonValue(item, depth + 1);
    return;
  }
  throw new InvalidJsonValueError(`unsupported type ${typeof value}`);
}

/** Writes a JSON value (validated: throws `EncodeError` on non-JSON values). */
export function writeJson(encoder: Encoder, value: JsonValue, depth = 0): void {
  if (value === null) return encoder.writeByte(Tag.null);
  switch (typeof value) {
    case 'boolean':
      return encoder.writeByte(value ? Tag.true : Tag.false);
    case 'number':
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
        encoder.writeByte(Tag.int);
        return encoder.writeVarInt(value);
      }
      if (!Number.isFinite(value)) throw new EncodeError(`non-finite number ${value}`);
      encoder.writeByte(Tag.float);
      return encoder.writeFloat64(value);
    case 'string':
      encoder.writeByte(Tag.string);
      return encoder.writeCodeUnits(value);
    case 'object': {
      if (depth >= MAX_JSON_DEPTH) throw new EncodeError(`JSON nesting deeper than ${MAX_JSON_DEPTH}`);
      if (Array.isArray(value)) {
        encoder.writeByte(Tag.array);
        encoder.writeVarUint(value.length);
        for (const item of value) writeJson(encoder, item, depth + 1);
        return;
      }
      const keys = Object.keys(value);
      encoder.writeByte(Tag.object);
      encoder.writeVarUint(keys.length);
      for (const key of keys) {
        encoder.writeCodeUnits(key);
        writeJson(encoder, value[key]!, depth + 1);
      }
      return;
    }
    default:
      throw new EncodeError(`unsupported JSON type ${typeof value}`);
  }
}

/** Reads a JSON value; throws `DecodeError` on unknown tags, too-deep nesting, duplicate keys, non-finite floats. */
export function readJson(decoder: Decoder, depth = 0): JsonValue {
  const start = decoder.offset;
  const tag = decoder.readByte();
  switch (tag) {
    case Tag.null:
      return null;
    case Tag.false:
      return false;
    case Tag.true:
      return true;
    case Tag.int:
      return decoder.readVarInt();
    case Tag.float: {
      const value = decoder.readFloat64();
      if (!Number.isFinite(value)) throw new DecodeError('non-finite float in JSON value', start);
      return value;
    }
    case Tag.string:
      return decoder.readCodeUnits();
    case Tag.array: {
      if (depth >= MAX_JSON_DEPTH) throw new DecodeError(`JSON nesting deeper than ${MAX_JSON_DEPTH}`, start);
      const length = decoder.readVarUint();
      if (length > decoder.remaining) throw new DecodeError(`array length ${length} exceeds the bytes left`, start);
      const items: JsonValue[] = [];
      for (let i = 0; i < length; i++) items.push(readJson(decoder, depth + 1));
      return items;
    }
    case Tag.object: {
      if (depth >= MAX_JSON_DEPTH) throw new DecodeError(`JSON nesting deeper than ${MAX_JSON_DEPTH}`, start);
      const size = decoder.readVarUint();
      if (size > decoder.remaining) throw new DecodeError(`object size ${size} exceeds the bytes left`, start);
      const result: { [key: string]: JsonValue } = {};
      for (let i = 0; i < size; i++) {
        const keyOffset = decoder.offset;
        const key = decoder.readCodeUnits();
        if (Object.prototype.hasOwnProperty.call(result, key)) throw new DecodeError(`duplicate object key ${JSON.stringify(key)}`, keyOffset);
        // defineProperty so that a "__proto__" key is data, not a prototype change.
        Object.defineProperty(result, key, { value: readJson(decoder, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return result;
    }
    default:
      throw new DecodeError(`unknown JSON tag ${tag}`, start);
  }
}
