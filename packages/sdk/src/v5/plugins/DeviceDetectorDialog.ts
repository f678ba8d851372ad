/**
 * The DeviceDetector's dialog (Parley's own, in the spirit of v5's): a modal <dialog> that
 * walks the user through camera, microphone, speaker and (when asked) network, one step at a
 * time. Each step measures (deviceChecks.ts) and asks the user to confirm what they see or
 * hear; a step passes when the measurement passed and the user said yes. A report ends it.
 * Native <dialog> gives the focus trap and Escape; every control has a visible label, status
 * lines are live regions, and each step's heading takes focus when it opens.
 */
import type { DeviceDetectorResult } from '../pluginTypes.js';
import {
  captureProblem,
  deviceOfTrack,
  listDevices,
  measureNetwork,
  testToneUrl,
  unknownDevice,
  watchFrames,
  watchLevel,
  type NetworkTarget,
  type ProbeInstance,
} from './deviceChecks.js';

export type DetectorResult = Partial<DeviceDetectorResult>;

export interface DialogOptions {
  mirror: boolean;
  allowSkip: boolean;
  network: { target: NetworkTarget; probe: () => ProbeInstance } | null;
}

type StepName = 'camera' | 'microphone' | 'speaker' | 'network';

/** A step in progress: what it found, and how to let go of its devices. */
interface Step {
  passed(): boolean;
  record(answer: boolean): void;
  cleanup(): void;
}

/** Frames a camera must present, and the peak level a microphone must reach, to pass. */
const MIN_FRAMES = 3;
const MIN_LEVEL = 0.02;

const TITLES: Record<StepName, string> = {
  camera: 'Camera',
  microphone: 'Microphone',
  speaker: 'Speaker',
  network: 'Network',
};

