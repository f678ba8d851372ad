/**
 * The comparisons conformance.ts makes between THEIR v5 types (`@theirs/trtc-sdk-v5`) and OURS
 * (`trtc-sdk-v5`), each a type that is `true` when the check passes and otherwise an object
 * naming what differs (so `Expect<...>` fails showing it).
 */
import type TheirTRTC from '@theirs/trtc-sdk-v5';
import type * as Theirs from '@theirs/trtc-sdk-v5';
import type OurTRTC from 'trtc-sdk-v5';
import type * as Ours from 'trtc-sdk-v5';
import type { AllTrue, MissingKeys, Subst } from '../conformance-helpers.js';

/**
 * Their SDK objects and ours: where their signatures name theirs, an app has ours (and ours
 * stay as they are: the instance is checked member by member above its uses).
 */
export type S = [
  [TheirTRTC, OurTRTC],
  [Theirs.RtcError, Ours.RtcError],
  [OurTRTC, OurTRTC],
  [Ours.RtcError, Ours.RtcError],
];

/** Whether A and B are the identical type. */
export type Same<A, B> =
  (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/**
 * `T` as an app sees it, whichever declaration it comes from: their SDK objects replaced by
 * ours (S), enum members by their values (`Scene.RTC` → `'rtc'`, `PEER_LEAVE_REASON.KICK` →
 * `2`), down `D` levels into objects, tuples, function parameters and results. Classes
 * (plugin constructors), DOM objects and buffers are kept as they are.
 */
export type Plain<
  T,
  Subs extends Subst = S,
  D extends unknown[] = [0, 0, 0, 0, 0, 0, 0],
> = T extends unknown ? PlainOne<T, Subs, Subs, D> : never;
type PlainOne<T, Subs extends Subst, All extends Subst, D extends unknown[]> = 0 extends 1 & T
  ? T
  : Subs extends readonly [readonly [infer From, infer To], ...infer Rest extends Subst]
    ? Same<T, From> extends true
      ? To
      : PlainOne<T, Rest, All, D>
    : T extends string
      ? `${T}`
      : T extends number
        ? `${T}` extends `${infer N extends number}`
          ? N
          : T
        : T extends boolean | bigint | symbol | null | undefined | void
          ? T
          : T extends
                | (abstract new (...args: never) => unknown)
                | EventTarget
                | ArrayBuffer
                | ArrayBufferView
                | MediaDeviceInfo
                | Error
            ? T
            : D extends [unknown, ...infer Less extends unknown[]]
              ? T extends (...args: infer A) => infer R
                ? (...args: Plain<A, All, Less>) => Plain<R, All, Less>
                : T extends Promise<infer P>
                  ? Promise<Plain<P, All, Less>>
                  : { [K in keyof T]: Plain<T[K], All, Less> }
              : T;

/** Data the app passes: theirs accepted by ours, and every field of theirs known to ours. */
export type In<Th, Ou> = [Plain<Th>] extends [Plain<Ou>]
  ? [MissingKeys<NonNullable<Th>, NonNullable<Ou>>] extends [never]
    ? true
    : { fieldsUnknownToOurs: MissingKeys<NonNullable<Th>, NonNullable<Ou>> }
  : { notAcceptedByOurs: { ours: Plain<Ou>; theirs: Plain<Th> } };
/** Data the SDK hands out: ours usable as theirs, with every field of theirs. */
export type Out<Th, Ou> = [Plain<Ou>] extends [Plain<Th>]
  ? [MissingKeys<NonNullable<Th>, NonNullable<Ou>>] extends [never]
    ? true
    : { fieldsMissingInOurs: MissingKeys<NonNullable<Th>, NonNullable<Ou>> }
  : { notAssignableToTheirs: { ours: Plain<Ou>; theirs: Plain<Th> } };
/** Enumerations: the same values both ways. */
export type Eq<Th, Ou> = [Plain<Th>] extends [Plain<Ou>]
  ? [Plain<Ou>] extends [Plain<Th>]
    ? true
    : { oursHasMore: { ours: Plain<Ou>; theirs: Plain<Th> } }
  : { theirsHasMore: { ours: Plain<Ou>; theirs: Plain<Th> } };
/**
 * A member: the arguments an app passes to theirs are accepted by ours, and what ours returns
 * is usable where theirs was (anything is, where theirs returns void).
 */
export type Call<Th, Ou> = [Plain<Th>] extends [(...args: infer TA) => infer TR]
  ? [Plain<Ou>] extends [(...args: infer OA) => infer OR]
    ? [TA] extends [OA]
      ? [TR] extends [void]
        ? true
        : [OR] extends [TR]
          ? true
          : { returnTypeDiffers: { ours: OR; theirs: TR } }
      : { parametersDiffer: { ours: OA; theirs: TA } }
    : { notAFunctionInOurs: Ou }
  : Out<Th, Ou>;
/** Every member of theirs exists in ours, call-compatible. */
export type Members<Th, Ou, Skip extends PropertyKey = never> = AllTrue<{
  [K in Exclude<keyof Th, Skip>]: K extends keyof Ou ? Call<Th[K], Ou[K]> : 'missing in ours';
}>;
/** Ours fires every event of theirs, with arguments a listener typed by theirs accepts. */
export type EventArgs<Th, Ou> = AllTrue<{
  [K in keyof Th]: K extends keyof Ou ? Out<Th[K], Ou[K]> : 'missing in ours';
}>;
