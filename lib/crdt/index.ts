/** The document core: `Doc` and the CRDT types it is made of. */
export { Doc, mergeUpdates, LocalChangesNotTrackedError, type DocOptions } from './doc';
export { TextField, OrSetField, LwwMapField, LwwRegisterField, PnCounterField } from './doc-fields';
export { FieldTypeError, type ChangeEvent, type FieldChange, type ChangeListener, type UpdateListener, type TextListener } from './doc-events';
export { OrSet, type Dot } from './orset';
export { LwwRegister, LwwMap, compareWrites, type LwwWrite } from './lww';
export { PnCounter, InvalidDeltaError } from './counter';
export { DeleteSet, normalizeRanges } from './delete-set';
export { decodeUpdate, encodeUpdate, decodeStateVector, encodeStateVector, type Update, type Op, type FieldKind, type FieldRef } from './update-codec';
export type { TextDelta, IdRange } from './rga/types';
export { DecodeError } from '../codec/errors';
export { ClockSkewError } from '../clock/hlc';
export type { JsonValue } from '../codec/json';