export class DeviceDetectorDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly body: HTMLElement;
  private readonly steps: StepName[];
  private readonly result: DetectorResult = {};
  private current: Step | null = null;
  private finished = false;
  private readonly abort = new AbortController();
  private resolve: (result: DetectorResult | undefined) => void = () => undefined;
  readonly done: Promise<DetectorResult | undefined>;

  constructor(private readonly options: DialogOptions) {
    this.steps = [
      'camera',
      'microphone',
      'speaker',
      ...(options.network ? ['network' as const] : []),
    ];
    this.done = new Promise((resolve) => (this.resolve = resolve));
    this.dialog = el('dialog', {
      class: 'parley-device-detector',
      'aria-labelledby': 'parley-dd-title',
    });
    Object.assign(this.dialog.style, {
      maxWidth: '420px',
      font: '14px system-ui, sans-serif',
      padding: '16px 20px',
    });
    const title = el('h2', { id: 'parley-dd-title' }, 'Device check');
    title.style.margin = '0 0 8px';
    this.body = el('div');
    this.dialog.append(title, this.body);
    if (options.allowSkip) {
      const skip = button('Skip detection', () => this.close());
      skip.style.marginTop = '12px';
      this.dialog.append(skip);
    }
    // Escape: a skip when skipping is allowed, nothing otherwise.
    this.dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (options.allowSkip) this.close();
    });
  }

  open(): Promise<DetectorResult | undefined> {
    document.body.append(this.dialog);
    this.dialog.showModal();
    void this.runStep(0);
    return this.done;
  }

  /** Ends the dialog: with what was found so far (v5: nothing found gives undefined). */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.abort.abort();
    this.current?.cleanup();
    this.current = null;
    if (this.dialog.open) this.dialog.close();
    this.dialog.remove();
    this.resolve(Object.keys(this.result).length > 0 ? { ...this.result } : undefined);
  }

  private async runStep(index: number): Promise<void> {
    if (this.finished) return;
    const name = this.steps[index];
    if (!name) {
      this.showReport();
      return;
    }
    const heading = el(
      'h3',
      { tabindex: '-1' },
      `${TITLES[name]} (step ${index + 1} of ${this.steps.length})`,
    );
    const status = el('p', { role: 'status', 'aria-live': 'polite' });
    const content = el('div');
    const question = el('p');
    const yes = button('Yes', () => next(true));
    const no = button('No', () => next(false));
    yes.disabled = true;
    const actions = el('div');
    actions.append(yes, ' ', no);
    this.body.replaceChildren(heading, content, status, question, actions);
    heading.focus();
    const next = (answer: boolean) => {
      if (this.current !== step) return;
      step.record(answer);
      step.cleanup();
      this.current = null;
      void this.runStep(index + 1);
    };
    const ui: StepUi = {
      content,
      status: (text) => (status.textContent = text),
      ask: (text) => (question.textContent = text),
      enableYes: (on) => (yes.disabled = !on),
      onlyNext: () => {
        no.remove();
        yes.textContent = 'Next';
      },
    };
    const step = this.makeStep(name, ui);
    this.current = step;
  }

  private makeStep(name: StepName, ui: StepUi): Step {
    switch (name) {
      case 'camera':
        return this.captureStep('camera', ui);
      case 'microphone':
        return this.captureStep('microphone', ui);
      case 'speaker':
        return this.speakerStep(ui);
      case 'network':
        return this.networkStep(ui);
    }
  }

  /** Camera: frames presented in a preview; microphone: a level meter that moves. */
  private captureStep(name: 'camera' | 'microphone', ui: StepUi): Step {
    const kind: MediaDeviceKind = name === 'camera' ? 'videoinput' : 'audioinput';
    let passed = false;
    let device: MediaDeviceInfo = unknownDevice(kind);
    let stream: MediaStream | null = null;
    let unwatch: () => void = () => undefined;
    let generation = 0;
    const select = deviceSelect(TITLES[name], kind, (id) => void capture(id));
    const view =
      name === 'camera'
        ? el('video', { 'aria-label': 'Camera preview' })
        : el('meter', { min: '0', max: '1', value: '0', 'aria-label': 'Microphone level' });
    if (view instanceof HTMLVideoElement) {
      view.muted = true;
      view.playsInline = true;
      view.autoplay = true;
      Object.assign(view.style, { width: '320px', maxWidth: '100%', background: '#000' });
      if (this.options.mirror) view.style.transform = 'scaleX(-1)';
    } else view.style.width = '100%';
    ui.content.append(select.label, view);
    ui.ask(name === 'camera' ? 'Can you see yourself?' : 'Does the bar move when you speak?');
    const release = () => {
      unwatch();
      unwatch = () => undefined;
      stream?.getTracks().forEach((t) => t.stop());
      stream = null;
    };
    const capture = async (deviceId?: string) => {
      const mine = ++generation;
      release();
      passed = false;
      ui.enableYes(false);
      ui.status(`Starting the ${name}…`);
      try {
        const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
        const got = await navigator.mediaDevices.getUserMedia(
          name === 'camera' ? { video: constraint } : { audio: constraint },
        );
        if (mine !== generation || this.finished) {
          got.getTracks().forEach((t) => t.stop());
          return;
        }
        stream = got;
        const track = got.getTracks()[0]!;
        device = await deviceOfTrack(track, kind);
        await select.refresh(device.deviceId);
        const succeed = (text: string) => {
          if (mine !== generation) return;
          if (!passed) ui.enableYes(true);
          passed = true;
          ui.status(text);
        };
        if (view instanceof HTMLVideoElement) {
          view.srcObject = got;
          void view.play().catch(() => undefined);
          ui.status(`Waiting for frames from ${device.label || 'the camera'}…`);
          unwatch = watchFrames(view, (frames) => {
            if (frames >= MIN_FRAMES) {
              succeed(
                `${device.label || 'The camera'} works: ${view.videoWidth}×${view.videoHeight}`,
              );
            }
          });
        } else {
          ui.status(`Listening to ${device.label || 'the microphone'}… say something`);
          unwatch = watchLevel(track, (level) => {
            (view as HTMLMeterElement).value = level;
            if (level >= MIN_LEVEL) succeed(`${device.label || 'The microphone'} picks up sound`);
          });
        }
      } catch (error) {
        if (mine !== generation) return;
        const listed = await listDevices(kind);
        device = listed[0] ?? unknownDevice(kind);
        ui.status(`No ${name}: ${captureProblem(error)}`);
      }
    };
    void capture();
    return {
      passed: () => passed,
      record: (answer) => {
        this.result[name] = { isSuccess: passed && answer, device };
      },
      cleanup: () => {
        generation++;
        release();
      },
    };
  }

  /** Speaker: a test tone that must start playing on the chosen output, and a yes. */
  private speakerStep(ui: StepUi): Step {
    let passed = false;
    let device: MediaDeviceInfo = unknownDevice('audiooutput');
    let chosen = '';
    const url = testToneUrl();
    const audio = new Audio(url);
    audio.loop = true;
    let outputs: MediaDeviceInfo[] = [];
    const choose = (id: string) => {
      chosen = id;
      device = outputs.find((d) => d.deviceId === id) ?? outputs[0] ?? unknownDevice('audiooutput');
    };
    const select = deviceSelect('Speaker', 'audiooutput', (id) => {
      choose(id);
      void route();
    });
    const play = button('Play test sound', () => void start());
    ui.content.append(select.label, play);
    ui.ask('Do you hear the sound?');
    ui.status('Press "Play test sound".');
    const route = async () => {
      const sink = audio as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
      if (chosen && sink.setSinkId) await sink.setSinkId(chosen).catch(() => undefined);
    };
    const start = async () => {
      await route();
      try {
        await audio.play();
      } catch (error) {
        ui.status(`The sound cannot play: ${captureProblem(error)}`);
        return;
      }
      passed = true;
      ui.enableYes(true);
      ui.status(`Playing the test sound on ${device.label || 'the default speaker'}…`);
    };
    void (async () => {
      outputs = await listDevices('audiooutput');
      await select.refresh(outputs[0]?.deviceId ?? '');
      choose(select.value());
    })();
    return {
      passed: () => passed,
      record: (answer) => {
        this.result.speaker = { isSuccess: passed && answer, device };
      },
      cleanup: () => {
        audio.pause();
        audio.removeAttribute('src');
        URL.revokeObjectURL(url);
      },
    };
  }

  /** Network: a short session in a Parley room; passes with a grade (1 best .. 5). */
  private networkStep(ui: StepUi): Step {
    const network = this.options.network!;
    let result = { quality: 0, rtt: 0 };
    let finished = false;
    ui.onlyNext();
    ui.ask('');
    ui.status('Measuring the network…');
    void measureNetwork(
      network.probe(),
      network.target,
      (ms) => {
        if (!finished) ui.status(`Measuring the network… ${Math.ceil(ms / 1000)} s left`);
      },
      this.abort.signal,
    ).then(
      (measured) => {
        finished = true;
        result = measured;
        ui.status(
          measured.quality === 0
            ? 'The network could not be measured'
            : `Network quality ${measured.quality} (1 best, 6 down), round trip ${measured.rtt} ms`,
        );
        ui.enableYes(true);
      },
      (error: unknown) => {
        finished = true;
        ui.status(
          `The network test failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        ui.enableYes(true);
      },
    );
    const passed = () => result.quality >= 1 && result.quality <= 5;
    return {
      passed,
      record: () => {
        this.result.network = { isSuccess: passed(), result: { ...result } };
      },
      cleanup: () => undefined,
    };
  }

  private showReport(): void {
    const heading = el('h3', { tabindex: '-1' }, 'Report');
    const list = el('ul');
    for (const name of this.steps) {
      const entry = this.result[name];
      const ok = entry?.isSuccess === true;
      const detail =
        entry && 'device' in entry
          ? entry.device.label
          : entry && 'result' in entry
            ? `quality ${entry.result.quality}, ${entry.result.rtt} ms`
            : '';
      list.append(
        el('li', {}, `${TITLES[name]}: ${ok ? 'works' : 'failed'}${detail ? ` (${detail})` : ''}`),
      );
    }
    const done = button('Done', () => this.close());
    this.body.replaceChildren(heading, list, done);
    heading.focus();
  }
}

interface StepUi {
  content: HTMLElement;
  status(text: string): void;
  ask(text: string): void;
  enableYes(on: boolean): void;
  onlyNext(): void;
}

/** A labelled <select> of the devices of `kind`; `refresh(selected)` re-reads the list. */
function deviceSelect(
  name: string,
  kind: MediaDeviceKind,
  onChange: (deviceId: string) => void,
): { label: HTMLLabelElement; refresh(selected: string): Promise<void>; value(): string } {
  const select = el('select');
  const label = el('label', {}, `${name}: `);
  label.style.display = 'block';
  label.style.margin = '0 0 8px';
  label.append(select);
  select.addEventListener('change', () => onChange(select.value));
  return {
    label,
    value: () => select.value,
    refresh: async (selected) => {
      const devices = await listDevices(kind);
      select.replaceChildren(
        ...devices.map((d, i) => {
          const option = el('option', { value: d.deviceId }, d.label || `${name} ${i + 1}`);
          option.selected = d.deviceId === selected;
          return option;
        }),
      );
      select.disabled = devices.length === 0;
    },
  };
}

function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button' }, text);
  b.addEventListener('click', onClick);
  return b;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
