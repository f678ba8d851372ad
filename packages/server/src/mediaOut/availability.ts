/**
 * Whether this machine can run media-out pipelines: GStreamer's tools, every element the
 * pipelines use, each looked up with gst-inspect-1.0 (time-limited), and Python's GStreamer
 * bindings the pipeline program (packages/server/gst/parley-pipeline.py) runs on. What is
 * missing is named with the Debian package that brings it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** GStreamer elements the pipelines use, by the Debian 12 package that has them. */
export const REQUIRED_ELEMENTS: Record<string, string[]> = {
  'gstreamer1.0-plugins-base': [
    'videotestsrc',
    'audiotestsrc',
    'compositor',
    'audiomixer',
    'videoconvert',
    'videoscale',
    'audioconvert',
    'audioresample',
    'opusdec',
  ],
  'gstreamer1.0-plugins-good': [
    'udpsrc',
    'rtpjitterbuffer',
    'rtpvp8depay',
    'rtph264depay',
    'rtpopusdepay',
    'vp8dec',
    'flvmux',
    'mp4mux',
    'aspectratiocrop',
    'progressreport',
    // A mix's backgroundImage.
    'imagefreeze',
    'pngdec',
    'jpegdec',
  ],
  'gstreamer1.0-plugins-bad': ['h264parse', 'rtmp2sink'],
  'gstreamer1.0-plugins-ugly': ['x264enc'],
  'gstreamer1.0-libav': ['avdec_h264', 'avenc_aac'],
};

/** The pipeline program's Python modules, by the Debian 12 package that has them. */
export const PYTHON_MODULES: Record<string, { what: string; check: string }> = {
  'python3-gi': { what: 'python3 gi', check: 'import gi' },
  'gir1.2-gstreamer-1.0': {
    what: 'Gst-1.0 typelib',
    check: "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst",
  },
};

/** Every Debian package media-out needs (scripts/test.mjs and the install step name these). */
export const MEDIA_OUT_PACKAGES = [
  'gstreamer1.0-tools',
  ...Object.keys(REQUIRED_ELEMENTS),
  ...Object.keys(PYTHON_MODULES),
];

export interface Availability {
  available: boolean;
  /** Missing Debian packages (with the elements missing from each). */
  missing: Array<{ pkg: string; elements: string[] }>;
}

function run(command: string, args: string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error) => resolve(!error));
  });
}

/** Checks the tools and elements (about a second; the lookups run in parallel). */
export async function checkMediaOut(
  inspect = 'gst-inspect-1.0',
  launch = 'gst-launch-1.0',
  python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
): Promise<Availability> {
  const missing: Availability['missing'] = [];
  if (!(await run(launch, ['--version'], 5000))) {
    missing.push({ pkg: 'gstreamer1.0-tools', elements: [launch] });
  }
  for (const [pkg, { what, check }] of Object.entries(PYTHON_MODULES)) {
    if (!(await run(python, ['-c', check], 10_000))) missing.push({ pkg, elements: [what] });
  }
  const checks = await Promise.all(
    Object.entries(REQUIRED_ELEMENTS).map(async ([pkg, elements]) => {
      const absent: string[] = [];
      await Promise.all(
        elements.map(async (element) => {
          if (!(await run(inspect, ['--exists', element], 5000))) absent.push(element);
        }),
      );
      return { pkg, elements: absent.sort() };
    }),
  );
  for (const check of checks) if (check.elements.length > 0) missing.push(check);
  return { available: missing.length === 0, missing };
}

let thisMachine: Promise<Availability> | null = null;

/**
 * checkMediaOut() of this machine's tools, made once per process: the packages do not change
 * under a running process, and each check runs some twenty programs (~1.5 s of CPU), which a
 * process starting many servers (the tests) would otherwise pay at every start.
 */
export function checkMediaOutOnce(): Promise<Availability> {
  thisMachine ??= checkMediaOut();
  return thisMachine;
}

/** One line for the start-up log and refusals: what to install. */
export function describeMissing(availability: Availability): string {
  return availability.missing.map((m) => `${m.pkg} (${m.elements.join(', ')})`).join('; ');
}
