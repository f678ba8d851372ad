/**
 * Negative control (types.test.ts) of the conformance checks: each line below describes an
 * incompatibility the checks must report (TS2344), so that a passing conformance-*.ts means
 * something.
 */
import type {
  EventsCompat,
  Expect,
  InputCompat,
  MembersCompat,
  OutputCompat,
  SameCompat,
} from './conformance-helpers.js';

interface TheirStream {
  play(id: string): Promise<void>;
}
interface OurStream {
  play(id: string): Promise<void>;
  private_: number;
}
interface OtherStream {
  stop(): void;
}

// expect-error TS2344
export type Missing = Expect<MembersCompat<{ a(): void; b(): void }, { a(): void }, []>>;

// expect-error TS2344
export type Params = Expect<MembersCompat<{ a(x: string): void }, { a(x: number): void }, []>>;

// expect-error TS2344
export type MoreRequired = Expect<MembersCompat<{ a(): void }, { a(x: number): void }, []>>;

// expect-error TS2344
export type Returns = Expect<MembersCompat<{ a(): Promise<number> }, { a(): Promise<string> }, []>>;

// expect-error TS2344
export type Substituted = Expect<
  MembersCompat<
    { a(s: TheirStream): void },
    { a(s: OurStream): void },
    [[TheirStream, OtherStream]]
  >
>;

// expect-error TS2344
export type Event = Expect<EventsCompat<{ x: { a: 1 }; y: { a: 1 } }, { x: { a: 1 } }, []>>;

// expect-error TS2344
export type Payload = Expect<OutputCompat<{ a: number; b?: string }, { a: number }>>;

// expect-error TS2344
export type Config = Expect<InputCompat<{ a: number; b?: string }, { a: number }>>;

// expect-error TS2344
export type Enumeration = Expect<SameCompat<'a' | 'b', 'a'>>;

// And the same shapes that are compatible pass:
export type Fine = Expect<
  MembersCompat<{ a(s: TheirStream): void }, { a(s: OurStream): void }, [[TheirStream, OurStream]]>
>;
