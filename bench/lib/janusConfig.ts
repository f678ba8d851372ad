/**
 * Janus's configuration for the benches (Debian's janus package): only the VideoRoom plugin
 * and the plain HTTP transport (CORS open, for pages served from another origin), written to a
 * fresh directory. Used by the bench's own namespace (servers.ts) and the impairment kit's
 * (quality.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';

export interface JanusConfigOptions {
  httpPort: number;
  /** RTP/ICE ports, "min-max". */
  rtpPortRange: string;
}

/** Writes the configuration; returns its directory (run `janus -C <dir>/janus.jcfg -F <dir>`). */
export function writeJanusConfig({ httpPort, rtpPortRange }: JanusConfigOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'janus-bench-'));
  writeFileSync(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${JANUS_LIB}/plugins"
  transports_folder = "${JANUS_LIB}/transports"
  events_folder = "${JANUS_LIB}/events"
  loggers_folder = "${JANUS_LIB}/loggers"
  debug_level = 3
  admin_secret = "bench-admin"
  session_timeout = 120
}
certificates: {}
media: {
  rtp_port_range = "${rtpPortRange}"
}
nat: {
  nice_debug = false
  ice_ignore_list = "vmnet"
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_lua.so,libjanus_duktape.so"
}
transports: {
  disable = "libjanus_websockets.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
`,
  );
  writeFileSync(
    join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  https = false
}
admin: { admin_http = false }
cors: { allow_origin = "*" }
`,
  );
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), `general: {}\n`);
  return dir;
}

/** Arguments for `janus` run on the configuration in `dir`. */
export const janusArgs = (dir: string): string[] => [
  '-C',
  join(dir, 'janus.jcfg'),
  '-F',
  dir,
  '-o',
];
