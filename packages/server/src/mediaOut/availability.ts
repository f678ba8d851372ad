/**
 * Whether this machine can run media-out pipelines: GStreamer's tools, every element the
 * pipelines use, found in gst-inspect-1.0's list (time-limited), and Python's GStreamer
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

/**
 * The names of the elements gst-inspect-1.0 lists ("plugin:  element: description" lines), or
 * null when it does not run. One run reads the registry once; a `--exists` run per element
 * cost ~1.5 s of CPU at every server start.
 */
function listElements(inspect: string, timeoutMs: number): Promise<Set<string> | null> {
  return new Promise((resolve) => {
    execFile(inspect, [], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout) => {
      if (error) return resolve(null);
      const names = new Set<string>();
      for (const line of stdout.split('\n')) {
        const match = /^[^\s:]+:\s+([^\s:]+):\s/.exec(line);
        if (match) names.add(match[1]!);
      }
      resolve(names);
    });
  });
}

/** Checks the tools and elements (well under a second on an idle machine). */
export async function checkMediaOut(
  inspect = 'gst-inspect-1.0',
  launch = 'gst-launch-1.0',
  python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
): Promise<Availability> {
  const missing: Availability['missing'] = [];
  const [launches, pythonOk, elements] = await Promise.all([
    run(launch, ['--version'], 5000),
    Promise.all(
      Object.entries(PYTHON_MODULES).map(async ([pkg, { what, check }]) => ({
        pkg,
        what,
        ok: await run(python, ['-c', check], 10_000),
      })),
    ),
    listElements(inspect, 10_000),
  ]);
  if (!launches) missing.push({ pkg: 'gstreamer1.0-tools', elements: [launch] });
  for (const { pkg, what, ok } of pythonOk) if (!ok) missing.push({ pkg, elements: [what] });
  for (const [pkg, wanted] of Object.entries(REQUIRED_ELEMENTS)) {
    const absent = wanted.filter((element) => !elements?.has(element)).sort();
    if (absent.length > 0) missing.push({ pkg, elements: absent });
  }
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
