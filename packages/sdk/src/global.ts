/**
 * The global `TRTC` of the classic script (`<script src="https://parley.example.com/sdk/trtc.js">`)
 * for TypeScript applications that use it without importing anything, as
 * `@types/trtc-js-sdk` declared it: the namespace object (`TRTC.createClient()`) and its
 * types (`TRTC.Client`, `TRTC.ClientConfig`, ...). Built as dist/global.d.ts; include it
 * with `/// <reference types="@parley/sdk/global" />` or in tsconfig's `types`/`files`.
 */
import TRTCNamespace from './namespace.js';

declare global {
  export import TRTC = TRTCNamespace;
}
