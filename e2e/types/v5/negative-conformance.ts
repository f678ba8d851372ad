/**
 * Negative control for conformance.ts (v5types.test.ts): each check below compares types that
 * are NOT compatible and must fail with the marked error, proving the checks can fail.
 */
import type * as Theirs from '@theirs/trtc-sdk-v5';
import type * as Ours from 'trtc-sdk-v5';
import type { Expect } from '../conformance-helpers.js';
import type { EventArgs, Eq, In, Members, Out } from './compat.js';

// A method whose parameter ours would not accept.
// expect-error TS2344
export type WrongParameter = Expect<Members<{ f(x: string): void }, { f(x: number): void }>>;

// A method ours lacks.
// expect-error TS2344
export type MissingMethod = Expect<Members<{ f(): void; g(): void }, { f(): void }>>;

// An event whose payload lacks a field of theirs.
// expect-error TS2344
export type MissingField = Expect<
  EventArgs<{ e: [{ a: string; b: number }] }, { e: [{ a: string }] }>
>;

// A config field ours does not know.
// expect-error TS2344
export type UnknownField = Expect<
  In<Theirs.EnterRoomConfig, Omit<Ours.EnterRoomConfig, 'quickStart'>>
>;

// An enumeration with a value less.
// expect-error TS2344
export type FewerValues = Expect<
  Eq<Theirs.ConnectionState, Exclude<`${Ours.ConnectionState}`, 'RECONNECTED'>>
>;

// A result whose field has another type.
// expect-error TS2344
export type OtherType = Expect<
  Out<Theirs.CustomMessage, Omit<Ours.CustomMessage, 'seq'> & { seq: string }>
>;
