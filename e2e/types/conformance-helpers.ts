/**
 * Type-level checks that code written against THEIR TRTC v4 types compiles against OURS,
 * member by member. Each check is `Expect<...>`: it compiles only when the inner type is
 * `true`; otherwise the error shows the offending members with both sides' types.
 *
 * Their types and ours name different declarations of the same SDK objects (their
 * `RemoteStream` interface, our `RemoteStream` class). An app only ever holds ours, so where
 * their signature mentions one of them, the check first substitutes ours (`Subst`, a list of
 * [theirs, ours] pairs), down to the fields of the fields of a payload.
 */

/** Compiles only when `T` is `true`. */
export type Expect<T extends true> = T;

/** `true` when every property of `R` is `true`, else an object of those that are not. */
export type AllTrue<R> = keyof {
  [K in keyof R as R[K] extends true ? never : K]: R[K];
} extends never
  ? true
  : { [K in keyof R as R[K] extends true ? never : K]: R[K] };

/** The named keys of `T` (index signatures left out). */
type NamedKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: 0;
};

/** Named keys an app may use on THEIR type that OUR type lacks (optional ones included). */
export type MissingKeys<Theirs, Ours> = Exclude<NamedKeys<Theirs>, keyof Ours>;

/**
 * [their type, what ours must satisfy instead] pairs: the SDK objects both declare (their
 * interface → our class), and their types with a known difference → the corrected type.
 */
export type Subst = ReadonlyArray<readonly [unknown, unknown]>;

/** Whether A and B are the identical type (not merely mutually assignable). */
type Same<A, B> =
  (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/**
 * `T` with their SDK objects replaced by ours, `Depth` levels into objects, arrays and
 * tuples (a mapped type keeps those shapes); `any` stays `any`.
 */
export type Translate<T, S extends Subst, Depth extends unknown[] = [0, 0, 0]> = T extends unknown
  ? TranslateOne<T, S, S, Depth>
  : never;
type TranslateOne<
  T,
  S extends Subst,
  All extends Subst,
  Depth extends unknown[],
> = S extends readonly [readonly [infer From, infer To], ...infer Rest extends Subst]
  ? 0 extends 1 & T
    ? T
    : Same<T, From> extends true
      ? To
      : TranslateOne<T, Rest, All, Depth>
  : Depth extends [unknown, ...infer Less]
    ? T extends (...args: never) => unknown
      ? T
      : T extends Promise<infer P>
        ? Promise<Translate<P, All, Less>>
        : T extends object
          ? { [K in keyof T]: Translate<T[K], All, Less> }
          : T
    : T;

/**
 * A function member: the arguments an app passes to theirs are accepted by ours, and what
 * ours returns is usable where theirs was (anything is, where theirs returns void).
 */
export type CallCompat<Theirs, Ours, S extends Subst> = [Theirs] extends [
  (...args: infer TA) => infer TR,
]
  ? [Ours] extends [(...args: infer OA) => infer OR]
    ? [Translate<TA, S>] extends [OA]
      ? [TR] extends [void]
        ? true
        : [OR] extends [Translate<TR, S>]
          ? true
          : { returnTypeDiffers: { ours: OR; theirs: TR } }
      : { parametersDiffer: { ours: OA; theirs: TA } }
    : { notAFunctionInOurs: Ours }
  : [Ours] extends [Translate<Theirs, S>]
    ? true
    : { propertyDiffers: { ours: Ours; theirs: Theirs } };

/**
 * Every member of their interface exists in ours and is call-compatible (a property:
 * assignable). `Skip` lists members checked another way (`on`/`off`: see EventsCompat).
 */
export type MembersCompat<
  Theirs,
  Ours,
  S extends Subst,
  Skip extends PropertyKey = never,
> = AllTrue<{
  [K in Exclude<keyof Theirs, Skip>]: K extends keyof Ours
    ? CallCompat<Theirs[K], Ours[K], S>
    : 'missing in ours';
}>;

/**
 * An event map: ours fires every event of theirs, with a payload that a handler typed with
 * their payload type accepts and that has every field theirs declares.
 */
export type EventsCompat<Theirs, Ours, S extends Subst> = AllTrue<{
  [K in keyof Theirs]: K extends keyof Ours
    ? OutputCompat<Theirs[K], Ours[K], S>
    : 'missing in ours';
}>;

/**
 * Data the SDK hands to the app (results, event payloads): ours is assignable to theirs and
 * has every field of theirs, optional ones included.
 */
export type OutputCompat<Theirs, Ours, S extends Subst = []> = [Ours] extends [Translate<Theirs, S>]
  ? [MissingKeys<NonNullable<Theirs>, NonNullable<Ours>>] extends [never]
    ? true
    : { fieldsMissingInOurs: MissingKeys<NonNullable<Theirs>, NonNullable<Ours>> }
  : { notAssignableToTheirs: { ours: Ours; theirs: Theirs } };

/**
 * Data the app hands to the SDK (configs, options): theirs is accepted by ours, and ours
 * knows every field of theirs (so an object literal with any of them passes the
 * excess-property check).
 */
export type InputCompat<Theirs, Ours, S extends Subst = []> = [Translate<Theirs, S>] extends [Ours]
  ? [MissingKeys<NonNullable<Theirs>, NonNullable<Ours>>] extends [never]
    ? true
    : { fieldsUnknownToOurs: MissingKeys<NonNullable<Theirs>, NonNullable<Ours>> }
  : { notAcceptedByOurs: { ours: Ours; theirs: Theirs } };

/** Both directions: enumerations and constant tables must be the same. */
export type SameCompat<Theirs, Ours> = [Theirs] extends [Ours]
  ? [Ours] extends [Theirs]
    ? true
    : { oursHasMore: { ours: Ours; theirs: Theirs } }
  : { theirsHasMore: { ours: Ours; theirs: Theirs } };
