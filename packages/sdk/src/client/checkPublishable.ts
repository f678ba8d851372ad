/** publish()'s argument and state checks (v4's order), kept beside the Client that makes them. */
import type { JoinData } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { LocalStream } from '../stream/LocalStream.js';
import type { PublishOptions } from './types.js';

/**
 * publish()'s checks after the join check: the argument, the role, the stream's state and
 * one stream per type (main, auxiliary) at a time, as v4 orders them. `publishing` is the
 * stream already published (or being published) as the requested type.
 */
export function checkPublishable(
  stream: unknown,
  options: PublishOptions | undefined,
  joinData: JoinData,
  publishing: LocalStream | null,
): asserts stream is LocalStream {
  if (!(stream instanceof LocalStream)) {
    throw RtcError.invalidParameter('publish() needs a LocalStream created by TRTC.createStream()');
  }
  const { mode, role } = joinData;
  if (mode === 'live' && role === 'audience') {
    throw RtcError.invalidOperation(
      "an audience member cannot publish in live mode; join with role 'anchor'",
    );
  }
  if (!stream.isInitialized()) {
    throw RtcError.invalidOperation(
      'the stream is not initialized: call localStream.initialize() first',
    );
  }
  if (publishing) {
    throw RtcError.invalidOperation(
      publishing === stream
        ? 'this stream is already published (or being published)'
        : `another stream is already published as the ${options?.isAuxiliary ? 'auxiliary' : 'main'} stream; unpublish() it first`,
    );
  }
}
